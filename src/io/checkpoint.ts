/**
 * Restart from a checkpoint on any number of ranks and any process grid: every rank opens the
 * file (read-only; HDF5 readers need no lock) and reads only its own block of each array
 * (a hyperslab), whatever decomposition wrote it; then ghosts are exchanged and the loop's
 * state (step, time, dt, parameters) is handed back. Checkpoints store whole arrays, so the new
 * grid only needs the same global shape, element type, dof and layout.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TypedArray } from '../comm/collectives.js';
import { ArgumentError, describe } from '../errors.js';
import type { DistributedArray } from '../../decomposition/index.js';
import { blockSlice, checkFields, fileDims, unpackBlock } from './blocks.js';
import type { LoopState } from './dumpFile.js';
import { CheckpointMismatchError, FileFormatError, MissingFileError } from './errors.js';
import { h5call, loadHdf5, openH5 } from './hdf5.js';

/** The environment variable `--restart FILE` sets: the checkpoint a run restarts from. */
export const RESTART_ENV = 'SIMDECK_RESTART';

/** What a loop must offer to be checkpointed and restored (steer's Simulation has both). */
export interface Restorable {
  readonly state: LoopState;
  restore(state: LoopState): void;
}

/** The checkpoint this run restarts from: SIMDECK_RESTART (set by `--restart FILE`), or null. Local. */
export function restartFile(): string | null {
  const f = process.env[RESTART_ENV];
  return f === undefined || f === '' ? null : f;
}

/** Checks a loop state (from `loop.state`). Throws ArgumentError saying what is wrong. */
export function checkState(state: unknown, what: string): LoopState {
  const s = state as LoopState;
  if (typeof s !== 'object' || s === null) throw new ArgumentError(`${what}: the loop's state must be an object { step, time, dt?, params? }, got ${describe(state)}`);
  if (!Number.isInteger(s.step) || s.step < 0) throw new ArgumentError(`${what}: state.step must be a non-negative integer, got ${describe(s.step)}`);
  if (typeof s.time !== 'number' || !Number.isFinite(s.time)) throw new ArgumentError(`${what}: state.time must be a finite number, got ${describe(s.time)}`);
  if (s.dt !== undefined && (typeof s.dt !== 'number' || !Number.isFinite(s.dt))) throw new ArgumentError(`${what}: state.dt must be a finite number, got ${describe(s.dt)}`);
  if (s.params !== undefined && (typeof s.params !== 'object' || s.params === null)) throw new ArgumentError(`${what}: state.params must be an object of parameter values, got ${describe(s.params)}`);
  for (const [k, v] of Object.entries(s.params ?? {})) {
    if (!['number', 'string', 'boolean'].includes(typeof v)) throw new ArgumentError(`${what}: parameter '${k}' must be a number, string or boolean, got ${describe(v)}`);
  }
  return { step: s.step, time: s.time, ...(s.dt !== undefined ? { dt: s.dt } : {}), ...(s.params !== undefined ? { params: { ...s.params } } : {}) };
}

/**
 * Fills `arrays` (owned points, then a halo exchange) from the checkpoint at `path` and returns
 * the loop state it holds; calls `loop.restore(state)` when a loop is given. Collective over
 * the arrays' grids (every rank calls it; each reads its own block). Async (loads HDF5 once).
 * Throws MissingFileError, FileFormatError, or CheckpointMismatchError (another shape, type,
 * dof or layout, or a missing array) saying what to change.
 */
export async function readCheckpoint(path: string, arrays: Record<string, DistributedArray<TypedArray>>, loop?: Pick<Restorable, 'restore'>): Promise<LoopState> {
  if (typeof path !== 'string' || path === '') throw new ArgumentError(`restart: the checkpoint must be a file path, got ${describe(path)}`);
  const list = checkFields(arrays, 'restart');
  if (loop !== undefined && (typeof loop !== 'object' || loop === null || typeof loop.restore !== 'function')) {
    throw new ArgumentError(`restart: loop must have restore(state) (steer's Simulation has it), got ${describe(loop)}`);
  }
  const abs = resolve(path);
  if (!existsSync(abs)) {
    throw new MissingFileError(`restart: there is no checkpoint ${abs}; check the file given to --restart (or ${RESTART_ENV}); checkpoints are named like checkpoint_000100.h5 in the output directory`, abs);
  }
  await loadHdf5();
  const file = openH5(abs, 'r', 'is it an HDF5 checkpoint written by simdeck?');
  try {
    const attr = (name: string) => (file.attrs[name] as { value: unknown } | undefined)?.value;
    if (attr('simdeck_kind') !== 'checkpoint') {
      throw new FileFormatError(`restart: ${abs} is not a simdeck checkpoint (it is ${attr('simdeck_kind') === undefined ? 'not written by simdeck' : `a ${attr('simdeck_kind')} file`}); restart from a checkpoint_*.h5 file`, abs);
    }
    const held = file.keys().filter((k) => k !== 'parameters');
    for (const [name, a] of list) {
      const ds = file.get(name) as unknown as { shape: number[]; attrs: Record<string, { value: unknown }>; slice(r: [number, number][]): unknown } | null;
      if (ds === null) {
        throw new CheckpointMismatchError(`restart: ${abs} holds no array '${name}' (it holds ${held.join(', ')}); register the arrays under the names they were checkpointed with`, abs);
      }
      const g = a.grid;
      const shape = Array.from(ds.attrs.grid_shape?.value as ArrayLike<number> ?? []);
      const layout = ds.attrs.layout?.value;
      const dof = Number(ds.attrs.dof?.value);
      const want = `shape [${g.shape.join(', ')}], dof ${g.dof}, layout ${g.layout}`;
      const have = `shape [${shape.join(', ')}], dof ${dof}, layout ${layout}`;
      if (shape.length !== g.shape.length || shape.some((n, d) => n !== g.shape[d]) || dof !== g.dof || layout !== g.layout) {
        throw new CheckpointMismatchError(`restart: array '${name}' in ${abs} has ${have} but this run's grid has ${want}; ` +
          'restart with a grid of the checkpoint\'s global shape, dof and layout (any number of ranks and any process grid work)', abs);
      }
      const dims = fileDims(g);
      if (ds.shape.length !== dims.length || ds.shape.some((n, d) => n !== dims[d])) throw new FileFormatError(`restart: dataset '${name}' in ${abs} has dimensions [${ds.shape.join(', ')}], not [${dims.join(', ')}] as its attributes say`, abs);
      const block = h5call('reading', abs, () => ds.slice(blockSlice(g, g.start, g.size))) as TypedArray;
      if (block === null || block.constructor !== a.data.constructor) {
        throw new CheckpointMismatchError(`restart: array '${name}' in ${abs} holds ${block?.constructor?.name ?? 'values'} but this run's array is a ${a.data.constructor.name}; make the array of the checkpoint's type`, abs);
      }
      unpackBlock(block, a);
    }
    const stateText = attr('state');
    let state: LoopState;
    try { state = checkState(JSON.parse(String(stateText)), 'restart'); } catch (e) {
      throw new FileFormatError(`restart: the loop state in ${abs} is damaged (${(e as Error).message})`, abs);
    }
    for (const [, a] of list) a.exchange();
    loop?.restore(state);
    return state;
  } finally {
    try { file.close(); } catch { /* read-only */ }
  }
}
