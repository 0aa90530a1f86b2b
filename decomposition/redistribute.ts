/**
 * Redistribution (the M×N step of coupling): moving a field from one decomposition of a global
 * shape to another: another process grid, other ownership ranges, another ghost width or
 * layout, or other processes altogether. Every rank computes, from both grids' ownership, which
 * box of its source block each target block needs (the intersections), so one message goes
 * between each pair of processes whose blocks overlap, and none elsewhere.
 */
import { ArgumentError, Comm, describe, Request, UNDEFINED, type TypedArray } from '../src/index.js';
import { bindMethods } from '../src/comm/bind.js';
import { boxElements, copyBox, denseStrides, isContiguous, type Strided } from './box.js';
import type { DistributedArray } from './distributedArray.js';
import { GridMismatchError } from './errors.js';
import { Grid, TAG_REDISTRIBUTE, type TypedArrayClass } from './grid.js';

/** What every rank must know of a grid it may not have: enough to compute any rank's block. */
interface Blocks {
  shape: number[];
  procs: number[];
  offsets: number[][];
  layout: 'C' | 'F';
  dof: number;
  size: number;
}

function blocksOf(g: Grid): Blocks {
  return { shape: [...g.shape], procs: [...g.procs], offsets: g.offsets.map((o) => [...o]), layout: g.layout, dof: g.dof, size: g.comm.size };
}

/** Rank r's owned block [start, end) under `b` (ranks numbered in the layout's order, as Grid does). */
function blockOf(b: Blocks, rank: number): { start: number[]; end: number[] } {
  const n = b.shape.length;
  const order = b.layout === 'C' ? b.shape.map((_, d) => d) : b.shape.map((_, d) => n - 1 - d);
  const c = new Array<number>(n);
  let rest = rank;
  for (let q = n - 1; q >= 0; q--) { const d = order[q]; c[d] = rest % b.procs[d]; rest = Math.floor(rest / b.procs[d]); }
  return { start: c.map((x, d) => b.offsets[d][x]), end: c.map((x, d) => b.offsets[d][x + 1]) };
}

function intersect(a: { start: number[]; end: number[] }, b: { start: number[]; end: number[] }): { lo: number[]; hi: number[] } | null {
  const lo = a.start.map((s, d) => Math.max(s, b.start[d]));
  const hi = a.end.map((e, d) => Math.min(e, b.end[d]));
  return lo.every((l, d) => l < hi[d]) ? { lo, hi } : null;
}

/** One message of a redistribution: a box, laid out in the source grid's memory order. */
interface Piece {
  peer: number;
  box: Strided;
  /** For a copy within this process: the box in the target array. */
  into: Strided | null;
  elements: number;
  dense: number[];
  /** Whether `box` is one contiguous range of its array (then it travels without packing). */
  contiguous: boolean;
}

/**
 * A reusable plan for moving fields from one grid to another over a communicator that holds
 * the processes of both (the grids may live on different communicators, and each rank may be
 * in one grid, both or neither).
 */
export class Redistribution {
  /** The source and target grids on this rank (null where this rank is not in them). */
  readonly from: Grid | null;
  readonly to: Grid | null;
  private readonly channel: Comm;
  private readonly ownsChannel: boolean;
  private readonly sends: Piece[] = [];
  private readonly recvs: Piece[] = [];
  private readonly sendBufs: (TypedArray | null)[];
  private readonly recvBufs: (TypedArray | null)[];
  private readonly requests: Request<unknown>[] = [];

