/**
 * Grid: a global structured grid of points (1-D, 2-D or 3-D) split into one block per rank of a
 * communicator, each block with a layer of ghost points around it. The grid knows every rank's
 * block, so any rank can answer "who owns point (i, j)?" without communicating; the arrays that
 * live on it are DistributedArrays (`grid.zeros(Float64Array)`).
 *
 * Indices are global and in index order (i, j, k) whatever the layout; `layout` only says how a
 * block is laid out in memory: 'C' (row-major, the last index fastest) or 'F' (column-major,
 * the first index fastest, as Fortran's u(nx, ny)). `dof` components of a point are interleaved
 * (the fastest of all in both layouts).
 */
import { ArgumentError, Comm, describe, type TypedArray } from '../src/index.js';
import { bindMethods } from '../src/comm/bind.js';
import { boxElements, type Strided } from './box.js';
import { DistributedArray } from './distributedArray.js';
import { checkElement } from './reduce.js';
import { GhostWidthError, GridMismatchError, OwnershipError } from './errors.js';
import { chooseProcs, INT_MAX, offsetsFromSizes, perDim, splitEven } from './ownership.js';

/** The most elements one typed array holds in Node (2^32 - 1). */
const MAX_BLOCK_ELEMENTS = 2 ** 32 - 1;

/** How blocks lie in memory: 'C' row-major (last index fastest), 'F' column-major (first fastest). */
export type Layout = 'C' | 'F';
/** Which ghost points a halo exchange fills: 'star' the faces only, 'box' faces, edges and corners. */
export type Stencil = 'star' | 'box';

/** Options of `new Grid(comm, options)`. Only `shape` is required. */
export interface GridOptions {
  /** Global points per dimension, in index order: `[n]`, `[nx, ny]` or `[nx, ny, nz]`. */
  shape: readonly number[];
  /** Ghost width, one for all dimensions or one per dimension (default 0: no ghosts). */
  ghosts?: number | readonly number[];
  /** 'star' (default) exchanges faces only; 'box' also edges and corners (9- or 27-point stencils). */
  stencil?: Stencil;
  /** Whether the grid wraps around, for all dimensions or per dimension (default false). */
  periodic?: boolean | readonly boolean[];
  /** Processes per dimension; 0 entries (or leaving it out) let the grid choose. Must multiply to the communicator's size. */
  procs?: readonly number[];
  /**
   * Custom ownership (PETSc's lx, ly, lz): per dimension, the number of points each process
   * along it owns, or null to split that dimension evenly. Fixes `procs` along those dimensions.
   */
  ownership?: readonly (readonly number[] | null | undefined)[];
  /** Memory layout of the blocks: 'C' (default) or 'F' for Fortran kernels. */
  layout?: Layout;
  /** Components per point, interleaved (default 1). */
  dof?: number;
}

/** A box of points in global indices: its first point, its size and one past its last point, per dimension. */
export interface Corners {
  start: number[];
  size: number[];
  end: number[];
}

/** A typed-array class: Float64Array, Int32Array, ... */
export type TypedArrayClass<A extends TypedArray = TypedArray> = { new(length: number): A; readonly BYTES_PER_ELEMENT: number; readonly name: string };

/** @internal Tags on a grid's private communicator: halo exchange, one per direction (0..26). */
export const TAG_EXCHANGE = 0;
/** @internal Tags of accumulateGhosts, one per direction (32..58): never matched by an exchange. */
export const TAG_ACCUMULATE = 32;
/** @internal The tag of a redistribution's messages. */
export const TAG_REDISTRIBUTE = 64;

