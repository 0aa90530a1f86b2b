/**
 * simdeck: SPMD input decks in TypeScript. `world` is the communicator of every rank of the job;
 * `app` is this deck's own ranks in an MPMD job (the world for a single deck).
 */
import type { Comm } from './comm/comm.js';
import { getApp, getAppIndex, getWorld, prepareTransport } from './runtime/world.js';
import { startSteering } from './runtime/steering.js';

export { Comm } from './comm/comm.js';
export { Op } from './comm/ops.js';
export { Group, UNDEFINED, type GroupComparison } from './comm/group.js';
export { CartComm, dimsCreate, type CartOptions } from './comm/cart.js';
export { InterComm } from './comm/intercomm.js';
export type { TypedArray } from './comm/collectives.js';
export { Request } from './comm/request.js';
export { Status } from './comm/status.js';
export { ANY_SOURCE, ANY_TAG, PROC_NULL, TAG_UB } from './comm/constants.js';
export * from './errors.js';

await prepareTransport(); // an MPI job's ranks load the MPI transport here; others never do

/** The communicator of every rank in the job. */
export const world: Comm = getWorld();
await startSteering(world); // with SIMDECK_STEER=1, world rank 0 opens the steering server here
/** This deck's ranks in an MPMD job; the same as `world` for a single deck. */
export const app: Comm = getApp();
/** The index of this rank's deck in an MPMD job (0 for a single deck). */
export const appIndex: number = getAppIndex();