  /**
   * Collective over `comm`: every rank of it calls this, passing its source grid (or null when
   * it is not in the source grid's communicator) and its target grid (or null). Throws
   * GridMismatchError when the grids differ in global shape or dof, when no rank passed one of
   * them, or when a grid has ranks outside `comm`.
   */
  constructor(from: Grid | null, to: Grid | null, comm: Comm);
  /** @internal Method form: both grids on every rank of `channel`, with the target's ranks mapped. */
  constructor(from: Grid | null, to: Grid | null, comm: Comm, internal: { fromRanks: number[]; toRanks: number[]; toBlocks: Blocks });
  constructor(from: Grid | null, to: Grid | null, comm: Comm, internal?: { fromRanks: number[]; toRanks: number[]; toBlocks: Blocks }) {
    if (from !== null && !(from instanceof Grid)) throw new ArgumentError(`Redistribution: from must be a Grid or null, got ${describe(from)}`);
    if (to !== null && !(to instanceof Grid)) throw new ArgumentError(`Redistribution: to must be a Grid or null, got ${describe(to)}`);
    if (!(comm instanceof Comm)) throw new ArgumentError(`Redistribution: comm must be a communicator holding the processes of both grids, got ${describe(comm)}`);
    this.from = from;
    this.to = to;
    bindMethods(this);
    let fromBlocks: Blocks, toBlocks: Blocks, fromRanks: number[], toRanks: number[];
    if (internal !== undefined) {
      fromBlocks = blocksOf(from!);
      toBlocks = internal.toBlocks;
      fromRanks = internal.fromRanks;
      toRanks = internal.toRanks;
      this.channel = comm;
      this.ownsChannel = false;
    } else {
      const all = comm.allgather({
        f: from === null ? -1 : from.rank, t: to === null ? -1 : to.rank,
        fb: from !== null && from.rank === 0 ? blocksOf(from) : null,
        tb: to !== null && to.rank === 0 ? blocksOf(to) : null,
      });
      const fb = all.find((e) => e.fb !== null)?.fb ?? null, tb = all.find((e) => e.tb !== null)?.tb ?? null;
      if (fb === null || tb === null) {
        throw new GridMismatchError(`Redistribution: no rank of ${comm.toString()} passed a ${fb === null ? 'source' : 'target'} grid; ` +
          'pass each rank\'s grid (or null) on every rank of a communicator that holds both grids');
      }
      fromRanks = new Array<number>(fb.size).fill(-1);
      toRanks = new Array<number>(tb.size).fill(-1);
      all.forEach((e, r) => { if (e.f >= 0) fromRanks[e.f] = r; if (e.t >= 0) toRanks[e.t] = r; });
      const missing = fromRanks.indexOf(-1) >= 0 ? 'source' : toRanks.indexOf(-1) >= 0 ? 'target' : null;
      if (missing !== null) {
        throw new GridMismatchError(`Redistribution: the ${missing} grid has ranks outside ${comm.toString()}; use a communicator that holds every process of both grids`);
      }
      fromBlocks = fb;
      toBlocks = tb;
      this.channel = comm.dup();
      this.ownsChannel = true;
    }
    checkCompatible(fromBlocks, toBlocks, 'Redistribution');
    this.plan(fromBlocks, toBlocks, fromRanks, toRanks);
    this.sendBufs = this.sends.map(() => null);
    this.recvBufs = this.recvs.map(() => null);
  }

  private plan(fb: Blocks, tb: Blocks, fromRanks: number[], toRanks: number[]): void {
    const me = this.channel.rank, from = this.from, to = this.to;
    const n = fb.shape.length;
    const order = fb.layout === 'C' ? fb.shape.map((_, d) => d) : fb.shape.map((_, d) => n - 1 - d);
    // a box of a target array, stepped in the source's memory order
    const inTarget = (lo: number[], hi: number[]): Strided => {
      const b = to!.box(lo, hi);
      return { offset: b.offset, counts: order.map((d) => hi[d] - lo[d]), strides: order.map((d) => to!.strides[d]) };
    };
    const targetExtent = to === null ? [] : order.map((d) => to.ghostSize[d]);
    const sameOrder = to !== null && to.layout === fb.layout;
    if (from !== null) {
      const mine = blockOf(fb, from.rank);
      const extent = from.order.map((d) => from.ghostSize[d]);
      for (let t = 0; t < tb.size; t++) {
        const x = intersect(mine, blockOf(tb, t));
        if (x === null) continue;
        const box = from.box(x.lo, x.hi);
        const peer = toRanks[t];
        this.sends.push({
          peer, box, into: peer === me ? inTarget(x.lo, x.hi) : null,
          elements: boxElements(box.counts, fb.dof), dense: denseStrides(box.counts, fb.dof),
          contiguous: isContiguous(box.counts, extent),
        });
      }
    }
    if (to !== null) {
      const mine = blockOf(tb, to.rank);
      for (let f = 0; f < fb.size; f++) {
        const peer = fromRanks[f];
        if (peer === me) continue;
        const x = intersect(blockOf(fb, f), mine);
        if (x === null) continue;
        const box = inTarget(x.lo, x.hi);
        this.recvs.push({
          peer, box, into: null, elements: boxElements(box.counts, fb.dof), dense: denseStrides(box.counts, fb.dof),
          contiguous: sameOrder && isContiguous(box.counts, targetExtent),
        });
      }
    }
  }

