/**
 * One HDF5 file of whole fields (a dump or a checkpoint), written by one rank (a helper, or
 * rank 0 without helpers) under a partial name and committed whole (see atomicFile.ts).
 *
 * Layout of a file, as h5py shows it:
 *   attributes of `/`: simdeck_kind ('dump' | 'checkpoint'), name, step, time, dt (checkpoints),
 *     parameters (JSON text of the steerable parameters), state (checkpoints: JSON text of the
 *     loop's state), and the deck's own attributes
 *   group `/parameters`: one attribute per parameter (numbers and strings), for tools
 *   one dataset per field (e.g. `/u`), in the grid's memory order (see blocks.ts), with the
 *     attributes grid_shape (index order), layout, dof, spacing, origin, units, length_unit
 */
import { statSync } from 'node:fs';
import type { TypedArray } from '../comm/collectives.js';
import { commitFile, partialPath, removeQuietly } from './atomicFile.js';
import { fileDims, type BlockHeader } from './layout.js';
import { FileFormatError } from './errors.js';
import { h5call, openH5, reserveHeap, type H5File } from './hdf5.js';

/** A value a parameter or a deck attribute may take. */
export type AttrValue = number | string | boolean;

/** The loop's state kept in a checkpoint (the shape of steer's Simulation.state). */
export interface LoopState {
  step: number;
  time: number;
  dt?: number;
  params?: Record<string, AttrValue>;
}

/** What a dump records besides the fields. Every entry is optional. */
export interface DumpInfo {
  /** Simulated time of the dump (attribute `time`; default: the step). */
  time?: number;
  /** Parameters of the run (attribute `parameters` and group `/parameters`). */
  params?: Record<string, AttrValue>;
  /** Grid spacing per dimension, index order (dataset attribute `spacing`; default 1 each). */
  spacing?: readonly number[];
  /** Coordinates of point (0, 0, ...), index order (dataset attribute `origin`; default 0 each). */
  origin?: readonly number[];
  /** Units: of each field by its name, of lengths as `length` (dataset attributes `units`, `length_unit`). */
  units?: Record<string, string>;
  /** More attributes of the file root. */
  attrs?: Record<string, AttrValue>;
}

/** A whole field, assembled, with what its blocks said about it. */
export interface WholeField {
  header: BlockHeader;
  data: TypedArray;
}

/** Everything one file holds. */
export interface FileContent {
  kind: 'dump' | 'checkpoint';
  /** The dump's name ('fields', 'checkpoint', ...). */
  name: string;
  step: number;
  info: DumpInfo;
  fields: WholeField[];
  /** Checkpoints: the loop's state. */
  state?: LoopState;
}

/** How datasets are stored. */
export interface StorageOptions {
  /** gzip level 1-9 (slow in h5wasm: 8-24 MB/s), or 0/undefined for none. */
  gzip?: number;
  /** Chunk shape in file dimensions (memory order); default for gzip: up to 256 per dimension. */
  chunks?: readonly number[];
}

/** Heap room for HDF5's own metadata and buffers beside the fields' data. */
const HEAP_SLACK = 8 << 20;

/** What writing a file cost. */
export interface WriteResult {
  path: string;
  bytes: number;
  /** Milliseconds spent writing (HDF5, fsync, rename). */
  ms: number;
}

/** The file name of dump `name` at `step`: `name_000120.h5`. */
export function dumpFileName(name: string, step: number): string {
  return `${name}_${String(step).padStart(6, '0')}.h5`;
}

/**
 * Makes HDF5's heap ready (grown and faulted in, see reserveHeap) for files whose largest field
 * has the most of `fieldBytes` bytes. h5wasm copies each field into its heap before writing it,
 * and HDF5's metadata allocated between two files may split the freed space: hence room for two
 * of the largest field. Blocking; never throws.
 */
export function reserveFor(fieldBytes: readonly number[]): void {
  if (fieldBytes.length > 0) reserveHeap(2 * Math.max(...fieldBytes) + HEAP_SLACK);
}

/**
 * Writes `content` to `path` so that it appears complete or not at all. Blocking. Throws a
 * typed IoError (DiskFullError, NotWritableError, ...) and then leaves no partial file.
 * `pause` (tests only) runs after the first dataset is written, before the file is complete.
 * `fieldsDone` runs once every field's data has been handed to HDF5 (copied into its heap and
 * written), before the file is closed, synced and renamed: from then on the fields' arrays are
 * no longer read and their owner may reuse them. `dropPages`: the file's pages leave the page
 * cache once it is synced (commitFile).
 */
