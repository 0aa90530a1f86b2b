/**
 * Cartesian topology: `comm.cart({ dims, periods })` arranges ranks on a grid (row-major, as in
 * MPI), with neighbours by `shift`, sub-grids by `sub`, and `neighborAlltoall` for halo-like
 * exchanges. `dimsCreate` picks a balanced grid shape.
 */
import { ArgumentError, describe } from '../errors.js';
import { PROC_NULL } from '../transport/transport.js';
import { Comm, contextCounter } from './comm.js';
import * as coll from './collectives.js';
import { checkAllSendable, Coll, run } from './collectives.js';

/**
 * A balanced grid of `nnodes` processes in `ndims` dimensions, as MPI_Dims_create: sizes as
 * close to each other as possible, non-increasing. Non-zero entries of `dims` are kept fixed.
 * Throws ArgumentError when the fixed sizes do not divide `nnodes`.
 */
export function dimsCreate(nnodes: number, ndims: number, dims: readonly number[] = []): number[] {
  if (!Number.isInteger(nnodes) || nnodes < 1 || nnodes > INT_MAX) throw new ArgumentError(`dimsCreate: nnodes must be an integer from 1 to ${INT_MAX}, got ${describe(nnodes)}`);
  if (!Number.isInteger(ndims) || ndims < 1 || ndims > MAX_DIMS) throw new ArgumentError(`dimsCreate: ndims must be an integer from 1 to ${MAX_DIMS}, got ${describe(ndims)}`);
  if (!Array.isArray(dims)) throw new ArgumentError(`dimsCreate: dims must be an array of sizes (0 = free), got ${describe(dims)}`);
  const out = Array.from({ length: ndims }, (_, i) => dims[i] ?? 0);
  if (out.some((d) => !Number.isInteger(d) || d < 0)) throw new ArgumentError(`dimsCreate: dims entries must be non-negative integers, got [${out.join(', ')}]`);
  const fixed = out.filter((d) => d > 0).reduce((a, b) => a * b, 1);
  if (nnodes % fixed !== 0) throw new ArgumentError(`dimsCreate: the fixed sizes [${out.join(', ')}] do not divide ${nnodes}`);
  let rest = nnodes / fixed;
  const free = out.map((d, i) => (d === 0 ? i : -1)).filter((i) => i >= 0);
  if (free.length === 0) {
    if (rest !== 1) throw new ArgumentError(`dimsCreate: dims [${out.join(', ')}] multiply to ${fixed}, not ${nnodes}`);
    return out;
  }
  const primes: number[] = [];
  for (let f = 2; f * f <= rest; f++) while (rest % f === 0) { primes.push(f); rest /= f; }
  if (rest > 1) primes.push(rest);
  const sizes = free.map(() => 1);
  for (const f of primes.sort((a, b) => b - a)) {
    let smallest = 0;
    for (let i = 1; i < sizes.length; i++) if (sizes[i] < sizes[smallest]) smallest = i;
    sizes[smallest] *= f;
  }
  sizes.sort((a, b) => b - a);
  free.forEach((i, k) => { out[i] = sizes[k]; });
  return out;
}

/** The largest value of a C int (MPI's integer arguments). */
const INT_MAX = 0x7fffffff;
/** The most dimensions a Cartesian grid may have (a bound that keeps a mistyped count from exhausting memory). */
const MAX_DIMS = 64;

/** Options of `comm.cart`. */
export interface CartOptions {
  dims: readonly number[];
  periods?: readonly boolean[];
  /** Accepted for MPI compatibility; ranks keep their order. */
  reorder?: boolean;
}

/** A communicator whose ranks sit on a Cartesian grid. */
export class CartComm extends Comm {
  /** Grid size per dimension, and whether each dimension wraps around. */
  readonly dims: readonly number[];
  readonly periods: readonly boolean[];
  /** This rank's grid coordinates. */
  readonly coords: readonly number[];

  /** @internal Use `comm.cart(...)`. */
  constructor(base: Comm, context: number, worldRanks: Int32Array, dims: readonly number[], periods: readonly boolean[], name: string) {
    super(base.transport, context, worldRanks, name);
    this.dims = dims;
    this.periods = periods;
    this.coords = this.coordsOf(this.rank);
  }

  /** The number of dimensions. */
  get ndims(): number {
    return this.dims.length;
  }

