/** Wildcards and the null process, as in MPI. */
export { ANY_SOURCE, ANY_TAG, PROC_NULL } from '../transport/transport.js';

/** The largest tag a message may carry (MPI guarantees at least 32767; we allow 2^31 - 1). */
export const TAG_UB = 0x7fffffff;
