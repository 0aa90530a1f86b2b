/**
 * Whole-field movement between the blocks and one root rank: gather (the field in natural
 * order on root, for serial tools and plots), gatherRegion (a strided sub-box, for graphics
 * from big runs) and scatter (root's global array into the blocks). Each rank packs its part
 * into a contiguous buffer; one gatherv/scatterv on the grid's private communicator moves the
 * parts; root places each rank's part with a strided copy (or, when the blocks already follow
 * each other in memory order, hands out gatherv's buffer as it is).
 */
import { ArgumentError, describe, type TypedArray } from '../src/index.js';
import { boxElements, copyBox, denseStrides } from './box.js';
import type { DistributedArray } from './distributedArray.js';
import type { Grid, Region, TypedArrayClass } from './grid.js';

function checkRoot(g: Grid, root: unknown, what: string): number {
  if (typeof root !== 'number' || !Number.isInteger(root) || root < 0 || root >= g.comm.size) {
    throw new ArgumentError(`${what}: root must be a rank from 0 to ${g.comm.size - 1}, got ${describe(root)}`);
  }
  return root;
}

/** A reusable buffer of `n` elements of `like`'s type, kept on the grid (fresh pages are slow to fault in). */
function packBuffer<A extends TypedArray>(g: Grid, like: A, key: string, n: number): A {
  const k = `${key}:${like.constructor.name}`;
  let b = g.cache.get(k) as A | undefined;
  if (b === undefined || b.length < n) {
    b = new (like.constructor as TypedArrayClass<A>)(n);
    g.cache.set(k, b);
  }
  return (b.length === n ? b : b.subarray(0, n)) as A;
}

/** Strides (memory order) of a dense global array of `shape` in the grid's layout. */
function globalStrides(g: Grid, shape: readonly number[]): number[] {
  return denseStrides(g.order.map((d) => shape[d]), g.dof);
}

/** Whether rank r's block is the r-th contiguous piece of the global array (so gatherv's buffer is the answer). */
function blocksInOrder(g: Grid): boolean {
  let ok = g.cache.get('blocksInOrder') as boolean | undefined;
  if (ok === undefined) {
    ok = true;
    const gs = globalStrides(g, g.shape);
    let next = 0;
    for (let r = 0; r < g.comm.size && ok; r++) {
      const b = g.blockOf(r);
      const counts = g.order.map((d) => b.size[d]);
      const extent = g.order.map((d) => g.shape[d]);
      let d = counts.length - 1;
      while (d >= 0 && counts[d] === extent[d]) d--;
      for (let e = d - 1; e >= 0; e--) if (counts[e] !== 1) ok = false;
      let off = 0;
      g.order.forEach((dim, q) => { off += b.start[dim] * gs[q]; });
      if (off !== next) ok = false;
      next += boxElements(counts, g.dof);
    }
    g.cache.set('blocksInOrder', ok);
  }
  return ok;
}

/** This rank's owned points, packed in memory order (a view of data when they are contiguous there). */
function packOwned<A extends TypedArray>(a: DistributedArray<A>): A {
  const g = a.grid, o = g.owned();
  const buf = packBuffer(g, a.data, 'owned', o.elements);
  copyBox(a.data, o.offset, o.strides, buf, 0, denseStrides(o.counts, g.dof), o.counts, g.dof);
  return buf;
}

/** Root: the global array in natural order; others: null. Collective over the grid's communicator. */
export function gather<A extends TypedArray>(a: DistributedArray<A>, root = 0): A | null {
  const g = a.grid;
  checkRoot(g, root, 'gather');
  const got = g.channel.gatherv(packOwned(a), root);
  if (got === null) return null;
  const total = g.shape.reduce((x, y) => x * y, 1) * g.dof;
  if (blocksInOrder(g) && got.data.length === total) return got.data;
  const out = new (a.data.constructor as TypedArrayClass<A>)(total);
  const gs = globalStrides(g, g.shape);
  for (let r = 0; r < g.comm.size; r++) {
    const b = g.blockOf(r);
    const counts = g.order.map((d) => b.size[d]);
    let off = 0;
    g.order.forEach((dim, q) => { off += b.start[dim] * gs[q]; });
    copyBox(got.data, got.displs[r], denseStrides(counts, g.dof), out, off, gs, counts, g.dof);
  }
  return out;
}

