/**
 * CouplingLink: one rank's side of a connected coupling. It holds the routes of the interfaces
 * its component takes part in (built once by `coupling.connect`) and runs them at coupling
 * times: `exchange(time)` sends this component's fields to the ranks that need them and maps
 * what arrives onto its received fields.
 */
import type { Comm } from '../comm/comm.js';
import type { TypedArray } from '../comm/collectives.js';
import { Request } from '../comm/request.js';
import { ArgumentError, describe } from '../errors.js';
import { copyBox, denseStrides } from '../../decomposition/box.js';
import type { DistributedArray } from '../../decomposition/index.js';
import type { TypedArrayClass } from '../../decomposition/grid.js';
import type { Component } from './components.js';
import type { InterfaceSpec } from './description.js';
import { CouplingTimeError } from './errors.js';
import { applyWeights, contractRow, contractRows, contractRowWasm, mapRows, mapSlabs, mapTarget, type AxisWeights, type MapScratch, type WasmRows } from './mapping.js';
import type { MappedRows, Transfer } from './route.js';
import { addressOf, readRowsFromProcess, writeToProcess } from '../system/libc.js';
import { TransportError } from '../errors.js';

/** Tags on the coupling's private channel: one per interface. */
const TAG_BASE = 1;

/** @internal One interface end on this rank. */
export interface Route {
  spec: InterfaceSpec;
  role: 'send' | 'receive';
  array: DistributedArray<TypedArray>;
  transfers: Transfer[];
  /** Receiving side: per-axis weights over the owned block, the footprint and its scratch. */
  axes: AxisWeights[];
  footprint: TypedArray | null;
  /**
   * When every axis is an identity copy and the owned block is one contiguous run of the
   * target's data of the source's type: its offset and length; messages then land in the
   * target directly (its current `data`, which the deck may swap between steps) — unless the
   * receive stays pending while the exchange's `update` runs (order 'parallel'): then they land
   * in `staging` and are copied in after it, so `update` never sees values arrive mid-way.
   */
  direct: { offset: number; length: number } | null;
  /** A direct route's landing buffer for this exchange when it must not land in the target (made on first use), else null. */
  staging?: TypedArray | null;
  /** Receiving side: whether the owned block is one contiguous run of the target's data in C order. */
  contiguous: boolean;
  scratch: MapScratch;
  /** The next coupling number (time / every) this route expects, or null before the first exchange. */
  next: number | null;
  requests: Request<unknown>[];
  /** Receiving side, when messages come in bands: map target slabs as their sources arrive. */
  progressive: Progressive | null;
  /** Sending side: the WebAssembly contraction of its contracted transfers (their buffers live in its arena), or null. */
  wasm: WasmRows | null;
  /** Receiving side of a target that maps part of its rows itself (route.ts splitRows), else null or absent. */
  split?: SplitReceive | null;
}

/**
 * @internal A target whose sender maps its first `rows` rows and writes them into its array,
 * while it maps the rest itself: its transfers are the raw source rows (of its footprint's
 * columns) that it maps, in chunks, which it reads from the sender's array (process_vm_readv)
 * into `window`, rows `width` apart: each chunk after the last `held.length` rows of the one before
 * (copied to the front), so that the window stays small enough to stay in cache and a target row
 * that reads rows of both still finds them (the sender's rows from its row `first`).
 */
export interface SplitReceive {
  rows: number;
  a0: AxisWeights;
  a: AxisWeights;
  window: Float64Array;
  first: number;
  width: number;
  /** Weighted source rows (ring, as a sender's MappedRows) and a band of `bandRows` finished rows. */
  ring: Float64Array;
  held: Int32Array;
  out: Float64Array;
  bandRows: number;
  wasm: WasmRows | null;
  /** This exchange's address of the array the sender writes into (sent first) and the sender's done message. */
  address: Float64Array;
  done: Float64Array;
  /** The address send, the read message's send and the done receive of this exchange. */
  requests: Request<unknown>[];
  /** The sender's process id, its message saying where the source rows are (MappedRows.push.source; `request` receives it), and this rank's that it has read them. */
  pid: number;
  source: Float64Array;
  request: Request<unknown> | null;
  read: Float64Array;
}

