/**
 * The one buffering rule every transport follows, so that a deck finishes on every transport or
 * on none. A blocking send of a message up to {@link eagerLimit} bytes returns at once while
 * the buffer of its sender-receiver pair ({@link pairBufferBytes}) has room; a larger message's
 * send waits until the matching receive has started. Both sizes depend on the job's size only:
 *
 * | ranks  | pair buffer | eager limit |
 * |--------|-------------|-------------|
 * | 1-23   | 256 KiB     | 128 KiB     |
 * | 24-32  | 128 KiB     | 64 KiB      |
 * | 33-45  | 64 KiB      | 32 KiB      |
 * | 46-64  | 32 KiB      | 16 KiB      |
 * | 65-    | 16 KiB      | 8 KiB       |
 *
 * (the pair buffer is the largest power of two from 16 KiB to 256 KiB with which all pairs
 * take at most 128 MiB together). On shared memory the pair buffer is the ring from sender to
 * receiver; over MPI it is what the sender holds copied for that receiver.
 */

/** Bytes of buffer per ordered pair of ranks in a job of `size` ranks (a power of two). */
export function pairBufferBytes(size: number): number {
  if (size <= 8) return 256 * 1024;
  const budget = 128 * 1024 * 1024 / (size * (size - 1));
  let bytes = 16 * 1024;
  while (bytes * 2 <= Math.min(budget, 256 * 1024)) bytes *= 2;
  return bytes;
}

/**
 * The largest message a blocking send buffers (returns before the receiver takes it): half the
 * pair buffer, at most 128 KiB; SIMDECK_SHM_EAGER=BYTES lowers it (for tuning, on every transport).
 */
export function eagerLimit(size: number, pairBytes = pairBufferBytes(size)): number {
  return Math.min(pairBytes / 2, Number(process.env.SIMDECK_SHM_EAGER) || 128 * 1024);
}