export function writeContent(path: string, content: FileContent, storage: StorageOptions, pause?: () => void, fieldsDone?: () => void, dropPages = false): WriteResult {
  const t0 = performance.now();
  const partial = partialPath(path);
  let file: H5File | null = null;
  reserveFor(content.fields.map((f) => f.data.byteLength));
  try {
    file = openH5(partial, 'w', '', path);
    writeInto(file, path, content, storage, pause);
    fieldsDone?.();
    const f = file;
    file = null;
    h5call('writing', path, () => f.close());
    commitFile(partial, path, dropPages);
  } catch (e) {
    if (file !== null) { try { file.close(); } catch { /* already failing */ } }
    removeQuietly(partial);
    throw e;
  }
  return { path, bytes: statSync(path).size, ms: performance.now() - t0 };
}

function writeInto(file: H5File, path: string, c: FileContent, storage: StorageOptions, pause?: () => void): void {
  const info = c.info;
  const time = c.state?.time ?? info.time ?? c.step;
  h5call('writing', path, () => {
    file.create_attribute('simdeck_kind', c.kind);
    file.create_attribute('name', c.name);
    file.create_attribute('step', c.step, [], '<i');
    file.create_attribute('time', time, [], '<d');
    const params = c.state?.params ?? info.params ?? {};
    file.create_attribute('parameters', JSON.stringify(params));
    if (c.state !== undefined) {
      file.create_attribute('dt', c.state.dt ?? 0, [], '<d');
      file.create_attribute('state', JSON.stringify(c.state));
    }
    for (const [k, v] of Object.entries(info.attrs ?? {})) writeAttr(file, k, v);
    const group = file.create_group('parameters');
    for (const [k, v] of Object.entries(params)) writeAttr(group, k, v);
  });
  c.fields.forEach((f, i) => {
    if (i === 1 && pause) pause();
    h5call('writing', path, () => writeField(file, f, info, storage));
  });
  if (c.fields.length === 1 && pause) pause();
}

function writeAttr(target: { create_attribute(name: string, data: unknown, shape?: number[] | null, dtype?: string | null): void }, name: string, v: AttrValue): void {
  if (typeof v === 'number') target.create_attribute(name, v, [], Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? '<i' : '<d');
  else if (typeof v === 'boolean') target.create_attribute(name, v ? 1 : 0, [], '<b');
  else target.create_attribute(name, String(v));
}

function writeField(file: H5File, f: WholeField, info: DumpInfo, storage: StorageOptions): void {
  const h = f.header;
  const dims = fileDims(h);
  let chunks: number[] | null = storage.chunks ? [...storage.chunks] : null;
  if (storage.gzip && chunks === null) chunks = dims.map((n) => Math.min(n, 256));
  if (chunks !== null && chunks.length < dims.length) chunks = [...chunks, ...dims.slice(chunks.length)];
  const ds = file.create_dataset({
    name: h.name, data: f.data as never, shape: dims,
    ...(chunks !== null ? { chunks: chunks.map((c, d) => Math.max(1, Math.min(c, dims[d]))) } : {}),
    ...(storage.gzip ? { compression: storage.gzip } : {}),
  });
  ds.create_attribute('grid_shape', Int32Array.from(h.shape));
  ds.create_attribute('layout', h.layout);
  ds.create_attribute('dof', h.dof, [], '<i');
  ds.create_attribute('spacing', Float64Array.from(info.spacing ?? h.shape.map(() => 1)));
  ds.create_attribute('origin', Float64Array.from(info.origin ?? h.shape.map(() => 0)));
  ds.create_attribute('units', info.units?.[h.name] ?? '');
  ds.create_attribute('length_unit', info.units?.length ?? '');
}

/** The kind ('dump', 'checkpoint', 'series') and step of a file simdeck wrote. Blocking; throws FileFormatError for other files. */
export function readKindAndStep(path: string): { kind: string; step: number } {
  const file = openH5(path, 'r');
  try {
    const attrs = file.attrs as Record<string, { value: unknown }>;
    const kind = attrs.simdeck_kind?.value;
    if (typeof kind !== 'string') throw new FileFormatError(`${path} was not written by simdeck (no simdeck_kind attribute); move it out of the output directory`, path);
    let step = Number(attrs.step?.value ?? NaN);
    if (kind === 'series') {
      const steps = (file.get('step') as unknown as { value: Int32Array } | null)?.value;
      step = steps && steps.length > 0 ? steps[steps.length - 1] : 0;
    }
    return { kind, step: Number.isFinite(step) ? step : 0 };
  } finally {
    try { file.close(); } catch { /* read-only */ }
  }
}