/** @internal How a receiver maps while later bands are in flight. */
export interface Progressive {
  /** Transfer indices by first footprint slab: the order to wait for them. */
  order: number[];
  /** Per target slab j: how many leading footprint slabs target slabs 0..j read. */
  need: Int32Array;
  /** Per footprint slab: messages still to arrive (scratch). */
  pending: Int32Array;
}

/** What `link.routes()` reports about one interface end on this rank. */
export interface RouteInfo {
  /** 'from → to'. */
  interface: string;
  role: 'send' | 'receive';
  /** Ranks of the parent communicator this rank exchanges with, ascending. */
  peers: number[];
  /** Elements this rank sends or receives per exchange. */
  elements: number;
  /** The coupling interval. */
  every: number;
  /** Exchanges done so far. */
  exchanges: number;
  /**
   * The kernels this end's arithmetic runs in: 'native' (maps.c: a sender mapping a target's rows
   * or contracting them, a split target its share, a receiver combining contracted rows), 'wasm' (kernels.wat), 'js' (mapping.ts), or 'none' when it does
   * none (it sends raw data, or receives a copy or rows its sender mapped).
   */
  kernels: 'native' | 'wasm' | 'js' | 'none';
}

/** Relative slack when matching a time to a coupling time. */
const TIME_TOL = 1e-6;

/** One rank's side of a connected coupling. */
export class CouplingLink {
  private readonly routes_: Route[];
  private last = -Infinity;
  private readonly counts: number[];

  /** @internal Use `coupling.connect(component, arrays)`. */
  constructor(
    /** This rank's component. */
    readonly component: Component,
    /** @internal The private channel (a dup of the parent communicator). */
    readonly channel: Comm, routes: Route[]) {
    this.routes_ = routes;
    this.counts = routes.map(() => 0);
  }

  /**
   * Whether `time` is a coupling time of any interface of this component (a multiple of its
   * interval). Local.
   */
  isCouplingTime(time: number): boolean {
    return this.routes_.some((r) => this.phase(r, time).due);
  }

  private phase(r: Route, time: number): { due: boolean; k: number; ratio: number } {
    const ratio = time / r.spec.every!;
    const k = Math.round(ratio);
    return { due: Math.abs(ratio - k) <= TIME_TOL * Math.max(1, Math.abs(ratio)), k, ratio };
  }

  /**
   * Exchanges every interface of this component due at `time` (this component's simulation
   * time; an interface is due at multiples of its interval): sends the fields it sends to the
   * ranks that need them, receives and maps the fields it receives. Serial inputs arrive first;
   * then `update` (if given) runs, so the component can refresh the fields it sends serially
   * from them; then its serial outputs go out. Call it at every step, or at least at every
   * coupling time, with increasing times; at other times it returns at once. Collective over
   * the ranks of the components coupled with this one at this time, blocking. Throws
   * ArgumentError for a bad time, CouplingTimeError when a coupling time was skipped or time
   * went backwards.
   */
  exchange(time: number, update?: () => void): void {
    if (typeof time !== 'number' || !Number.isFinite(time)) throw new ArgumentError(`CouplingLink.exchange(time): time must be this component's simulation time (a finite number), got ${describe(time)}`);
    if (update !== undefined && typeof update !== 'function') throw new ArgumentError(`CouplingLink.exchange(time, update): update must be a function or left out, got ${describe(update)}`);
    if (time < this.last) throw new CouplingTimeError(`CouplingLink.exchange: time went backwards on ${this.component.name}, from ${this.last} to ${time}; exchange at increasing times`);
    this.last = time;
    const due: Route[] = [];
    for (const r of this.routes_) {
      const p = this.phase(r, time);
      if (r.next !== null && !p.due && p.ratio > r.next) {
        throw new CouplingTimeError(`CouplingLink.exchange: ${this.component.name} reached time ${time} without exchanging ${r.spec.from.key} → ${r.spec.to.key} at its coupling time ${r.next * r.spec.every!}; ` +
          'call exchange(time) at every step (the steps must land on the coupling times)');
      }
      if (r.next !== null && p.due && p.k > r.next) {
        throw new CouplingTimeError(`CouplingLink.exchange: ${this.component.name} skipped the coupling time ${r.next * r.spec.every!} of ${r.spec.from.key} → ${r.spec.to.key}; call exchange(time) at every step`);
      }
      if (p.due) { r.next = p.k + 1; due.push(r); } else if (r.next === null) r.next = Math.ceil(p.ratio);
    }
    if (due.length === 0) { update?.(); return; }
    for (const r of due) if (r.role === 'receive') this.postReceives(r, update !== undefined && r.spec.order === 'parallel');
    const serialSends: Route[] = [];
    const parallelSends: Route[] = [];
    for (const r of due) if (r.role === 'send') (r.spec.order === 'serial' ? serialSends : parallelSends).push(r);
    for (const r of parallelSends) this.send(r);
    for (const r of due) if (r.role === 'receive' && r.spec.order === 'serial') this.finishReceive(r);
    for (const r of parallelSends) this.waitSends(r);
    update?.();
    for (const r of serialSends) this.send(r);
    for (const r of due) if (r.role === 'receive' && r.spec.order === 'parallel') this.finishReceive(r);
    for (const r of serialSends) this.waitSends(r);
    for (const r of due) this.counts[this.routes_.indexOf(r)]++;
  }