/** Per dimension: the first lattice point in [lo, hi) and how many there are (start rs, end re, step s). */
function lattice(lo: number, hi: number, rs: number, re: number, s: number): [number, number] {
  const a = Math.max(lo, rs), b = Math.min(hi, re);
  const first = rs + Math.ceil((a - rs) / s) * s;
  return first < b ? [first, Math.ceil((b - first) / s)] : [first, 0];
}

/** Root: the strided region of the field; others: null. Collective over the grid's communicator. */
export function gatherRegion<A extends TypedArray>(a: DistributedArray<A>, region: Region, root: number, stride: number | readonly number[]): A | null {
  const g = a.grid;
  const r = g.region(region, stride, 'gatherRegion');
  checkRoot(g, root, 'gatherRegion');
  const piece = (start: readonly number[], size: readonly number[]) => start.map((s, d) => lattice(s, s + size[d], r.start[d], r.end[d], r.stride[d]));
  const mine = piece(g.start, g.size);
  const counts = g.order.map((d) => mine[d][1]);
  const n = boxElements(counts, g.dof);
  const buf = packBuffer(g, a.data, 'region', n);
  if (n > 0) {
    const box = g.box(mine.map((p) => p[0]), mine.map((p) => p[0] + 1));
    copyBox(a.data, box.offset, g.order.map((d) => g.strides[d] * r.stride[d]), buf, 0, denseStrides(counts, g.dof), counts, g.dof);
  }
  const got = g.channel.gatherv(buf, root);
  if (got === null) return null;
  const shape = r.start.map((s, d) => Math.ceil((r.end[d] - s) / r.stride[d]));
  const out = new (a.data.constructor as TypedArrayClass<A>)(shape.reduce((x, y) => x * y, 1) * g.dof);
  const gs = globalStrides(g, shape);
  for (let q = 0; q < g.comm.size; q++) {
    if (got.counts[q] === 0) continue;
    const b = g.blockOf(q);
    const p = piece(b.start, b.size);
    const c = g.order.map((d) => p[d][1]);
    let off = 0;
    g.order.forEach((dim, k) => { off += ((p[dim][0] - r.start[dim]) / r.stride[dim]) * gs[k]; });
    copyBox(got.data, got.displs[q], denseStrides(c, g.dof), out, off, gs, c, g.dof);
  }
  return out;
}

/** Fills the owned points from root's global array. Collective over the grid's communicator. */
export function scatter<A extends TypedArray>(a: DistributedArray<A>, global: A | null, root = 0): void {
  const g = a.grid;
  checkRoot(g, root, 'scatter');
  const total = g.shape.reduce((x, y) => x * y, 1) * g.dof;
  let send: A | null = null, counts: number[] | null = null;
  if (g.rank === root) {
    if (typeof global !== 'object' || global === null || global.constructor !== a.data.constructor || global.length !== total) {
      throw new ArgumentError(`scatter: root must pass the global field as a ${a.data.constructor.name} of ${total} elements ` +
        `([${g.shape.join(', ')}]${g.dof > 1 ? ` × ${g.dof}` : ''} in ${g.layout} order), got ${describe(global)}`);
    }
    counts = [];
    for (let r = 0; r < g.comm.size; r++) counts.push(boxElements(g.blockOf(r).size, g.dof));
    if (blocksInOrder(g)) {
      send = global;
    } else {
      send = new (a.data.constructor as TypedArrayClass<A>)(total);
      const gs = globalStrides(g, g.shape);
      let at = 0;
      for (let r = 0; r < g.comm.size; r++) {
        const b = g.blockOf(r);
        const c = g.order.map((d) => b.size[d]);
        let off = 0;
        g.order.forEach((dim, q) => { off += b.start[dim] * gs[q]; });
        copyBox(global, off, gs, send, at, denseStrides(c, g.dof), c, g.dof);
        at += counts[r];
      }
    }
  }
  const part = g.channel.scatterv(send, counts, root);
  const o = g.owned();
  copyBox(part, 0, denseStrides(o.counts, g.dof), a.data, o.offset, o.strides, o.counts, g.dof);
}