/** A global structured grid split into blocks, one per rank of a communicator. */
export class Grid {
  /** The communicator the grid was made on. */
  readonly comm: Comm;
  /** Number of dimensions (1, 2 or 3). */
  readonly ndim: number;
  /** Global points per dimension (index order). */
  readonly shape: readonly number[];
  /** Ghost width per dimension. */
  readonly ghosts: readonly number[];
  /** Which ghost points a halo exchange fills. */
  readonly stencil: Stencil;
  /** Whether each dimension wraps around. */
  readonly periodic: readonly boolean[];
  /** Processes per dimension (their product is the communicator's size). */
  readonly procs: readonly number[];
  /** Memory layout of the blocks. */
  readonly layout: Layout;
  /** Components per point. */
  readonly dof: number;
  /**
   * Ownership offsets per dimension: process c along dimension d owns points
   * `offsets[d][c]` to `offsets[d][c + 1] - 1`.
   */
  readonly offsets: readonly (readonly number[])[];
  /** This rank (in `comm`) and its coordinates in the process grid. */
  readonly rank: number;
  readonly coords: readonly number[];
  /** The owned block of this rank: first point and points per dimension. */
  readonly start: readonly number[];
  readonly size: readonly number[];
  /** The block with its ghost layer (the memory of `data`): first point (may be negative) and points per dimension. */
  readonly ghostStart: readonly number[];
  readonly ghostSize: readonly number[];
  /** Elements between neighbouring points along each dimension of a local block, index order. */
  readonly strides: readonly number[];
  /** Elements of a local block including ghosts (the length of `data`). */
  readonly localLength: number;
  /** @internal The grid's private communicator (a dup of `comm`): its messages never meet the deck's. */
  readonly channel: Comm;
  /** @internal Dimensions from slowest to fastest in memory. */
  readonly order: readonly number[];
  /** @internal Lazily built per-grid plans (halo, owned runs, redistributions). */
  readonly cache = new Map<unknown, unknown>();

  /**
   * Collective over `comm` (every rank passes the same options): splits the grid among the
   * ranks. Throws ArgumentError for malformed options, ProcessGridError when `procs` does not
   * multiply to the communicator's size (or no process grid fits the shape), OwnershipError for
   * ownership sizes that do not add up, GhostWidthError when a ghost layer is wider than a
   * neighbour's block, GridMismatchError when ranks passed different options.
   */
  constructor(comm: Comm, options: GridOptions) {
    if (!(comm instanceof Comm)) throw new ArgumentError(`new Grid(comm, options): comm must be a communicator (world, or one made from it), got ${describe(comm)}`);
    if (typeof options !== 'object' || options === null) throw new ArgumentError(`new Grid(comm, options): options must be an object with at least { shape }, got ${describe(options)}`);
    const shape = options.shape;
    if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3 || shape.some((n) => typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > INT_MAX)) {
      throw new ArgumentError(`Grid: shape must be 1 to 3 positive integers up to ${INT_MAX} (points per dimension), got ${Array.isArray(shape) ? `[${shape.map(describe).join(', ')}]` : describe(shape)}`);
    }
    const ndim = shape.length;
    const known = new Set(['shape', 'ghosts', 'stencil', 'periodic', 'procs', 'ownership', 'layout', 'dof']);
    for (const key of Object.keys(options)) if (!known.has(key)) throw new ArgumentError(`Grid: unknown option '${key}'; the options are ${[...known].join(', ')}`);
    const layout = options.layout ?? 'C';
    if (layout !== 'C' && layout !== 'F') throw new ArgumentError(`Grid: layout must be 'C' (row-major) or 'F' (column-major, for Fortran), got ${describe(layout)}`);
    const stencil = options.stencil ?? 'star';
    if (stencil !== 'star' && stencil !== 'box') throw new ArgumentError(`Grid: stencil must be 'star' (faces) or 'box' (faces, edges and corners), got ${describe(stencil)}`);
    const dof = options.dof ?? 1;
    if (typeof dof !== 'number' || !Number.isInteger(dof) || dof < 1 || dof > INT_MAX) throw new ArgumentError(`Grid: dof must be a positive integer up to ${INT_MAX} (components per point), got ${describe(dof)}`);
    const ghosts = perDim(options.ghosts, ndim, 'Grid: ghosts', 0, 0);
    const p = options.periodic;
    const periodic = p === undefined ? new Array<boolean>(ndim).fill(false) : Array.isArray(p) ? p : new Array<boolean>(ndim).fill(p as boolean);
    if (periodic.length !== ndim || periodic.some((x) => typeof x !== 'boolean')) {
      throw new ArgumentError(`Grid: periodic must be a boolean or an array of ${ndim} booleans, got ${Array.isArray(p) ? `[${p.map(describe).join(', ')}]` : describe(p)}`);
    }