  private buffer(t: Transfer, like: TypedArray): TypedArray {
    if (t.buf === null || t.buf.constructor !== like.constructor) t.buf = new (like.constructor as TypedArrayClass)(t.elements);
    return t.buf;
  }

  private footprintOf(r: Route): TypedArray {
    if (r.direct === null) return r.footprint!;
    return r.staging ?? r.array.data.subarray(r.direct.offset, r.direct.offset + r.direct.length);
  }

  /** Posts the receives of route `r`; `pendingDuringUpdate`: they stay posted while the deck's update runs. */
  private postReceives(r: Route, pendingDuringUpdate: boolean): void {
    if (r.direct !== null) {
      const data = r.array.data, n = r.direct.length;
      r.staging = !pendingDuringUpdate ? null
        : r.staging != null && r.staging.constructor === data.constructor ? r.staging : new (data.constructor as TypedArrayClass)(n);
    }
    const fp = this.footprintOf(r);
    r.requests.length = 0;
    const sp = r.split;
    if (sp != null) {
      // the sender writes its rows where the message of a redistribution would land
      const peer = r.transfers[0].peer, tag = TAG_BASE + r.spec.index;
      sp.address[0] = addressOf(fp);
      sp.requests.length = 0;
      sp.requests.push(this.channel.isend(sp.address, peer, tag));
      // where the source rows are (they are read one chunk at a time as they are mapped: finishSplit)
      sp.request = this.channel.irecvInto(sp.source, peer, tag);
      return;
    }
    for (const t of r.transfers) {
      const into = t.contiguous ? fp.subarray(t.offset, t.offset + t.elements) : this.buffer(t, fp);
      r.requests.push(this.channel.irecvInto(into, t.peer, TAG_BASE + r.spec.index));
    }
  }

