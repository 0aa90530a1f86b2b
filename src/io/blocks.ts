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

/** What a rank says about its block of one field. */
export interface BlockHeader {
  /** The dataset name in the file. */
  name: string;
  /** The typed-array class name (Float64Array, ...). */
  type: string;
  /** Global points per dimension, index order. */
  shape: number[];
  layout: 'C' | 'F';
  dof: number;
  /** This block's first point and points per dimension (index order). */
  start: number[];
  size: number[];
}

const TYPES: Record<string, { new(n: number): TypedArray; readonly BYTES_PER_ELEMENT: number }> = {
  Float64Array, Float32Array, Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array,
};

/** A new typed array of class `type` (by name) with `n` elements. Throws ArgumentError for an unknown class. */
export function newArray(type: string, n: number): TypedArray {
  const cls = TYPES[type];
  if (cls === undefined) throw new ArgumentError(`simdeck/io cannot store ${type} arrays; use one of ${Object.keys(TYPES).join(', ')}`);
  return new cls(n);
}

/** Bytes per element of typed-array class `type`. */
export function bytesPer(type: string): number {
  return TYPES[type]?.BYTES_PER_ELEMENT ?? 8;
}

/** The header of this rank's block of `a`, stored as dataset `name`. Local. */
export function headerOf(name: string, a: DistributedArray<TypedArray>): BlockHeader {
  const g = a.grid;
  return { name, type: a.data.constructor.name, shape: [...g.shape], layout: g.layout, dof: g.dof, start: [...g.start], size: [...g.size] };
}

/** Memory order of the dimensions: slowest first. */
function order(h: { shape: readonly number[]; layout: 'C' | 'F' }): number[] {
  const d = h.shape.map((_, i) => i);
  return h.layout === 'C' ? d : d.reverse();
}

/** The dataset's dimensions in the file (memory order, then dof when > 1). */
export function fileDims(h: { shape: readonly number[]; layout: 'C' | 'F'; dof: number }): number[] {
  const dims = order(h).map((d) => h.shape[d]);
  return h.dof > 1 ? [...dims, h.dof] : dims;
}

/** Elements of a block of `size` points with `dof` components. */
export function blockElements(size: readonly number[], dof: number): number {
  return size.reduce((a, b) => a * b, dof);
}

/** The number of elements of the whole field. */
export function globalElements(h: { shape: readonly number[]; dof: number }): number {
  return blockElements(h.shape, h.dof);
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

/** Places a packed block (`h.start`, `h.size`) into the global array `global` (memory order). Local. */
export function placeBlock(global: TypedArray, h: BlockHeader, block: TypedArray): void {
  const ord = order(h);
  const counts = ord.map((d) => h.size[d]);
  const gs = denseStrides(ord.map((d) => h.shape[d]), h.dof);
  let off = 0;
  ord.forEach((d, q) => { off += h.start[d] * gs[q]; });
  copyBox(block, 0, denseStrides(counts, h.dof), global, off, gs, counts, h.dof);
}

/** The hyperslab of a block in the dataset's dimensions: [from, to) per file dimension. */
export function blockSlice(h: { shape: readonly number[]; layout: 'C' | 'F'; dof: number }, start: readonly number[], size: readonly number[]): [number, number][] {
  const s: [number, number][] = order(h).map((d) => [start[d], start[d] + size[d]]);
  if (h.dof > 1) s.push([0, h.dof]);
  return s;
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
    if (TYPES[(a as DistributedArray<TypedArray>).data.constructor.name] === undefined) {
      throw new ArgumentError(`${what}: field '${name}' is a ${(a as DistributedArray<TypedArray>).data.constructor.name}; simdeck/io stores ${Object.keys(TYPES).join(', ')}`);
    }
  }
  return list as [string, DistributedArray<TypedArray>][];
}
