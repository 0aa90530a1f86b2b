/**
 * The messages between workers and helper ranks, on the output service's own communicator (a
 * dup of the one startOutput split, so they never meet the deck's messages).
 *
 * Worker → helper, tag CONTROL: a dump's header (then one typed array per field, tag BLOCK,
 * each the worker's block packed in memory order), a series row (worker 0 only), the headers
 * of fields to prepare buffers for, or close. Helper → worker, tag REPLY: a dump written (or
 * failed), buffers prepared, and at the end 'closed' with the helper's figures. Dump k goes to helper k mod helpers; series `name` to one helper chosen by
 * its name; so one process writes each file.
 */
import type { BlockHeader } from './blocks.js';
import type { DumpInfo, LoopState } from './dumpFile.js';
import type { IoErrorReport } from './errors.js';
import type { SeriesRow } from './series.js';
import type { WriterStats } from './writer.js';

/** Message tags on the service's communicator. */
export const TAG = { CONTROL: 1, BLOCK: 2, REPLY: 3 } as const;

/** A worker's part of one dump: what it is, and the headers of the blocks that follow. */
export interface DumpMessage {
  kind: 'dump';
  seq: number;
  file: 'dump' | 'checkpoint';
  name: string;
  step: number;
  info: DumpInfo;
  state?: LoopState;
  blocks: BlockHeader[];
}

/** Worker → helper. */
export type ToHelper =
  | DumpMessage
  | { kind: 'series'; name: string; row: SeriesRow }
  /** Output.prepare: the headers of this worker's blocks of the fields to come. */
  | { kind: 'prepare'; blocks: BlockHeader[] }
  | { kind: 'close'; lastStep: number };

/** Helper → worker. */
export type ToWorker =
  | { kind: 'written'; seq: number; path: string; bytes: number; ms: number }
  | { kind: 'failed'; seq: number; error: IoErrorReport }
  /** The helper's buffers and HDF5 heap for the prepared fields are ready. */
  | { kind: 'prepared'; helper: number }
  | { kind: 'closed'; helper: number; stats: WriterStats; error: IoErrorReport | null };

/** The helper (0..helpers-1) that writes dump number `seq`. */
export function helperOfDump(seq: number, helpers: number): number {
  return seq % helpers;
}

/** The helper (0..helpers-1) that writes series `name` (always the same one). */
export function helperOfSeries(name: string, helpers: number): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return h % helpers;
}