    // process grid: ownership fixes procs along its dimensions; the rest is chosen
    const own = options.ownership;
    if (own !== undefined && (!Array.isArray(own) || own.length !== ndim)) {
      throw new OwnershipError(`Grid: ownership must hold ${ndim} entries (one per dimension: an array of block sizes, or null), got ${describe(own)}`, -1);
    }
    const procsGiven = options.procs === undefined ? new Array<number>(ndim).fill(0) : perDim(options.procs, ndim, 'Grid: procs', 0, 0);
    const offsetsGiven: (number[] | null)[] = shape.map((n, d) => (own?.[d] == null ? null : offsetsFromSizes(own[d], n, d)));
    offsetsGiven.forEach((o, d) => {
      if (o === null) return;
      const count = o.length - 1;
      if (procsGiven[d] !== 0 && procsGiven[d] !== count) {
        throw new OwnershipError(`Grid: ownership[${d}] lists ${count} blocks but procs[${d}] is ${procsGiven[d]}; give one size per process along dimension ${d}`, d);
      }
      procsGiven[d] = count;
    });
    const procs = chooseProcs(comm.size, shape, procsGiven, layout);
    const offsets = shape.map((n, d) => offsetsGiven[d] ?? splitEven(n, procs[d]));

    // ghosts must come from the nearest neighbour only
    for (let d = 0; d < ndim; d++) {
      if (ghosts[d] === 0 || (procs[d] === 1 && !periodic[d])) continue;
      let narrow = Infinity, at = 0;
      for (let c = 0; c < procs[d]; c++) if (offsets[d][c + 1] - offsets[d][c] < narrow) { narrow = offsets[d][c + 1] - offsets[d][c]; at = c; }
      if (ghosts[d] > narrow) {
        throw new GhostWidthError(`Grid: the ghost width ${ghosts[d]} along dimension ${d} is wider than block ${at} along it (${narrow} points, from ${offsets[d][at]}): ` +
          `a halo would need points beyond the nearest neighbour. Use fewer processes along dimension ${d} (procs), larger blocks (ownership), or fewer ghosts`, d, ghosts[d], narrow);
      }
    }

    // the largest block with ghosts on any rank (the same answer everywhere) must fit one typed array
    let largest = dof;
    for (let d = 0; d < ndim; d++) {
      let widest = 0;
      for (let c = 0; c < procs[d]; c++) widest = Math.max(widest, offsets[d][c + 1] - offsets[d][c]);
      largest *= widest + 2 * ghosts[d];
    }
    if (largest > MAX_BLOCK_ELEMENTS) {
      throw new ArgumentError(`Grid: the largest block with ghosts would hold ${largest.toExponential(3)} elements, more than one typed array can (${MAX_BLOCK_ELEMENTS}); ` +
        'use more ranks, a smaller shape, fewer ghosts or fewer components');
    }

    this.comm = comm;
    this.ndim = ndim;
    this.shape = Object.freeze([...shape]);
    this.ghosts = Object.freeze(ghosts);
    this.stencil = stencil;
    this.periodic = Object.freeze([...periodic]);
    this.procs = Object.freeze(procs);
    this.layout = layout;
    this.dof = dof;
    this.offsets = Object.freeze(offsets.map((o) => Object.freeze(o)));
    this.order = Object.freeze(layout === 'C' ? shape.map((_, d) => d) : shape.map((_, d) => ndim - 1 - d));
    this.rank = comm.rank;
    this.coords = Object.freeze(this.coordsOf(comm.rank));
    const start = this.coords.map((c, d) => offsets[d][c]);
    const size = this.coords.map((c, d) => offsets[d][c + 1] - offsets[d][c]);
    this.start = Object.freeze(start);
    this.size = Object.freeze(size);
    this.ghostStart = Object.freeze(start.map((s, d) => s - ghosts[d]));
    this.ghostSize = Object.freeze(size.map((s, d) => s + 2 * ghosts[d]));
    const strides = new Array<number>(ndim);
    let step = dof;
    for (const d of [...this.order].reverse()) { strides[d] = step; step *= this.ghostSize[d]; }
    this.strides = Object.freeze(strides);
    this.localLength = step;

