/**
 * DistributedArray: one field on a Grid. Each rank holds its block, ghosts included, in `data`,
 * a plain typed array that goes straight into C or Fortran kernels; the methods move data
 * between blocks (halo exchange, gather, scatter, redistribution) and reduce over the whole
 * field. Indices are global and in index order (i, j, k) in both layouts.
 */
import { ArgumentError, describe, type TypedArray } from '../src/index.js';
import { bindMethods } from '../src/comm/bind.js';
import { ExchangeStateError } from './errors.js';
import { gather, gatherRegion, scatter } from './gather.js';
import type { Corners, Grid, Region } from './grid.js';
import { Halo } from './halo.js';
import { checkElement, copyArray, dot, extremum, fill, sum, sumOfSquares } from './reduce.js';
import { redistributeTo } from './redistribute.js';

/** The element type of a typed array: bigint for BigInt64Array and BigUint64Array, number otherwise. */
export type ElementOf<A extends TypedArray> = A extends BigInt64Array | BigUint64Array ? bigint : number;

/** A field on a Grid: this rank's block with its ghost layer in `data`. */
export class DistributedArray<A extends TypedArray = Float64Array> {
  private data_: A;
  private halo_: Halo<A> | null = null;

  /** @internal Use `grid.zeros(Float64Array)`. */
  constructor(
    /** The grid the array lives on. */
    readonly grid: Grid, data: A) {
    if (typeof grid !== 'object' || grid === null || !ArrayBuffer.isView(data) || (data as unknown as { length: number }).length !== grid.localLength) {
      throw new ArgumentError('a DistributedArray is not made with `new DistributedArray(...)`: use grid.zeros(Float64Array) or grid.full(type, value)');
    }
    this.data_ = data;
    bindMethods(this); // `const { exchange } = u` works
  }

  /**
   * This rank's block including ghosts, in the grid's layout (`localShapeWithGhosts` points,
   * `dof` interleaved components each). Pass it to kernels as it is. It may be replaced by
   * another typed array of the same class and length (the usual swap of two time levels:
   * `[u.data, v.data] = [v.data, u.data]`); throws ArgumentError otherwise, and
   * ExchangeStateError while an exchange is pending.
   */
  get data(): A {
    return this.data_;
  }

  set data(value: A) {
    if (value === this.data_) return;
    if (typeof value !== 'object' || value === null || value.constructor !== this.data_.constructor || value.length !== this.data_.length) {
      throw new ArgumentError(`DistributedArray.data must be a ${this.data_.constructor.name} of ${this.data_.length} elements (this rank's block with ghosts), got ${describe(value)}`);
    }
    if (this.halo_?.pending) throw new ExchangeStateError('DistributedArray.data: an exchange is pending on this array; call exchangeEnd() before replacing data');
    this.data_ = value;
  }

  /** Owned points per dimension on this rank (index order, ghosts and dof excluded). */
  get localShape(): readonly number[] {
    return this.grid.size;
  }

  /** Points per dimension of `data` (owned plus 2 × ghosts), index order: the sizes a kernel is called with. */
  get localShapeWithGhosts(): readonly number[] {
    return this.grid.ghostSize;
  }

  /** Global points per dimension. */
  get globalShape(): readonly number[] {
    return this.grid.shape;
  }

  /** Components per point. */
  get dof(): number {
    return this.grid.dof;
  }

  /** This rank's owned block: global start, size and end per dimension (PETSc's DMDAGetCorners). Local. */
  corners(): Corners {
    return this.grid.corners();
  }

  /** This rank's block with ghosts (PETSc's DMDAGetGhostCorners); starts may be negative. Local. */
  ghostCorners(): Corners {
    return this.grid.ghostCorners();
  }

