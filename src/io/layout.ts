/**
 * Where a block of a field lies in the whole field as stored in a file: the dataset's
 * dimensions (the grid's memory order, dof last), a block's hyperslab, placing a packed block
 * into the whole array. Pure arithmetic on plain headers: no communicator and no
 * DistributedArray here, so a helper's writing thread can use it without joining the job.
 */
import type { TypedArray } from '../comm/collectives.js';
import { ArgumentError } from '../errors.js';
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

/** Whether simdeck/io stores typed arrays of class `type` (by name), and the classes it stores. */
export function isStorable(type: string): boolean {
  return TYPES[type] !== undefined;
}
export const STORABLE = Object.keys(TYPES);

/** Bytes per element of typed-array class `type`. */
export function bytesPer(type: string): number {
  return TYPES[type]?.BYTES_PER_ELEMENT ?? 8;
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

/** Places a packed block (`h.start`, `h.size`) into the global array `global` (memory order). Local. */
export function placeBlock(global: TypedArray, h: BlockHeader, block: TypedArray): void {
  const ord = order(h);
  const counts = ord.map((d) => h.size[d]);
  const gs = denseStrides(ord.map((d) => h.shape[d]), h.dof);
  let off = 0;
  ord.forEach((d, q) => { off += h.start[d] * gs[q]; });
  copyBox(block, 0, denseStrides(counts, h.dof), global, off, gs, counts, h.dof);
}

/**
 * Where a block lies in the global array (memory order) when its points are one contiguous run
 * there — it spans whole rows of every faster dimension, as the blocks of a decomposition along
 * the slowest dimension do: [first element, elements]. Null when the block is strided. Local.
 */
export function contiguousRun(h: BlockHeader): [number, number] | null {
  const ord = order(h);
  const counts = ord.map((d) => h.size[d]), dims = ord.map((d) => h.shape[d]);
  let k = 0;
  while (k < counts.length - 1 && counts[k] === 1) k++;
  for (let q = k + 1; q < counts.length; q++) if (counts[q] !== dims[q]) return null;
  const gs = denseStrides(dims, h.dof);
  let off = 0;
  ord.forEach((d, q) => { off += h.start[d] * gs[q]; });
  return [off, blockElements(h.size, h.dof)];
}

/** The hyperslab of a block in the dataset's dimensions: [from, to) per file dimension. */
export function blockSlice(h: { shape: readonly number[]; layout: 'C' | 'F'; dof: number }, start: readonly number[], size: readonly number[]): [number, number][] {
  const s: [number, number][] = order(h).map((d) => [start[d], start[d] + size[d]]);
  if (h.dof > 1) s.push([0, h.dof]);
  return s;
}