  private send(r: Route): void {
    const data = r.array.data, dof = r.array.grid.dof;
    r.requests.length = 0;
    // band by band: a contracted band goes out as soon as it is computed, so the receiver
    // copies and maps it while this rank computes the next
    for (let k = 0; k < r.transfers.length; k++) {
      const t = r.transfers[k];
      const pull = t.pulled;
      if (pull !== undefined) {
        // raw source rows a split target reads from this array itself: where they are, once
        if (t.offset === pull.offset) {
          const tag = TAG_BASE + r.spec.index;
          // its address first, then its message that it has read them (waitSends waits for it:
          // the array must not change before), then where the rows are
          pull.request = this.channel.irecvInto(pull.address, t.peer, tag);
          r.requests.push(this.channel.irecvInto(pull.ack, t.peer, tag));
          pull.source[0] = addressOf(data) + 8 * pull.offset;
          pull.source[1] = 8 * pull.pitch;
          r.requests.push(this.channel.isend(pull.source, t.peer, tag));
        }
        continue;
      }
      let out: TypedArray;
      if (t.contract !== null) {
        if (t.buf === null) t.buf = new Float64Array(t.elements);
        out = t.buf;
        const m = t.rows;
        if (m != null) {
          // a target this rank maps whole: its finished rows, in a hot buffer when the band
          // built there before has been received (route.ts MAPPED_HOT), else in its own
          if (t.slabs[0] === 0) { m.held.fill(-1); m.owner.fill(-1); m.built = 0; }
          const push = m.push;
          if (push != null) {
            // a target that maps its other rows itself (route.ts splitRows): each band written
            // straight into its array, whose address it sends first (the receive is posted with
            // the source rows' message, above); until it has come, bands are built in the hot
            // buffers, then in their own (this rank never waits for it before its last band),
            // and written in order once it has
            if (t.slabs[0] === 0) push.pending.length = 0;
            const n = push.pending.length;
            const into = (n < m.hot.length ? m.hot[n] : out as Float64Array).subarray(0, t.elements);
            mapRows(data as Float64Array | Float32Array, t.offset, t.strides[0], t.contract, m.a0, dof, m.ring!, m.held, into, t.slabs[0], t.slabs[1], r.wasm);
            push.pending.push([k, into]);
            if (push.request !== null && (k === push.last || push.request.test())) { push.request.wait(); push.request = null; }
            if (push.request === null) this.pushBands(r, push);
            if (k === push.last) r.requests.push(this.channel.isend(push.done, t.peer, TAG_BASE + r.spec.index));
            continue;
          }
          if (m.hot.length > 0) {
            const h = m.built++ % m.hot.length, before = m.owner[h];
            if (before < 0 || r.requests[before].test()) { out = m.hot[h].subarray(0, t.elements); m.owner[h] = r.requests.length; }
          }
          mapRows(data as Float64Array | Float32Array, t.offset, t.strides[0], t.contract, m.a0, dof, m.ring!, m.held, out as Float64Array, t.slabs[0], t.slabs[1], r.wasm);
        } else contractBox(data as Float64Array | Float32Array, t, dof, out as Float64Array, r.wasm);
      } else if (t.contiguous) out = data.subarray(t.offset, t.offset + t.elements);
      else {
        out = this.buffer(t, data);
        copyBox(data, t.offset, t.strides, out, 0, t.dense, t.counts, dof);
      }
      r.requests.push(this.channel.isend(out, t.peer, TAG_BASE + r.spec.index));
    }
  }

  /**
   * Writes the bands built and not yet written (push.pending: transfer index and the buffer it
   * was built in) into the target's array at the address it sent. Throws TransportError when the
   * kernel refuses the write.
   */
  private pushBands(r: Route, push: NonNullable<MappedRows['push']>): void {
    push.pending.forEach(([k, from]) => {
      const t = r.transfers[k];
      const err = writeToProcess(push.pid, addressOf(from), push.address[0] + 8 * t.slabs[0] * t.counts[1] * r.array.grid.dof, 8 * t.elements);
      if (err !== 0) throw new TransportError(`CouplingLink.exchange: writing ${r.spec.from.key} → ${r.spec.to.key} into rank ${t.peer}'s array failed with errno ${err} (process_vm_writev)`);
    });
    push.pending.length = 0;
  }

  private waitSends(r: Route): void {
    if (r.requests.length > 0) Request.waitAll(r.requests);
    r.requests.length = 0;
  }

