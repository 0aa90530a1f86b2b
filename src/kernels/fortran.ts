/**
 * Fortran conventions as gfortran implements them: symbol names, the array descriptor of
 * allocatable and pointer arrays, strings with blank padding, and column-major indexing so a
 * Fortran `u(nx, ny)` can be read as `(i, j)` from TypeScript.
 */
import { ArgumentError, describe } from '../errors.js';
import type { AnyTypedArray } from './ctypes.js';

/**
 * The symbol gfortran gives a procedure: `bind(C, name='x')` → `x`; `bind(C)` → the lower-case
 * name; a module procedure → `__<module>_MOD_<name>`; an external procedure → `<name>_`.
 * Pure function, never throws.
 */
export function mangleFortran(name: string, opts: { bind?: string | null | undefined; module?: string | null } = {}): string {
  if (opts.bind !== undefined) return opts.bind ?? name.toLowerCase();
  if (opts.module !== undefined && opts.module !== null) return `__${opts.module.toLowerCase()}_MOD_${name.toLowerCase()}`;
  return `${name.toLowerCase()}_`;
}

/** The symbol gfortran gives a module variable: `__<module>_MOD_<name>`. Never throws. */
export function mangleModuleVariable(module: string, name: string): string {
  return `__${module.toLowerCase()}_MOD_${name.toLowerCase()}`;
}

/**
 * gfortran 8+ array descriptor (`gfc_descriptor_t`) layout on 64-bit Linux, checked against
 * gfortran 12 (test/kernels/moduleData.test.ts allocates arrays of rank 1 to 3 and reads them):
 *
 * | bytes | field |
 * |---|---|
 * | 0 | base_addr (data pointer; NULL when unallocated) |
 * | 8 | offset |
 * | 16 | dtype.elem_len (size_t) |
 * | 24 | dtype.version (int) |
 * | 28 | dtype.rank (int8) |
 * | 29 | dtype.type (int8: 1 integer, 2 logical, 3 real) |
 * | 30 | dtype.attribute (int16) |
 * | 32 | span |
 * | 40 + 24·k | dim[k].stride, dim[k].lbound, dim[k].ubound |
 */
export const descriptorLayout = {
  base: 0,
  elemLen: 16,
  rank: 28,
  type: 29,
  span: 32,
  dims: 40,
  dimBytes: 24,
} as const;

/** Size in bytes of a descriptor of `rank` dimensions. */
export function descriptorBytes(rank: number): number {
  return descriptorLayout.dims + descriptorLayout.dimBytes * rank;
}

/** Decodes a blank-padded Fortran string (bytes) into a JS string without the trailing blanks. Never throws. */
export function fromFortranString(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0)) end--;
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
}

/**
 * Encodes `text` as a Fortran string of `length` bytes, padded with blanks (a new Buffer).
 * Throws ArgumentError if `text` is longer than `length`.
 */
export function toFortranString(text: string, length: number): Buffer {
  const b = Buffer.from(text, 'utf8');
  if (b.length > length) throw new ArgumentError(`string ${describe(text)} is ${b.length} bytes; the Fortran variable holds ${length}`);
  const out = Buffer.alloc(length, 0x20);
  b.copy(out);
  return out;
}

/**
 * A column-major view over a typed array, indexed as Fortran indexes it: `a.get(i, j)` is
 * Fortran's `a(i, j)`, first index fastest, with Fortran's lower bounds (1 unless given).
 * The data is not copied. Index methods throw ArgumentError when an index is out of bounds.
 */
export class FortranArray<T extends AnyTypedArray = Float64Array> {
  /** Extents, in Fortran order. */
  readonly shape: readonly number[];
  /** Lower bounds, in Fortran order. */
  readonly lbounds: readonly number[];
  /** Element strides (1, n1, n1*n2, ...). */
  readonly strides: readonly number[];

  /** Wraps `data` (at least the product of `shape` elements). Throws ArgumentError if it is too short. */
  constructor(readonly data: T, shape: readonly number[], lbounds?: readonly number[]) {
    if (shape.length === 0 || shape.some((n) => !Number.isInteger(n) || n < 0)) {
      throw new ArgumentError(`FortranArray shape must be non-negative integers, got [${shape.join(', ')}]`);
    }
    const lb = lbounds ?? shape.map(() => 1);
    if (lb.length !== shape.length || lb.some((n) => !Number.isInteger(n))) {
      throw new ArgumentError(`FortranArray lower bounds [${lb.join(', ')}] do not match shape [${shape.join(', ')}]`);
    }
    const strides: number[] = [];
    let n = 1;
    for (const e of shape) { strides.push(n); n *= e; }
    if (data.length < n) throw new ArgumentError(`FortranArray of shape [${shape.join(', ')}] needs ${n} elements, the data has ${data.length}`);
    this.shape = [...shape];
    this.lbounds = [...lb];
    this.strides = strides;
  }

  /** Allocates a zeroed array of `shape` (Fortran order) with element type `ctor`. */
  static zeros<C extends new (n: number) => AnyTypedArray>(ctor: C, shape: readonly number[], lbounds?: readonly number[]): FortranArray<InstanceType<C>> {
    const n = shape.reduce((a, b) => a * b, 1);
    return new FortranArray(new ctor(n) as InstanceType<C>, shape, lbounds);
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Offset into `data` of Fortran index `(i, j, ...)`. Throws ArgumentError when out of bounds. */
  index(...idx: number[]): number {
    if (idx.length !== this.shape.length) throw new ArgumentError(`index needs ${this.shape.length} subscripts, got ${idx.length}`);
    let off = 0;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k] as number, lo = this.lbounds[k] as number, n = this.shape[k] as number;
      if (!Number.isInteger(i) || i < lo || i >= lo + n) {
        throw new ArgumentError(`subscript ${k + 1} is ${describe(i)}, outside ${lo}:${lo + n - 1}`);
      }
      off += (i - lo) * (this.strides[k] as number);
    }
    return off;
  }

  /** Element `(i, j, ...)`. Throws ArgumentError when out of bounds. */
  get(...idx: number[]): T[number] {
    return this.data[this.index(...idx)] as T[number];
  }

  /** Sets element `(i, j, ...)`: `a.set(i, j, value)`. Throws ArgumentError when out of bounds. */
  set(...args: [...number[], T[number]]): void {
    const value = args[args.length - 1] as T[number];
    const idx = args.slice(0, -1) as number[];
    (this.data as unknown as Record<number, T[number]>)[this.index(...idx)] = value;
  }

  /** Column `j` of a rank-2 array (a subarray view, no copy). Throws ArgumentError when out of bounds or not rank 2. */
  column(j: number): T {
    if (this.shape.length !== 2) throw new ArgumentError('column() needs a rank-2 array');
    const start = this.index(this.lbounds[0] as number, j);
    return this.data.subarray(start, start + (this.shape[0] as number)) as T;
  }
}