  /**
   * Moves `source`'s owned points (an array on `from`; null on ranks not in it) into `target`'s
   * (an array on `to`; null on ranks not in it). Collective over the ranks of both grids
   * (ranks in neither return at once), blocking. Throws GridMismatchError for arrays on other
   * grids or of different element types on one rank; a type that differs between ranks
   * surfaces as the communicator's MessageTypeError.
   */
  run<A extends TypedArray>(source: DistributedArray<A> | null, target: DistributedArray<A> | null): void {
    if ((source === null) !== (this.from === null) || (source !== null && !this.from!.sameBlocks(source.grid))) {
      throw new GridMismatchError(`Redistribution.run: source must be an array on the plan's source grid${this.from === null ? ' (null on this rank, which is not in it)' : ''}, got ${describe(source)}`);
    }
    if ((target === null) !== (this.to === null) || (target !== null && target.grid !== this.to && !(this.to!.sameBlocks(target.grid) && target.grid.ghosts.every((g, d) => g === this.to!.ghosts[d])))) {
      throw new GridMismatchError(`Redistribution.run: target must be an array on the plan's target grid${this.to === null ? ' (null on this rank, which is not in it)' : ''}, got ${describe(target)}`);
    }
    if (source !== null && target !== null && source.data.constructor !== target.data.constructor) {
      throw new GridMismatchError(`redistribute: the source holds ${source.data.constructor.name} but the target ${target.data.constructor.name}; use the same element type`);
    }
    if (source !== null && source.grid.ghosts.some((g, d) => g !== this.from!.ghosts[d])) {
      throw new GridMismatchError('Redistribution.run: the source array\'s grid has other ghost widths than the plan\'s source grid');
    }
    const dof = (this.from ?? this.to)!.dof;
    const reqs = this.requests;
    let k = 0;
    for (let i = 0; i < this.recvs.length; i++) {
      const p = this.recvs[i], data = target!.data;
      const into = p.contiguous ? data.subarray(p.box.offset, p.box.offset + p.elements) : this.buffer(this.recvBufs, i, data, p.elements);
      reqs[k++] = this.channel.irecvInto(into, p.peer, TAG_REDISTRIBUTE);
    }
    for (let i = 0; i < this.sends.length; i++) {
      const p = this.sends[i], data = source!.data;
      if (p.into !== null) {
        copyBox(data, p.box.offset, p.box.strides, target!.data, p.into.offset, p.into.strides, p.box.counts, dof);
        continue;
      }
      let out: TypedArray;
      if (p.contiguous) {
        out = data.subarray(p.box.offset, p.box.offset + p.elements);
      } else {
        out = this.buffer(this.sendBufs, i, data, p.elements);
        copyBox(data, p.box.offset, p.box.strides, out, 0, p.dense, p.box.counts, dof);
      }
      reqs[k++] = this.channel.isend(out, p.peer, TAG_REDISTRIBUTE);
    }
    reqs.length = k;
    if (k > 0) Request.waitAll(reqs);
    for (let i = 0; i < this.recvs.length; i++) {
      const p = this.recvs[i];
      if (!p.contiguous) copyBox(this.recvBufs[i]!, 0, p.dense, target!.data, p.box.offset, p.box.strides, p.box.counts, dof);
    }
  }

  private buffer(list: (TypedArray | null)[], i: number, like: TypedArray, n: number): TypedArray {
    let b = list[i];
    if (b === null || b.constructor !== like.constructor) { b = new (like.constructor as TypedArrayClass)(n); list[i] = b; }
    return b;
  }

