/**
 * A job's shared-memory segment, mapped (through koffi), and its life cycle: created by the
 * launcher (as a file, without koffi: segmentFile.ts), attached by every rank, unlinked as soon
 * as all ranks are attached (so a SIGKILLed job leaves nothing in /dev/shm), and swept at the
 * next start if the launcher died before that. Its layout is layout.ts, re-exported here.
 */
import { H, HEADER_BYTES, MAGIC, segmentBytes, type SegmentOptions, type SegmentShape } from './layout.js';
import { mapShared, unlinkShared, type Mapping } from '../../system/libc.js';

export * from './layout.js';

/** A mapped segment with typed views over all of it. */
export interface Segment extends Mapping {
  name: string;
  shape: SegmentShape;
  i32: Int32Array;
  f64: Float64Array;
  u8: Uint8Array;
}

function views(m: Mapping, name: string, shape: SegmentShape): Segment {
  return { ...m, name, shape, i32: new Int32Array(m.buffer), f64: new Float64Array(m.buffer), u8: new Uint8Array(m.buffer) };
}

/** Launcher: creates and initialises the segment of a new job. Throws on system failure. */
export function createSegment(name: string, opts: SegmentOptions): Segment {
  const shape = { size: opts.size, ringBytes: opts.ringBytes };
  const seg = views(mapShared(name, segmentBytes(shape), true), name, shape);
  seg.i32[H.SIZE] = opts.size;
  seg.i32[H.RING_BYTES] = opts.ringBytes;
  seg.i32[H.SPIN] = opts.spin ? 1 : 0;
  seg.i32[H.CMA] = opts.cma ? 1 : 0;
  Atomics.store(seg.i32, H.MAGIC, MAGIC);
  return seg;
}

/** Rank: maps the segment `name` made by the launcher. Throws when it is missing or not ours. */
export function attachSegment(name: string): Segment {
  const probe = mapShared(name, HEADER_BYTES, false);
  const head = new Int32Array(probe.buffer);
  if (Atomics.load(head, H.MAGIC) !== MAGIC) throw new Error(`shared-memory segment ${name} is not a simdeck segment`);
  const shape = { size: head[H.SIZE], ringBytes: head[H.RING_BYTES] };
  return views(mapShared(name, segmentBytes(shape), false), name, shape);
}

/** Removes a segment's name (the memory lives on while mapped). */
export function unlinkSegment(name: string): void {
  unlinkShared(name);
}

export { newSegmentName, sweepStale } from './segmentFile.js';