  private finishReceive(r: Route): void {
    if (r.split != null) { this.finishSplit(r, r.split); return; }
    const fp = this.footprintOf(r), g = r.array.grid, dof = g.dof;
    let offset = 0;
    for (let d = 0; d < g.ndim; d++) offset += (g.start[d] - g.ghostStart[d]) * g.strides[d];
    // the last pass writes straight into a contiguous Float64 target block
    const data = r.array.data;
    const into = r.direct === null && r.contiguous && data instanceof Float64Array ? data.subarray(offset, offset + g.size.reduce((a, b) => a * b, dof)) : undefined;
    const p = r.progressive;
    let out: TypedArray;
    if (p !== null) {
      // map the target slabs whose sources are in while the later bands are still coming
      const target = mapTarget(r.axes, dof, r.scratch, into)!;
      const pending = p.pending;
      pending.fill(0);
      for (const t of r.transfers) for (let i = t.slabs[0]; i < t.slabs[1]; i++) pending[i]++;
      let have = 0, done = 0;
      const m0 = p.need.length;
      for (const k of p.order) {
        const t = r.transfers[k];
        r.requests[k].wait();
        if (!t.contiguous) copyBox(t.buf!, 0, t.dense, fp, t.offset, t.strides, t.counts, dof);
        for (let i = t.slabs[0]; i < t.slabs[1]; i++) pending[i]--;
        while (have < pending.length && pending[have] === 0) have++;
        let j = done;
        while (j < m0 && p.need[j] <= have) j++;
        if (j > done) { mapSlabs(fp as Float64Array | Float32Array, r.axes, dof, r.scratch, target, done, j); done = j; }
      }
      if (done < m0) mapSlabs(fp as Float64Array | Float32Array, r.axes, dof, r.scratch, target, done, m0);
      r.requests.length = 0;
      out = target;
    } else {
      if (r.requests.length > 0) Request.waitAll(r.requests);
      r.requests.length = 0;
      for (const t of r.transfers) if (!t.contiguous) copyBox(t.buf!, 0, t.dense, fp, t.offset, t.strides, t.counts, dof);
      if (r.direct !== null) {
        if (r.staging != null) (data as Float64Array).set(r.staging as Float64Array, r.direct.offset); // same class (postReceives)
        return;
      }
      out = applyWeights(fp as Float64Array | Float32Array, r.axes, dof, r.scratch, into) as TypedArray;
    }
    if (into === undefined || out !== into) copyBox(out, 0, denseStrides(g.size, dof), data, offset, g.strides, g.size, dof);
  }

  /**
   * A split target's part (route.ts splitRows): maps its rows from `sp.rows` on band by band,
   * reading the source rows they read from the sender's array just before (process_vm_readv),
   * into its array (where the sender writes the first rows); says when it has read them all, then
   * waits for the sender's done message. Throws TransportError when the kernel refuses a read.
   */
  private finishSplit(r: Route, sp: SplitReceive): void {
    const land = this.footprintOf(r) as Float64Array, a0 = sp.a0, m0 = a0.hi - a0.lo, len = sp.a.hi - sp.a.lo;
    const width = sp.width, slots = sp.held.length, tag = TAG_BASE + r.spec.index, peer = r.transfers[0].peer;
    sp.held.fill(-1);
    sp.request!.wait();
    sp.request = null;
    const from = sp.source[0], pitch = sp.source[1], window = addressOf(sp.window), last = r.transfers.length - 1;
    let j = sp.rows, held = 0;
    for (let k = 0; k <= last; k++) {
      // each chunk read just before it is mapped, so it is still in cache when it is, after the
      // last rows of the one before: a target row mapped now reads no row below them (its last
      // row is at least the first of this chunk, and it reads at most `slots` rows)
      const t = r.transfers[k], rows = t.slabs[1] - t.slabs[0], keep = Math.min(slots, held);
      if (keep > 0) sp.window.copyWithin(0, (held - keep) * width, held * width);
      held = keep + rows;
      const rowAt0 = (a0.srcLo - (t.slabs[0] - keep)) * width;
      const err = readRowsFromProcess(sp.pid, window + 8 * keep * width, from + (t.slabs[0] - sp.first) * pitch, 8 * width, pitch, rows);
      if (err !== 0) throw new TransportError(`CouplingLink.exchange: reading ${r.spec.from.key} → ${r.spec.to.key}'s source rows from rank ${peer}'s array failed with errno ${err} (process_vm_readv)`);
      // the sender may change its array once this has come
      if (k === last) sp.requests.push(this.channel.isend(sp.read, peer, tag));
      // the target rows whose source rows are all in (entries ascend: the last is the highest)
      const have = t.slabs[1];
      let j1 = j;
      while (j1 < m0 && (a0.ptr[j1 + 1] === a0.ptr[j1] || a0.idx[a0.ptr[j1 + 1] - 1] < have)) j1++;
      if (k === last) j1 = m0;
      if (sp.wasm?.native != null) {
        // the native kernels write the rows into the array themselves, in one call per chunk
        if (j1 > j) mapRows(sp.window, rowAt0, width, sp.a, a0, 1, sp.ring, sp.held, land.subarray(j * len, j1 * len), j, j1, sp.wasm);
      } else {
        for (let b = j; b < j1; b += sp.bandRows) {
          const e = Math.min(j1, b + sp.bandRows);
          mapRows(sp.window, rowAt0, width, sp.a, a0, 1, sp.ring, sp.held, sp.out, b, e, sp.wasm);
          land.set(sp.out.subarray(0, (e - b) * len), b * len);
        }
      }
      j = j1;
    }
    sp.requests.push(this.channel.irecvInto(sp.done, peer, tag));
    Request.waitAll(sp.requests);
    sp.requests.length = 0;
    if (r.staging != null) (r.array.data as Float64Array).set(r.staging as Float64Array, r.direct!.offset);
  }