    // every rank must describe the same grid: compare with rank 0's description
    const mine = this.describeOptions();
    const all = comm.allgather(mine);
    const other = all.findIndex((s) => s !== mine);
    if (other >= 0) {
      throw new GridMismatchError(`Grid: ranks passed different options: rank ${comm.rank} made ${mine} but rank ${other} made ${all[other]}; ` +
        'every rank of the communicator must pass the same options');
    }
    this.channel = comm.dup();
    bindMethods(this);
  }

  private describeOptions(): string {
    return `Grid(shape [${this.shape.join(', ')}], ghosts [${this.ghosts.join(', ')}], ${this.stencil}, periodic [${this.periodic.join(', ')}], ` +
      `procs [${this.procs.join(', ')}], ownership ${JSON.stringify(this.offsets)}, layout ${this.layout}, dof ${this.dof})`;
  }

  /** A printable summary: `Grid([64, 64] on 4 ranks as [2, 2], ghosts [1, 1], star, C)`. Local. */
  toString(): string {
    return `Grid([${this.shape.join(', ')}] on ${this.comm.size} ranks as [${this.procs.join(', ')}], ghosts [${this.ghosts.join(', ')}], ` +
      `${this.stencil}${this.periodic.some((x) => x) ? `, periodic [${this.periodic.join(', ')}]` : ''}, ${this.layout}${this.dof > 1 ? `, dof ${this.dof}` : ''})`;
  }

  // ------------------------------------------------------------ who owns what (all local)

  /** The process-grid coordinates of `rank`. Local. Throws ArgumentError for a rank outside the communicator. */
  coordsOf(rank: number): number[] {
    if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 0 || rank >= this.comm.size) {
      throw new ArgumentError(`Grid.coordsOf: rank must be from 0 to ${this.comm.size - 1}, got ${describe(rank)}`);
    }
    const c = new Array<number>(this.ndim);
    let rest = rank;
    for (let q = this.ndim - 1; q >= 0; q--) {
      const d = this.order[q];
      c[d] = rest % this.procs[d];
      rest = Math.floor(rest / this.procs[d]);
    }
    return c;
  }

  /**
   * The rank at process-grid coordinates `coords` (wrapped along periodic dimensions), or -1
   * past the edge of a non-periodic one. Ranks are numbered in the layout's order: the last
   * coordinate fastest for 'C' (as MPI's Cartesian communicators), the first for 'F'. Local.
   */
  rankOf(coords: readonly number[]): number {
    if (!Array.isArray(coords) || coords.length !== this.ndim || coords.some((x) => !Number.isInteger(x))) {
      throw new ArgumentError(`Grid.rankOf: coords must be ${this.ndim} integers, got ${describe(coords)}`);
    }
    let rank = 0;
    for (const d of this.order) {
      let x = coords[d];
      if (x < 0 || x >= this.procs[d]) {
        if (!this.periodic[d]) return -1;
        x = ((x % this.procs[d]) + this.procs[d]) % this.procs[d];
      }
      rank = rank * this.procs[d] + x;
    }
    return rank;
  }

  /** The block owned by `rank` (default: this rank), ghosts excluded. Local. */
  blockOf(rank: number = this.rank): Corners {
    const c = this.coordsOf(rank);
    const start = c.map((x, d) => this.offsets[d][x]);
    const end = c.map((x, d) => this.offsets[d][x + 1]);
    return { start, size: end.map((e, d) => e - start[d]), end };
  }

  /** The rank owning the global point `index` (wrapped along periodic dimensions), or -1 outside the grid. Local. */
  ownerOf(index: readonly number[]): number {
    if (!Array.isArray(index) || index.length !== this.ndim || index.some((x) => !Number.isInteger(x))) {
      throw new ArgumentError(`Grid.ownerOf: index must be ${this.ndim} integers, got ${describe(index)}`);
    }
    const c = new Array<number>(this.ndim);
    for (let d = 0; d < this.ndim; d++) {
      let x = index[d];
      const n = this.shape[d];
      if (x < 0 || x >= n) {
        if (!this.periodic[d]) return -1;
        x = ((x % n) + n) % n;
      }
      const o = this.offsets[d];
      let lo = 0, hi = this.procs[d] - 1;
      while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (o[mid] <= x) lo = mid; else hi = mid - 1; }
      c[d] = lo;
    }
    return this.rankOf(c);
  }

  /** This rank's owned block (PETSc's DMDAGetCorners). Local. */
  corners(): Corners {
    return { start: [...this.start], size: [...this.size], end: this.start.map((s, d) => s + this.size[d]) };
  }

  /** This rank's block with its ghost layer (PETSc's DMDAGetGhostCorners); starts may be negative. Local. */
  ghostCorners(): Corners {
    return { start: [...this.ghostStart], size: [...this.ghostSize], end: this.ghostStart.map((s, d) => s + this.ghostSize[d]) };
  }

  /**
   * Whether `other` splits the same global shape the same way over the same processes (same
   * shape, dof, layout, ownership and ranks in the same order; ghosts, stencil and periodicity
   * may differ). Local.
   */
  sameBlocks(other: Grid): boolean {
    return other === this || (other instanceof Grid && other.comm.size === this.comm.size && other.rank === this.rank &&
      (other.comm === this.comm || other.comm.group.compare(this.comm.group) === 'ident') && other.dof === this.dof && other.layout === this.layout &&
      other.shape.every((n, d) => n === this.shape[d]) && other.ndim === this.ndim &&
      other.offsets.every((o, d) => o.length === this.offsets[d].length && o.every((x, k) => x === this.offsets[d][k])));
  }

  /** Releases the grid's private communicator (local). The grid and its arrays must not exchange, reduce or gather afterwards. */
  free(): void {
    this.channel.free();
  }

  // ------------------------------------------------------------ arrays

  /**
   * A new DistributedArray of this grid, zero-filled, ghosts included. Local (no messages),
   * but every rank should create the arrays of a grid in the same order, as with any SPMD
   * object. `type` is any typed-array class (default Float64Array).
   */
  zeros<A extends TypedArray = Float64Array>(type?: TypedArrayClass<A>): DistributedArray<A> {
    const cls = (type ?? Float64Array) as TypedArrayClass<A>;
    if (typeof cls !== 'function' || typeof cls.BYTES_PER_ELEMENT !== 'number') {
      throw new ArgumentError(`Grid.zeros: pass a typed-array class (Float64Array, Float32Array, Int32Array, ...), got ${describe(type)}`);
    }
    let data: A;
    try {
      data = new cls(this.localLength);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      throw new ArgumentError(`Grid.zeros: could not allocate ${this.localLength} elements of ${cls.name} for this rank's block (${e.message}); ` +
        'use more ranks or a smaller grid');
    }
    if (!ArrayBuffer.isView(data) || (data as unknown as { length: unknown }).length !== this.localLength) {
      throw new ArgumentError(`Grid.zeros: pass a typed-array class (Float64Array, Float32Array, Int32Array, ...), got ${describe(type)}`);
    }
    return new DistributedArray<A>(this, data);
  }

  /** A new DistributedArray of this grid filled with `value` on owned points and ghosts. Local. */
  full<A extends TypedArray = Float64Array>(type: TypedArrayClass<A>, value: number | bigint): DistributedArray<A> {
    const a = this.zeros(type);
    checkElement(a.data, value, 'Grid.full');
    (a.data as unknown as { fill(v: unknown): void }).fill(value);
    return a;
  }

  /**
   * The shape of `gatherRegion(region, root, stride)`'s result: per dimension, the number of
   * points start, start + stride, ... below end. Local. Throws ArgumentError for a bad region.
   */
  regionShape(region: Region = {}, stride: number | readonly number[] = 1): number[] {
    const r = this.region(region, stride, 'regionShape');
    return r.start.map((s, d) => Math.ceil((r.end[d] - s) / r.stride[d]));
  }

  /** @internal Checks and completes a region: start, end (exclusive) and stride per dimension. */
  region(region: Region, stride: number | readonly number[], what: string): { start: number[]; end: number[]; stride: number[] } {
    if (typeof region !== 'object' || region === null) throw new ArgumentError(`${what}: region must be an object { start?, end? } of global indices, got ${describe(region)}`);
    const start = region.start === undefined ? new Array<number>(this.ndim).fill(0) : perDim(region.start, this.ndim, `${what}: region.start`, 0, 0);
    const end = region.end === undefined ? [...this.shape] : perDim(region.end, this.ndim, `${what}: region.end`, 0, 0);
    const st = perDim(stride, this.ndim, `${what}: stride`, 1, 1);
    for (let d = 0; d < this.ndim; d++) {
      if (start[d] >= end[d] || end[d] > this.shape[d]) {
        throw new ArgumentError(`${what}: along dimension ${d} the region runs from ${start[d]} to ${end[d]} (end excluded), which is empty or leaves the grid's 0..${this.shape[d]}`);
      }
    }
    return { start, end, stride: st };
  }

  // ------------------------------------------------------------ internal geometry

  /** @internal The box [lo, hi) (global indices, inside this rank's ghosted block) as a Strided in memory order. */
  box(lo: readonly number[], hi: readonly number[]): Strided {
    let offset = 0;
    for (let d = 0; d < this.ndim; d++) offset += (lo[d] - this.ghostStart[d]) * this.strides[d];
    return { offset, counts: this.order.map((d) => hi[d] - lo[d]), strides: this.order.map((d) => this.strides[d]) };
  }

  /** @internal The owned block as a Strided, and its element count. */
  owned(): Strided & { elements: number } {
    const key = 'owned';
    let o = this.cache.get(key) as (Strided & { elements: number }) | undefined;
    if (o === undefined) {
      const hi = this.start.map((s, d) => s + this.size[d]);
      const b = this.box(this.start, hi);
      o = { ...b, elements: boxElements(b.counts, this.dof) };
      this.cache.set(key, o);
    }
    return o;
  }

  /** @internal The owned points as contiguous runs of `runLength` elements starting at `runStarts`. */
  runs(): { runStarts: Float64Array; runLength: number } {
    let r = this.cache.get('runs') as { runStarts: Float64Array; runLength: number } | undefined;
    if (r === undefined) {
      const o = this.owned();
      const n = o.counts.length;
      const runLength = o.counts[n - 1] * this.dof;
      const outer = o.counts.slice(0, n - 1);
      const count = outer.reduce((a, b) => a * b, 1);
      const runStarts = new Float64Array(count);
      const idx = new Array<number>(outer.length).fill(0);
      for (let k = 0; k < count; k++) {
        let off = o.offset;
        for (let q = 0; q < outer.length; q++) off += idx[q] * o.strides[q];
        runStarts[k] = off;
        for (let q = outer.length - 1; q >= 0; q--) { if (++idx[q] < outer[q]) break; idx[q] = 0; }
      }
      r = { runStarts, runLength };
      this.cache.set('runs', r);
    }
    return r;
  }

  /** @internal Throws GridMismatchError unless `other` has the same blocks (for dot, copy). */
  checkSameBlocks(other: Grid, what: string): void {
    if (!(other instanceof Grid)) throw new ArgumentError(`${what}: pass a DistributedArray (from grid.zeros), got one whose grid is ${describe(other)}`);
    if (this.sameBlocks(other)) return;
    const diff = other.comm.size !== this.comm.size ? `${other.comm.size} ranks instead of ${this.comm.size}`
      : other.comm !== this.comm && other.comm.group.compare(this.comm.group) !== 'ident' ? 'communicators with different processes or rank orders'
      : other.shape.length !== this.ndim || other.shape.some((n, d) => n !== this.shape[d]) ? `shape [${other.shape.join(', ')}] instead of [${this.shape.join(', ')}]`
        : other.dof !== this.dof ? `dof ${other.dof} instead of ${this.dof}`
          : other.layout !== this.layout ? `layout ${other.layout} instead of ${this.layout}`
            : `blocks split as procs [${other.procs.join(', ')}] ownership ${JSON.stringify(other.offsets)} instead of [${this.procs.join(', ')}] ${JSON.stringify(this.offsets)}`;
    throw new GridMismatchError(`${what}: the arrays live on grids with different blocks (${diff}); use redistribute() to move one onto the other's grid first`);
  }
}

/** A box of the global grid for gatherRegion: start (default 0) and end (excluded; default the shape) per dimension. */
export interface Region {
  start?: readonly number[];
  end?: readonly number[];
}
