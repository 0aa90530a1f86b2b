/**
 * Halo exchange: filling each block's ghost points from the neighbours that own them
 * (`exchange`), and the reverse, adding ghost contributions back into the owners
 * (`accumulateGhosts`, PETSc's ADD_VALUES).
 *
 * A grid's HaloPlan lists, once, the faces (and for a 'box' stencil the edges and corners) this
 * rank trades with each neighbour: which owned points go out, which ghost points come in. Each
 * array keeps its own pack buffers (only for boxes that are not contiguous in memory: contiguous
 * ones are sent from and received into `data` itself) and its pending requests, so a step
 * allocates no buffers. Messages travel on the grid's private communicator with one tag per
 * direction, posted receives first, then nonblocking sends.
 */
import { Request, type TypedArray } from '../src/index.js';
import { boxElements, copyBox, denseStrides, isContiguous, type Strided } from './box.js';
import { ExchangeStateError } from './errors.js';
import { TAG_ACCUMULATE, TAG_EXCHANGE, type Grid, type TypedArrayClass } from './grid.js';

/** One neighbour direction of this rank's block. */
export interface Face {
  /** Direction index: sum over d of (o[d] + 1) * 3^d for the offset o in {-1, 0, 1}^ndim. */
  dir: number;
  /** Index of the opposite direction -o. */
  opp: number;
  /** The neighbour's rank on the grid's communicator (this rank for a periodic wrap onto itself). */
  peer: number;
  self: boolean;
  /** Owned points the neighbour needs as its ghosts. */
  inner: Strided;
  /** Ghost points this rank receives from the neighbour. */
  outer: Strided;
  /** For a wrap onto this rank: the owned points that fill `outer` (its inner box toward -o). */
  source: Strided | null;
  /** Strides of a packed copy of the box (same counts for inner and outer). */
  dense: number[];
  elements: number;
  innerContiguous: boolean;
  outerContiguous: boolean;
}

/** The faces of this rank's block, built once per grid. */
export class HaloPlan {
  readonly faces: Face[] = [];
  readonly remote: number;

  constructor(readonly grid: Grid) {
    const { ndim, ghosts, start, size, stencil } = grid;
    const extent = grid.order.map((d) => grid.ghostSize[d]);
    const dirs = 3 ** ndim;
    const offset = (dir: number) => { const o = []; for (let d = 0, r = dir; d < ndim; d++, r = Math.floor(r / 3)) o.push((r % 3) - 1); return o; };
    const region = (o: number[], ghost: boolean) => {
      const lo = [], hi = [];
      for (let d = 0; d < ndim; d++) {
        const s = start[d], e = start[d] + size[d], g = ghosts[d];
        if (o[d] === 0) { lo.push(s); hi.push(e); } else if (o[d] < 0) { lo.push(ghost ? s - g : s); hi.push(ghost ? s : s + g); } else { lo.push(ghost ? e : e - g); hi.push(ghost ? e + g : e); }
      }
      return grid.box(lo, hi);
    };
    for (let dir = 0; dir < dirs; dir++) {
      const o = offset(dir);
      const moved = o.filter((x) => x !== 0).length;
      if (moved === 0 || (stencil === 'star' && moved > 1)) continue;
      if (o.some((x, d) => x !== 0 && ghosts[d] === 0)) continue;
      const peer = grid.rankOf(grid.coords.map((c, d) => c + o[d]));
      if (peer < 0) continue;
      const inner = region(o, false), outer = region(o, true);
      const neg = o.map((x) => -x);
      const opp = neg.reduce((acc, x, d) => acc + (x + 1) * 3 ** d, 0);
      this.faces.push({
        dir, opp, peer, self: peer === grid.rank, inner, outer,
        source: peer === grid.rank ? region(neg, false) : null,
        dense: denseStrides(inner.counts, grid.dof),
        elements: boxElements(inner.counts, grid.dof),
        innerContiguous: isContiguous(inner.counts, extent),
        outerContiguous: isContiguous(outer.counts, extent),
      });
    }
    this.remote = this.faces.filter((f) => !f.self).length;
  }

  /** The plan of `grid` (built on first use). */
  static of(grid: Grid): HaloPlan {
    let p = grid.cache.get(HaloPlan) as HaloPlan | undefined;
    if (p === undefined) { p = new HaloPlan(grid); grid.cache.set(HaloPlan, p); }
    return p;
  }
}

/** Per-array halo state: pack buffers, views into the data, the requests of a pending exchange. */
export class Halo<A extends TypedArray> {
  private readonly plan: HaloPlan;
  private readonly sendBufs: (A | null)[];
  private readonly recvBufs: (A | null)[];
  private readonly requests: Request<unknown>[] = [];
  private readonly views = new WeakMap<A, (A | null)[]>();
  /** What is in flight ('exchange') and on which data buffer (kept referenced until it completes). */
  pending: 'exchange' | null = null;
  private pendingData: A | null = null;

  constructor(readonly grid: Grid) {
    this.plan = HaloPlan.of(grid);
    this.sendBufs = this.plan.faces.map(() => null);
    this.recvBufs = this.plan.faces.map(() => null);
  }