  /** What this rank exchanges, per interface end: peers, elements per exchange, exchanges done. Local. */
  routes(): RouteInfo[] {
    return this.routes_.map((r, k) => ({
      interface: `${r.spec.from.key} → ${r.spec.to.key}`, role: r.role,
      peers: [...new Set(r.transfers.map((t) => t.peer))].sort((a, b) => a - b),
      elements: r.transfers.reduce((s, t) => s + t.elements, 0), every: r.spec.every!, exchanges: this.counts[k], kernels: kernelsOf(r),
    }));
  }

  /** Releases the coupling's private channel. Local. The link must not exchange afterwards. */
  free(): void {
    this.channel.free();
  }
}

/** RouteInfo.kernels of route `r`. */
function kernelsOf(r: Route): RouteInfo['kernels'] {
  if (r.role === 'send') {
    if (!r.transfers.some((t) => t.contract !== null)) return 'none';
    if (r.wasm === null) return 'js';
    // (native: a target mapped whole, or contracted messages of at most two dimensions: contractBox)
    return r.wasm.native !== null && r.array.data instanceof Float64Array && r.array.grid.dof === 1 &&
      (r.transfers.some((t) => t.rows != null) || r.transfers.every((t) => t.contract === null || t.counts.length <= 2)) ? 'native' : 'wasm';
  }
  if (r.split != null) return r.split.wasm === null ? 'js' : r.split.wasm.native !== null ? 'native' : 'wasm';
  if (r.direct !== null) return 'none';
  return r.scratch.wasm === undefined ? 'js' : r.scratch.wasm.native !== null ? 'native' : 'wasm';
}

/**
 * Fills a contracted message: for every row of the transfer's box (all dimensions but the
 * last), the target's columns of that row weighted along the last dimension (contractRow, or
 * its native or WebAssembly form (contractRows) when `wasm` has the kernel's arrays for these weights; then `out` is
 * a view of its arena), rows in C order. Local.
 */
function contractBox(data: Float64Array | Float32Array, t: Transfer, dof: number, out: Float64Array, wasm: WasmRows | null): void {
  const a = t.contract!, n = t.counts.length, rowLen = t.counts[n - 1] * dof;
  const w = wasm !== null && wasm.axes.has(a) && wasm.arena.holds(out) ? wasm : null;
  if (n === 1) { if (w !== null) contractRows(data, t.offset, 0, a, w, out, 0, 1); else contractRow(data, t.offset, a, dof, out, 0); return; }
  if (n === 2) {
    const c0 = t.counts[0], s0 = t.strides[0];
    if (w !== null) contractRows(data, t.offset, s0, a, w, out, 0, c0);
    else for (let r = 0; r < c0; r++) contractRow(data, t.offset + r * s0, a, dof, out, r * rowLen);
    return;
  }
  // any dimension: an odometer over the leading dimensions
  const at = new Array<number>(n - 1).fill(0);
  let row = 0, from = t.offset;
  for (;;) {
    if (w !== null) contractRowWasm(data, from, a, w, out, row * rowLen); else contractRow(data, from, a, dof, out, row * rowLen);
    row++;
    let d = n - 2;
    while (d >= 0 && ++at[d] === t.counts[d]) { from -= (t.counts[d] - 1) * t.strides[d]; at[d] = 0; d--; }
    if (d < 0) return;
    from += t.strides[d];
  }
}