  /** Releases the plan's private communicator (local). */
  free(): void {
    if (this.ownsChannel) this.channel.free();
  }
}

function checkCompatible(a: Blocks, b: Blocks, what: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((n, d) => n !== b.shape[d])) {
    throw new GridMismatchError(`${what}: the grids have different global shapes, [${a.shape.join(', ')}] and [${b.shape.join(', ')}]; redistribution moves a field between decompositions of one shape`);
  }
  if (a.dof !== b.dof) throw new GridMismatchError(`${what}: the grids have ${a.dof} and ${b.dof} components per point (dof); they must match`);
}

/**
 * Moves `source` (on its grid; null on ranks not in it) into `target` (null on ranks not in
 * its grid) over `comm`, a communicator holding every process of both grids. Collective over
 * `comm`, blocking: every rank of it calls it, ranks in neither grid with null, null. For
 * repeated moves, build a Redistribution once and run() it. Throws GridMismatchError as
 * Redistribution and run do.
 */
export function redistribute<A extends TypedArray>(source: DistributedArray<A> | null, target: DistributedArray<A> | null, comm: Comm): void {
  for (const [a, what] of [[source, 'source'], [target, 'target']] as const) {
    if (a !== null && !(typeof a === 'object' && (a as { grid?: unknown }).grid instanceof Grid && ArrayBuffer.isView((a as { data?: unknown }).data))) {
      throw new ArgumentError(`redistribute: ${what} must be a DistributedArray, or null on ranks outside its grid; got ${describe(a)}`);
    }
  }
  const plan = new Redistribution(source?.grid ?? null, target?.grid ?? null, comm);
  const types = comm.allgather([source?.data.constructor.name ?? null, target?.data.constructor.name ?? null]);
  const names = new Set(types.flat().filter((x) => x !== null));
  if (names.size > 1) {
    plan.free();
    throw new GridMismatchError(`redistribute: the arrays hold different element types (${[...names].join(', ')}); use the same type on both sides`);
  }
  try {
    plan.run(source, target);
  } finally {
    plan.free();
  }
}

/** Plans of the method form, per source grid and target grid (held only while both grids live). */
const plans = new WeakMap<Grid, WeakMap<Grid, Redistribution>>();

/** The method form: `a.redistribute(gridOrArray)` over the processes of a's grid. */
export function redistributeTo<A extends TypedArray>(a: DistributedArray<A>, target: Grid | DistributedArray<A>): DistributedArray<A> {
  const g = a.grid;
  const tg = target instanceof Grid ? target : (target as DistributedArray<A> | null)?.grid;
  if (!(tg instanceof Grid)) throw new ArgumentError(`redistribute: pass the target Grid or a DistributedArray on it, got ${describe(target)}`);
  checkCompatible(blocksOf(g), blocksOf(tg), 'redistribute');
  let mine = plans.get(g);
  if (mine === undefined) { mine = new WeakMap(); plans.set(g, mine); }
  let plan = mine.get(tg);
  if (plan === undefined) {
    // both grids on the same processes: map the target's ranks onto this grid's by groups (no messages)
    const translated = tg.comm.size === g.comm.size
      ? tg.comm.group.translateRanks(Array.from({ length: tg.comm.size }, (_, i) => i), g.comm.group) : [UNDEFINED];
    if (translated.some((r) => r === UNDEFINED)) {
      throw new GridMismatchError(`redistribute: the target grid lives on other processes (${tg.comm.toString()}) than this array's (${g.comm.toString()}); ` +
        'use redistribute(source, target, comm) with a communicator holding both');
    }
    plan = new Redistribution(g, tg, g.channel, {
      fromRanks: Array.from({ length: g.comm.size }, (_, i) => i), toRanks: translated, toBlocks: blocksOf(tg),
    });
    mine.set(tg, plan);
  }
  const out = target instanceof Grid ? target.zeros(a.data.constructor as TypedArrayClass<A>) : target;
  plan.run(a, out);
  return out;
}