  /**
   * The offset in `data` of component `component` of global point `index` (any point of this
   * rank's ghosted block: ghost indices may lie outside 0..shape-1). Local. Throws ArgumentError
   * for a point outside the ghosted block.
   */
  localIndex(index: readonly number[], component = 0): number {
    const g = this.grid;
    if (!Array.isArray(index) || index.length !== g.ndim) throw new ArgumentError(`localIndex: index must be ${g.ndim} global indices, got ${describe(index)}`);
    if (!Number.isInteger(component) || component < 0 || component >= g.dof) throw new ArgumentError(`localIndex: component must be from 0 to ${g.dof - 1}, got ${describe(component)}`);
    let off = component;
    for (let d = 0; d < g.ndim; d++) {
      const x = index[d] - g.ghostStart[d];
      if (!Number.isInteger(index[d]) || x < 0 || x >= g.ghostSize[d]) {
        throw new ArgumentError(`localIndex: [${index.join(', ')}] is outside this rank's block with ghosts (${g.ghostStart.map((s, e) => `${s}..${s + g.ghostSize[e] - 1}`).join(' × ')})`);
      }
      off += x * g.strides[d];
    }
    return off;
  }

  /**
   * The global index of the point at offset `offset` of `data` (its component is
   * `offset % dof`). Ghost points give indices outside 0..shape-1 at the edges. Local.
   * Throws ArgumentError for an offset outside `data`.
   */
  globalIndex(offset: number): number[] {
    const g = this.grid;
    if (!Number.isInteger(offset) || offset < 0 || offset >= g.localLength) throw new ArgumentError(`globalIndex: offset must be from 0 to ${g.localLength - 1}, got ${describe(offset)}`);
    const out = new Array<number>(g.ndim);
    for (let d = 0; d < g.ndim; d++) out[d] = g.ghostStart[d] + Math.floor(offset / g.strides[d]) % g.ghostSize[d];
    return out;
  }

  /** Whether this rank owns global point `index` (ghosts excluded). Local. */
  owns(index: readonly number[]): boolean {
    const g = this.grid;
    return Array.isArray(index) && index.length === g.ndim && index.every((x, d) => x >= g.start[d] && x < g.start[d] + g.size[d]);
  }

  /** The value of global point `index` (owned or ghost) on this rank. Local. Throws ArgumentError outside the ghosted block. */
  get(index: readonly number[], component = 0): ElementOf<A> {
    return this.data_[this.localIndex(index, component)] as ElementOf<A>;
  }

  /** Sets global point `index` (owned or ghost) on this rank. Local. Throws ArgumentError outside the ghosted block. */
  set(index: readonly number[], value: ElementOf<A>, component = 0): void {
    checkElement(this.data_, value, 'set');
    (this.data_ as unknown as Record<number, unknown>)[this.localIndex(index, component)] = value;
  }

  // ------------------------------------------------------------ halo

  private halo(): Halo<A> {
    if (this.halo_ === null) this.halo_ = new Halo<A>(this.grid);
    return this.halo_;
  }

  /**
   * Fills the ghost points from the ranks that own them: faces only for a 'star' grid; faces,
   * edges and corners for 'box'; wrapping around periodic dimensions. Ghosts past the edge of a
   * non-periodic dimension are left alone (they hold boundary values). Collective over the
   * grid's communicator (neighbours only), blocking. Throws ExchangeStateError when an
   * exchangeBegin() is pending.
   */
  exchange(): void {
    const h = this.halo();
    h.begin(this.data_, 'exchange');
    h.end('exchange');
  }

  /**
   * Starts a halo exchange and returns at once: compute on points that need no ghosts, then
   * call exchangeEnd(). Until then do not change the owned points near the edges nor read the
   * ghosts. Collective over the grid's communicator, nonblocking. Throws ExchangeStateError
   * when an exchange is already pending.
   */
  exchangeBegin(): void {
    this.halo().begin(this.data_, 'exchangeBegin');
  }

  /** Completes the exchange started by exchangeBegin(): blocks until the ghosts are filled. Throws ExchangeStateError without one pending. */
  exchangeEnd(): void {
    if (this.halo_ === null) throw new ExchangeStateError('exchangeEnd: no exchange is pending on this array; call exchangeBegin() first');
    this.halo_.end('exchangeEnd');
  }

  /**
   * Adds each ghost point's value into the rank that owns that point (PETSc's ADD_VALUES): the
   * reverse of exchange, for scatter-add algorithms (particle deposition, finite-element
   * assembly). Ghost values are left as they are; contributions landing past a non-periodic
   * edge, and for a 'star' grid in edge and corner ghosts, are dropped. Collective over the
   * grid's communicator (neighbours only), blocking.
   */
  accumulateGhosts(): void {
    this.halo().accumulate(this.data_, 'accumulateGhosts');
  }