  /** The grid coordinates of `rank` (local). Throws ArgumentError for a rank outside the grid. */
  coordsOf(rank: number): number[] {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) throw new ArgumentError(`coordsOf: rank must be from 0 to ${this.size - 1}, got ${describe(rank)}`);
    const c = new Array<number>(this.dims.length);
    let rest = rank;
    for (let d = this.dims.length - 1; d >= 0; d--) { c[d] = rest % this.dims[d]; rest = Math.floor(rest / this.dims[d]); }
    return c;
  }

  /** The rank at `coords` (wrapped in periodic dimensions); PROC_NULL off a non-periodic edge. */
  rankOf(coords: readonly number[]): number {
    if (!Array.isArray(coords) || coords.length !== this.dims.length || coords.some((x) => !Number.isInteger(x))) {
      throw new ArgumentError(`rankOf: coords must be ${this.dims.length} integers, got ${describe(coords)}`);
    }
    let rank = 0;
    for (let d = 0; d < this.dims.length; d++) {
      let x = coords[d];
      if (x < 0 || x >= this.dims[d]) {
        if (!this.periods[d]) return PROC_NULL;
        x = ((x % this.dims[d]) + this.dims[d]) % this.dims[d];
      }
      rank = rank * this.dims[d] + x;
    }
    return rank;
  }

  /** The ranks `disp` steps below (source) and above (dest) this one along `dim`; PROC_NULL past a non-periodic edge. */
  shift(dim: number, disp = 1): { source: number; dest: number } {
    if (!Number.isInteger(dim) || dim < 0 || dim >= this.dims.length) throw new ArgumentError(`shift: dim must be from 0 to ${this.dims.length - 1}, got ${describe(dim)}`);
    if (!Number.isInteger(disp) || Math.abs(disp) > INT_MAX) throw new ArgumentError(`shift: disp must be an integer from ${-INT_MAX} to ${INT_MAX}, got ${describe(disp)}`);
    const at = (delta: number) => { const c = [...this.coords]; c[dim] += delta; return this.rankOf(c); };
    return { source: at(-disp), dest: at(disp) };
  }

  /** Collective: the sub-grids keeping the dimensions where `remain` is true (one per other coordinate). */
  sub(remain: readonly boolean[]): CartComm {
    if (!Array.isArray(remain) || remain.length !== this.dims.length) throw new ArgumentError(`sub: remain must have ${this.dims.length} booleans, got ${describe(remain)}`);
    let color = 0;
    let key = 0;
    for (let d = 0; d < this.dims.length; d++) {
      if (remain[d]) key = key * this.dims[d] + this.coords[d];
      else color = color * this.dims[d] + this.coords[d];
    }
    const part = this.split(color, key)!;
    part.free(); // its context lives on in the CartComm made from it
    const dims = this.dims.filter((_, d) => remain[d]);
    const periods = this.periods.filter((_, d) => remain[d]);
    return new CartComm(part, part.context, Int32Array.from(part.worldRanks ?? []), dims.length ? dims : [1], dims.length ? periods : [false], `${this.name}.sub`);
  }

  /**
   * Collective: sends `values[2d]` to the neighbour below along dimension d and `values[2d+1]`
   * to the one above; returns what those neighbours sent, in the same layout (undefined where
   * the neighbour is PROC_NULL).
   */
  neighborAlltoall<T = unknown>(values: readonly T[]): (T | undefined)[] {
    const n = 2 * this.dims.length;
    if (!Array.isArray(values) || values.length !== n) throw new ArgumentError(`neighborAlltoall: pass ${n} values (below and above, per dimension), got ${describe(values)}`);
    checkAllSendable(values, 'neighborAlltoall');
    const to: number[] = [];
    for (let d = 0; d < this.dims.length; d++) { const { source, dest } = this.shift(d, 1); to.push(source, dest); }
    const c = new Coll(this, 'neighborAlltoall', -1, -1);
    return run(c, coll.neighborExchange(c, values as unknown[], to, PROC_NULL)) as (T | undefined)[];
  }
}

declare module './comm.js' {
  interface Comm {
    /**
     * Collective: arranges the first prod(dims) ranks on a Cartesian grid; other ranks get null.
     * Throws ArgumentError when the grid needs more ranks than the communicator has.
     */
    cart(options: CartOptions): CartComm | null;
  }
}

Comm.prototype.cart = function cart(this: Comm, options: CartOptions): CartComm | null {
  this.intraOnly('cart');
  const dims = options?.dims;
  if (!Array.isArray(dims) || dims.length === 0 || dims.length > MAX_DIMS || dims.some((d) => !Number.isInteger(d) || d < 1 || d > INT_MAX)) {
    throw new ArgumentError(`cart: dims must be an array of 1 to ${MAX_DIMS} positive integers (see dimsCreate), got ${describe(dims)}`);
  }
  const total = dims.reduce((a, b) => a * b, 1);
  if (total > this.size) throw new ArgumentError(`cart: dims [${dims.join(', ')}] need ${total} ranks but ${this.name} has ${this.size}`);
  const periods = dims.map((_, d) => Boolean(options.periods?.[d]));
  const c = new Coll(this, 'cart', -1, total);
  const ctx = run(c, this.agreeContext(c));
  void contextCounter;
  if (this.rank >= total) return null;
  const members = Int32Array.from({ length: total }, (_, i) => (this.worldRanks === null ? i : this.worldRanks[i]));
  return new CartComm(this, ctx, members, [...dims], periods, `${this.name}.cart`);
};
