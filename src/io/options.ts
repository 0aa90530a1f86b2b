/**
 * The options of startOutput, checked on every rank before anything happens.
 */
import { resolve } from 'node:path';
import { ArgumentError, describe } from '../errors.js';
import { checkArchiveOptions, type ArchiveOptions, type ArchiveSettings } from './archive.js';
import type { DumpInfo } from './dumpFile.js';

/** Options of `startOutput(comm, options)`. Only `dir` is required. */
export interface OutputOptions {
  /** The output directory (created if needed). */
  dir: string;
  /**
   * Helper ranks (the last ones of the communicator) that write files while the others go on
   * computing (default 0: rank 0 of the communicator gathers and writes, blocking).
   */
  helpers?: number;
  /** Archive each finished file: a directory (copied there), or { dir, mode } or { command, timeout }. */
  archive?: string | ArchiveOptions;
  /** gzip level 1-9 for dumps (checkpoints are never compressed); slow in h5wasm. */
  gzip?: number;
  /** Chunk shape of dump datasets, in file dimensions (default: none, or up to 256 per dimension with gzip). */
  chunks?: readonly number[];
  /**
   * Bytes of block buffers per worker (default 256 MiB): write() returns at once while its
   * blocks fit; otherwise it waits for earlier dumps to leave (the wait is measured).
   */
  buffer?: number;
  /** Defaults merged into every write's info (spacing, origin, units, params, attrs). */
  info?: DumpInfo;
  /** Print the end-of-run report on the first worker at close() (default true). */
  report?: boolean;
}

/** Options after checking. */
export interface CheckedOptions {
  dir: string;
  shownDir: string;
  helpers: number;
  archive: ArchiveSettings | null;
  gzip: number;
  chunks: number[] | null;
  buffer: number;
  info: DumpInfo;
  report: boolean;
}

const KNOWN = ['dir', 'helpers', 'archive', 'gzip', 'chunks', 'buffer', 'info', 'report'];

/** Checks startOutput's options for a communicator of `size` ranks. Throws ArgumentError saying what to change. */
export function checkOptions(options: unknown, size: number): CheckedOptions {
  const what = 'startOutput';
  if (typeof options !== 'object' || options === null) throw new ArgumentError(`${what}: options must be an object with at least { dir }, got ${describe(options)}`);
  const o = options as OutputOptions;
  for (const k of Object.keys(o)) if (!KNOWN.includes(k)) throw new ArgumentError(`${what}: unknown option '${k}'; the options are ${KNOWN.join(', ')}`);
  if (typeof o.dir !== 'string' || o.dir === '') throw new ArgumentError(`${what}: dir must be the output directory's path, got ${describe(o.dir)}`);
  const helpers = o.helpers ?? 0;
  if (!Number.isInteger(helpers) || helpers < 0 || helpers >= size) {
    throw new ArgumentError(`${what}: helpers must be an integer from 0 to ${size - 1} (the communicator has ${size} ranks and needs at least one worker), got ${describe(o.helpers)}`);
  }
  const gzip = o.gzip ?? 0;
  if (!Number.isInteger(gzip) || gzip < 0 || gzip > 9) throw new ArgumentError(`${what}: gzip must be a level from 1 to 9 (or 0 for none), got ${describe(o.gzip)}`);
  let chunks: number[] | null = null;
  if (o.chunks !== undefined) {
    if (!Array.isArray(o.chunks) || o.chunks.length === 0 || o.chunks.some((c) => !Number.isInteger(c) || c < 1)) {
      throw new ArgumentError(`${what}: chunks must be an array of positive integers (chunk points per file dimension), got ${describe(o.chunks)}`);
    }
    chunks = [...o.chunks];
  }
  const buffer = o.buffer ?? 256 * 2 ** 20;
  if (typeof buffer !== 'number' || !Number.isFinite(buffer) || buffer < 0) throw new ArgumentError(`${what}: buffer must be a number of bytes ≥ 0, got ${describe(o.buffer)}`);
  const info = checkInfo(o.info ?? {}, `${what}: info`);
  if (o.report !== undefined && typeof o.report !== 'boolean') throw new ArgumentError(`${what}: report must be true or false, got ${describe(o.report)}`);
  return {
    dir: resolve(o.dir), shownDir: o.dir, helpers, archive: checkArchiveOptions(o.archive, what), gzip, chunks, buffer, info, report: o.report ?? true,
  };
}

const INFO_KEYS = ['time', 'params', 'spacing', 'origin', 'units', 'attrs'];

/** Checks a DumpInfo. Throws ArgumentError saying what is wrong. */
export function checkInfo(info: unknown, what: string): DumpInfo {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new ArgumentError(`${what} must be an object { time?, params?, spacing?, origin?, units?, attrs? }, got ${describe(info)}`);
  const i = info as DumpInfo;
  for (const k of Object.keys(i)) if (!INFO_KEYS.includes(k)) throw new ArgumentError(`${what}: unknown entry '${k}'; the entries are ${INFO_KEYS.join(', ')}`);
  if (i.time !== undefined && (typeof i.time !== 'number' || !Number.isFinite(i.time))) throw new ArgumentError(`${what}.time must be a finite number, got ${describe(i.time)}`);
  for (const k of ['spacing', 'origin'] as const) {
    const v = i[k];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x)))) throw new ArgumentError(`${what}.${k} must be an array of numbers, one per dimension, got ${describe(v)}`);
  }
  for (const k of ['params', 'attrs', 'units'] as const) {
    const v = i[k];
    if (v === undefined) continue;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ArgumentError(`${what}.${k} must be an object of named values, got ${describe(v)}`);
    for (const [n, x] of Object.entries(v)) {
      const ok = k === 'units' ? typeof x === 'string' : ['number', 'string', 'boolean'].includes(typeof x);
      if (!ok) throw new ArgumentError(`${what}.${k}.${n} must be ${k === 'units' ? 'a string' : 'a number, string or boolean'}, got ${describe(x)}`);
    }
  }
  return i;
}

/** `info` over `defaults` (objects merged one level deep). */
export function mergeInfo(defaults: DumpInfo, info: DumpInfo): DumpInfo {
  const out: DumpInfo = { ...defaults, ...info };
  for (const k of ['params', 'attrs', 'units'] as const) if (defaults[k] || info[k]) (out as Record<string, unknown>)[k] = { ...defaults[k], ...info[k] };
  return out;
}
