/**
 * How a DistributedArray's blocks map onto one global array in a file. A field is stored in
 * its grid's memory order: dimensions as given for layout 'C' (h5py's `f['u'][i, j]` is
 * u(i, j)), reversed for layout 'F' (as Fortran's HDF5 API stores u(nx, ny): h5py sees
 * `[ny, nx]`), with `dof` components as a last dimension when there are several. A block is
 * always moved packed: its owned points, dense, in memory order.
 */
import type { TypedArray } from '../comm/collectives.js';
import { ArgumentError, describe } from '../errors.js';
import { DistributedArray } from '../../decomposition/index.js';
import { copyBox, denseStrides } from '../../decomposition/box.js';
import { isStorable, STORABLE, type BlockHeader } from './layout.js';

export { blockElements, blockSlice, bytesPer, contiguousRun, fileDims, globalElements, newArray, placeBlock, type BlockHeader } from './layout.js';

/** The header of this rank's block of `a`, stored as dataset `name`. Local. */
export function headerOf(name: string, a: DistributedArray<TypedArray>): BlockHeader {
  const g = a.grid;
  return { name, type: a.data.constructor.name, shape: [...g.shape], layout: g.layout, dof: g.dof, start: [...g.start], size: [...g.size] };
}

/** Copies the owned points of `a` into `out` (dense, memory order); returns `out`. Local. */
export function packBlock<A extends TypedArray>(a: DistributedArray<A>, out: A): A {
  const g = a.grid, o = g.owned();
  copyBox(a.data, o.offset, o.strides, out, 0, denseStrides(o.counts, g.dof), o.counts, g.dof);
  return out;
}

/** Copies a packed block into the owned points of `a` (ghosts untouched). Local. */
export function unpackBlock<A extends TypedArray>(block: A, a: DistributedArray<A>): void {
  const g = a.grid, o = g.owned();
  copyBox(block, 0, denseStrides(o.counts, g.dof), a.data, o.offset, o.strides, o.counts, g.dof);
}

/** Checks a record of fields: names → DistributedArrays. Throws ArgumentError saying what is wrong. */
export function checkFields(fields: unknown, what: string): [string, DistributedArray<TypedArray>][] {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || fields instanceof DistributedArray) {
    throw new ArgumentError(`${what}: fields must be an object of named DistributedArrays, as { u } or { temperature: u }, got ${describe(fields)}`);
  }
  const list = Object.entries(fields as Record<string, unknown>);
  if (list.length === 0) throw new ArgumentError(`${what}: fields is empty; pass at least one DistributedArray, as { u }`);
  for (const [name, a] of list) {
    if (!(a instanceof DistributedArray)) throw new ArgumentError(`${what}: field '${name}' must be a DistributedArray (grid.zeros(...)), got ${describe(a)}`);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new ArgumentError(`${what}: field name '${name}' must start with a letter or _ and hold only letters, digits, _, . and -`);
    if (!isStorable((a as DistributedArray<TypedArray>).data.constructor.name)) {
      throw new ArgumentError(`${what}: field '${name}' is a ${(a as DistributedArray<TypedArray>).data.constructor.name}; simdeck/io stores ${STORABLE.join(', ')}`);
    }
  }
  return list as [string, DistributedArray<TypedArray>][];
}
