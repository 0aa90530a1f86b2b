/**
 * Layout of a job's shared-memory segment (pure arithmetic, no system calls: see segment.ts for
 * its life cycle):
 *
 *   header (4 KiB)       magic, size, abort word, attach count, ring size, wait mode, ...
 *   rank blocks          one per rank, 512 B: doorbell, sleeper count, blocked-since, pid,
 *                        finished flag, count of long waits, the collective-area word slept
 *                        on, last kernel entered
 *   rings                one single-producer single-consumer ring per ordered pair (i → j, i ≠ j)
 *   collective areas     COLLECTIVE_AREAS areas, claimed one per communicator (collectiveArea.ts)
 */
import { pairBufferBytes } from '../buffering.js';

export const MAGIC = 0x53444b31;
export const HEADER_BYTES = 4096;
export const RANK_BLOCK_BYTES = 512;
/** Ring control block: consumer position in one cache line, producer position in another. */
export const RING_CTRL_BYTES = 128;

/** Int32 indices of header words. */
export const H = {
  MAGIC: 0, SIZE: 1, ABORT: 2, ABORT_RANK: 3, ATTACHED: 4, RING_BYTES: 5, SPIN: 6, CMA: 7, FINISHED: 8,
} as const;

/** Values of the abort word. */
export const Abort = { NONE: 0, ERROR: 1, HANG: 2, KILLED: 3, INTERRUPTED: 4, DEADLOCK: 5 } as const;

/** Byte offsets inside a rank block. */
export const R = {
  DOORBELL: 0, SLEEPERS: 64, BLOCKED_SINCE: 128, PID: 136, FINISHED: 140, WAITS: 144,
  /** While the rank sleeps in a collective area: the int32 index + 1 of the word it sleeps on, and the value it saw. */
  AREA_WORD: 148, AREA_VALUE: 152,
  KERNEL: 256,
} as const;

/** What a segment is built for. */
export interface SegmentShape {
  size: number;
  ringBytes: number;
}

/** Ring size for a job of `size` ranks: the pair buffer of the buffering rule (see transport/buffering.ts). */
export function defaultRingBytes(size: number): number {
  return pairBufferBytes(size);
}

/** Byte offset of rank `r`'s block. */
export function rankBlockOffset(r: number): number {
  return HEADER_BYTES + r * RANK_BLOCK_BYTES;
}

function ringsOffset(size: number): number {
  return Math.ceil((HEADER_BYTES + size * RANK_BLOCK_BYTES) / 4096) * 4096;
}

/** Byte offset of the control block of the ring carrying messages from `from` to `to`. */
export function ringOffset(shape: SegmentShape, from: number, to: number): number {
  const index = from * (shape.size - 1) + (to < from ? to : to - 1);
  return ringsOffset(shape.size) + index * (RING_CTRL_BYTES + shape.ringBytes);
}

/** How many communicators can have a collective area at once (the others use messages). */
export const COLLECTIVE_AREAS = 16;
/** Bytes of a rank's part of a collective area: control words and round lines, then AREA_BUFFERS data buffers (see collectiveArea.ts). */
export const AREA_SLOT_CTRL = 512;
export const AREA_DATA_BYTES = 1024;
/** Round lines and data buffers per rank in a collective area (rounds rotate through them). */
export const AREA_BUFFERS = 4;
export const AREA_HEADER_BYTES = 256;

/** Bytes of one collective area for communicators of up to `size` ranks. */
export function areaBytes(size: number): number {
  return AREA_HEADER_BYTES + size * (AREA_SLOT_CTRL + AREA_BUFFERS * AREA_DATA_BYTES);
}

/** Byte offset of collective area `i`. */
export function areaOffset(shape: SegmentShape, i: number): number {
  const rings = ringsOffset(shape.size) + shape.size * (shape.size - 1) * (RING_CTRL_BYTES + shape.ringBytes);
  return rings + i * areaBytes(shape.size);
}

/** Total bytes of a segment of this shape. */
export function segmentBytes(shape: SegmentShape): number {
  return areaOffset(shape, COLLECTIVE_AREAS);
}

/** Options the launcher writes into a new segment's header. */
export interface SegmentOptions extends SegmentShape {
  spin: boolean;
  cma: boolean;
}