  // ------------------------------------------------------------ whole field

  /**
   * The whole field on `root` in natural order (the grid's layout, `dof` interleaved, ghosts
   * excluded): a new typed array of globalShape points; null on other ranks. Collective over
   * the grid's communicator, blocking.
   */
  gather(root = 0): A | null {
    return gather(this, root);
  }

  /**
   * Down-selected field on `root`: the points start, start + stride, ... below end of `region`
   * along each dimension (shape `grid.regionShape(region, stride)`, natural order); null
   * elsewhere. For graphics from big runs. Collective, blocking. Throws ArgumentError for a
   * region outside the grid.
   */
  gatherRegion(region: Region = {}, root = 0, stride: number | readonly number[] = 1): A | null {
    return gatherRegion(this, region, root, stride);
  }

  /**
   * Fills the owned points from `global` on `root` (natural order, as gather returns it; other
   * ranks pass null). Ghosts are not touched: exchange() afterwards if they are needed.
   * Collective, blocking; returns this. Throws ArgumentError on root for a global array of the
   * wrong length or type.
   */
  scatter(global: A | null, root = 0): this {
    scatter(this, global, root);
    return this;
  }

  /** The sum of every owned point's components over the whole grid, identical on every rank. Collective, blocking. */
  sum(): ElementOf<A> {
    return sum(this) as ElementOf<A>;
  }

  /** The smallest value over the whole grid (NaN if any value is NaN), identical on every rank. Collective, blocking. */
  min(): ElementOf<A> {
    return extremum(this, 'min') as ElementOf<A>;
  }

  /** The largest value over the whole grid (NaN if any value is NaN), identical on every rank. Collective, blocking. */
  max(): ElementOf<A> {
    return extremum(this, 'max') as ElementOf<A>;
  }

  /** The 2-norm sqrt(Σ x²) over the whole grid, identical on every rank. Collective, blocking. Throws ArgumentError for bigint arrays. */
  norm2(): number {
    return Math.sqrt(sumOfSquares(this));
  }

  /**
   * Σ x·y over the whole grid with `other` (same blocks: same shape, dof, layout and ownership;
   * ghosts may differ), identical on every rank. Collective, blocking. Throws
   * GridMismatchError when the grids split differently.
   */
  dot(other: DistributedArray<A>): ElementOf<A> {
    return dot(this, other) as ElementOf<A>;
  }

  /**
   * Sets every owned point (ghosts untouched) to `value`, or to `value(i, j, k..., component)`
   * of its global index. Local; returns this.
   */
  fill(value: ElementOf<A> | ((...index: number[]) => ElementOf<A>)): this {
    fill(this, value);
    return this;
  }

  /**
   * A copy of this array (ghosts included) on the same grid, or, given `target`, this array's
   * owned points copied into `target` (on a grid with the same blocks). Local. Throws
   * GridMismatchError for a target with other blocks.
   */
  copy(target?: DistributedArray<A>): DistributedArray<A> {
    return copyArray(this, target);
  }

  /**
   * This field moved onto another decomposition of the same global shape (another process
   * grid, ownership, ghost width or layout, over the same processes): returns a new array on
   * `target` (a Grid), or fills `target` (a DistributedArray) and returns it. Owned points
   * only; exchange() the result if its ghosts are needed. Collective over this grid's
   * communicator, blocking. Throws GridMismatchError when shapes, dof or element types differ
   * or the target grid lives on other processes (then use the function `redistribute` with a
   * communicator spanning both).
   */
  redistribute(target: Grid | DistributedArray<A>): DistributedArray<A> {
    return redistributeTo(this, target);
  }

  /** `DistributedArray(Float64Array, [64, 64], rank 0 owns [0..31] × [0..63])`. Local. */
  toString(): string {
    const g = this.grid;
    return `DistributedArray(${this.data_.constructor.name}, [${g.shape.join(', ')}]${g.dof > 1 ? ` × ${g.dof}` : ''}, rank ${g.rank} owns ${g.start.map((s, d) => `[${s}..${s + g.size[d] - 1}]`).join(' × ')})`;
  }
}