  /** Subarrays of `data` for the contiguous boxes: [inner, outer] per face. */
  private viewsOf(data: A): (A | null)[] {
    let v = this.views.get(data);
    if (v === undefined) {
      v = [];
      for (const f of this.plan.faces) {
        v.push(f.innerContiguous ? data.subarray(f.inner.offset, f.inner.offset + f.elements) as A : null);
        v.push(f.outerContiguous ? data.subarray(f.outer.offset, f.outer.offset + f.elements) as A : null);
      }
      this.views.set(data, v);
    }
    return v;
  }

  private buffer(list: (A | null)[], i: number, data: A): A {
    let b = list[i];
    if (b === null || b.constructor !== data.constructor) {
      b = new (data.constructor as TypedArrayClass<A>)(this.plan.faces[i].elements);
      list[i] = b;
    }
    return b;
  }

  /**
   * Posts a send of every face's `side` box of `data` to the neighbour across it (`inner`: the
   * owned points next to the face, for an exchange; `outer`: the ghost points, for accumulate),
   * packed unless contiguous, with tag `tag` plus the face's direction. Fills the request list
   * from slot `k`; returns the next free slot.
   */
  private sendFaces(data: A, side: 'inner' | 'outer', tag: number, k: number): number {
    const { faces } = this.plan;
    const channel = this.grid.channel, dof = this.grid.dof;
    const v = this.viewsOf(data);
    for (let i = 0; i < faces.length; i++) {
      const f = faces[i];
      if (f.self) continue;
      const box = f[side];
      let out: A;
      if (side === 'inner' ? f.innerContiguous : f.outerContiguous) {
        out = v[2 * i + (side === 'inner' ? 0 : 1)]!;
      } else {
        out = this.buffer(this.sendBufs, i, data);
        copyBox(data, box.offset, box.strides, out, 0, f.dense, box.counts, dof);
      }
      this.requests[k++] = channel.isend(out, f.peer, tag + f.dir);
    }
    return k;
  }

  /** Starts an exchange on `data`: posts the receives, sends the owned faces, copies wraps onto this rank. */
  begin(data: A, what: string): void {
    if (this.pending !== null) throw new ExchangeStateError(`${what}: an exchange is already pending on this array; call exchangeEnd() first`);
    const { faces } = this.plan;
    const channel = this.grid.channel, dof = this.grid.dof;
    const v = this.viewsOf(data);
    const reqs = this.requests;
    let k = 0;
    for (let i = 0; i < faces.length; i++) {
      const f = faces[i];
      if (f.self) continue;
      const into = f.outerContiguous ? v[2 * i + 1]! : this.buffer(this.recvBufs, i, data);
      reqs[k++] = channel.irecvInto(into, f.peer, TAG_EXCHANGE + f.opp);
    }
    k = this.sendFaces(data, 'inner', TAG_EXCHANGE, k);
    reqs.length = k;
    for (const f of faces) {
      if (f.self) copyBox(data, f.source!.offset, f.source!.strides, data, f.outer.offset, f.outer.strides, f.outer.counts, dof);
    }
    this.pending = 'exchange';
    this.pendingData = data;
  }

  /** Completes the pending exchange: waits for its messages and unpacks the ghost boxes that were not received in place. */
  end(what: string): void {
    if (this.pending === null) throw new ExchangeStateError(`${what}: no exchange is pending on this array; call exchangeBegin() first`);
    const data = this.pendingData!;
    try {
      if (this.requests.length > 0) Request.waitAll(this.requests);
    } finally {
      this.pending = null;
      this.pendingData = null;
    }
    const { faces } = this.plan;
    const dof = this.grid.dof;
    for (let i = 0; i < faces.length; i++) {
      const f = faces[i];
      if (f.self || f.outerContiguous) continue;
      copyBox(this.recvBufs[i]!, 0, f.dense, data, f.outer.offset, f.outer.strides, f.outer.counts, dof);
    }
  }

  /**
   * Adds every ghost box into the owned points of the rank that owns it (blocking). Each owner
   * adds the contributions in direction order, so the sums do not depend on message timing.
   */
  accumulate(data: A, what: string): void {
    if (this.pending !== null) throw new ExchangeStateError(`${what}: an exchange is pending on this array; call exchangeEnd() first`);
    const { faces } = this.plan;
    const channel = this.grid.channel, dof = this.grid.dof;
    const reqs = this.requests;
    let k = 0;
    for (let i = 0; i < faces.length; i++) {
      const f = faces[i];
      if (f.self) continue;
      reqs[k++] = channel.irecvInto(this.buffer(this.recvBufs, i, data), f.peer, TAG_ACCUMULATE + f.opp);
    }
    k = this.sendFaces(data, 'outer', TAG_ACCUMULATE, k);
    reqs.length = k;
    this.pendingData = data;
    try {
      if (k > 0) Request.waitAll(reqs);
    } finally {
      this.pendingData = null;
    }
    // the neighbour at o sent its ghosts toward -o, which are this rank's inner box toward o
    for (let i = 0; i < faces.length; i++) {
      const f = faces[i];
      if (f.self) {
        // a wrap onto this rank: the ghosts toward -o land on the owned points toward o
        const g = faces.find((h) => h.dir === f.opp)!;
        copyBox(data, g.outer.offset, g.outer.strides, data, f.inner.offset, f.inner.strides, f.inner.counts, dof, true);
      } else {
        copyBox(this.recvBufs[i]!, 0, f.dense, data, f.inner.offset, f.inner.strides, f.inner.counts, dof, true);
      }
    }
  }
}
