/**
 * Parallel reduction of a distributed field to a small image before anything travels to rank 0
 * (Warp's deposit-then-sum pattern). The output pixels tile a region of the grid; pixel p along
 * a dimension covers cells floor(p·n/m) to floor((p+1)·n/m) - 1 of the region (pooling by mean,
 * min or max) or the one cell at its centre (sampling).
 *
 * The image is the same bit for bit on any number of ranks: every pixel belongs to exactly one
 * rank (the owner of the pixel's first cell), which first receives the few cells of its pixels
 * that lie on its neighbours (strips narrower than one pixel, along block edges), then reduces
 * each pixel over its cells in the grid's memory order, the same order whatever the split. Only
 * the pixels go to the root, in one gatherv; one small allreduce gives everyone the colour scale.
 */
import { ArgumentError, describe, Op, Request, type Comm } from '../index.js';
import { copyBox, denseStrides } from '../../decomposition/box.js';
import type { DistributedArray } from '../../decomposition/distributedArray.js';
import type { Grid } from '../../decomposition/grid.js';
import { valueBounds } from './colormaps.js';
import { ownFunctions } from '../kernels/own.js';

/** How each output pixel summarises its cells. */
export type PoolMode = 'mean' | 'min' | 'max' | 'sample';

/** Options of reduceField (and of every live plot of a field). */
export interface ReduceOptions {
  /** Largest number of pixels along each kept dimension (one number for all, or one per dimension); default 512. Never more than the region's cells. */
  size?: number | readonly number[];
  /** 'mean' (default), 'min', 'max' (pooling: each pixel summarises all its cells, so a one-cell feature survives) or 'sample' (the pixel's centre cell, like striding). */
  pool?: PoolMode;
  /** Region of interest in global indices, end excluded (default: the whole grid). */
  region?: { start?: readonly number[]; end?: readonly number[] };
  /** For a 3-D field: the plane `index` across dimension `axis`. */
  slice?: { axis: number; index: number };
  /** Pool the whole of dimension `axis` into one (a projection, e.g. the maximum along z with pool 'max'). */
  project?: number;
  /** Which component of a field with dof > 1 (default 0). */
  component?: number;
  /** The rank that receives the image (default 0). */
  root?: number;
}

/** The reduced image on the root (a live plot's in single precision: V is Float32Array). */
export interface ReducedField<V extends Float64Array | Float32Array = Float64Array> {
  /** Pixel values in index order over the kept dimensions (the first slowest): values[i * ny + j] for 2-D. */
  values: V;
  /** Pixels per kept dimension. */
  shape: number[];
  /** The grid dimensions kept (those the region spans by more than one cell and not projected). */
  dims: number[];
  /** Per kept dimension, the region [start, end) in cell indices (the image's extent in index space). */
  cells: [number, number][];
  /** Smallest and largest pixel value (NaN ignored; of the double-precision pixels also when `values` is single precision, a zero then as +0). */
  min: number;
  max: number;
}

/** Per dimension: region, pixel count and the cell range each pixel covers. */
interface Axis { start: number; end: number; m: number; first: Int32Array; last: Int32Array; ownerOf: Int32Array }

/** Everything about one reduction that does not change from frame to frame. */
interface Plan {
  ndim: number;
  axes: Axis[];
  /** Per process coordinate along each dimension: its pixels [p0, p1) and the cells they need [lo, hi). */
  pixRange: number[][][];
  needRange: number[][][];
  mine: { p0: number[]; p1: number[]; lo: number[]; hi: number[]; empty: boolean };
  sends: { rank: number; lo: number[]; hi: number[] }[];
  recvs: { rank: number; lo: number[]; hi: number[] }[];
  local: boolean;
  pixCount: number;
  /** Per memory-order position: the pixel of each needed cell, pre-multiplied by the pixel stride. */
  pixTables: Int32Array[];
  /** Along the fastest dimension in memory: where each of our pixels' cells begin in the need box, and where the last ends. */
  segments: Int32Array;
  cellCounts: Float64Array | null;
  /** Every pixel is 16 cells (4 × 4 in 2-D): the division can be done by the pooling. */
  sixteen: boolean;
  /** This rank's pixel buffer, reused from frame to frame once its last send completed. */
  acc: Float64Array | null;
  accSend: Request<unknown> | null;
  /** Single precision (float32): this rank's pixels as sent, reused once that send completed. */
  out32: Float32Array | null;
  out32Send: Request<unknown> | null;
  /** pool4x4To32's row of double-precision pixels (one row of this rank's box), reused. */
  row: Float64Array | null;
  /** Root: the receive buffer of each other rank's pixel box (when it cannot go straight into the image), reused from frame to frame. */
  boxBufs: Map<number, Float64Array | Float32Array>;
  /** Root, single precision: each other rank's [min, max] (double precision), reused. */
  boundBufs: Map<number, Float64Array>;
  /** Root: the image whose boxes are still arriving into boxBufs (completed before they are reused). */
  arriving: PendingImage<Float64Array | Float32Array> | null;
}

/** How startReduction runs; every field is optional. */
export interface StartOptions {
  /** Max-reduced over all ranks first (blocking). */
  agree?: Float64Array;
  /** The other ranks' pixel sends complete in the background (settleReductions() waits for them). */
  detach?: boolean;
  /** Root: image buffers the caller is done with; one of the right length and precision is taken and filled instead of a new one. */
  spares?: (Float64Array | Float32Array)[];
  /**
   * The image in single precision (a live plot's: half the bytes to send, put together and
   * colour; ample for a colour scale of 240 steps; on the root in a SharedArrayBuffer, which a
   * render worker reads without a transfer), pooled in double precision as always and
   * rounded once; its min and max are of the double-precision pixels, found by each rank over
   * its own pixels as it rounds them and sent along (16 bytes more per rank), so the drawing
   * rank does not look for them.
   */
  float32?: boolean;
  /** Root, with float32: makes a new image buffer (shared memory the render worker reads); default a Float32Array over a new SharedArrayBuffer. */
  alloc32?: (n: number) => Float32Array;
}

/** A reduced image on the root whose pixel boxes may still be arriving. */
export interface PendingImage<V extends Float64Array | Float32Array = Float64Array> {
  /** Non-blocking: makes progress and tells whether every box has arrived. */
  test(): boolean;
  /**
   * Blocks until every box has arrived; then puts the image together (once) and returns it.
   * With `bounds` false the image's min and max are left NaN (a live plot's renderer finds
   * them off the critical path). The first call decides: later calls return the same image.
   */
  wait(bounds?: boolean): ReducedField<V>;
}

const comms = new WeakMap<Grid, Comm>();
/** A private communicator per grid for graphics traffic (dup: collective, once). */
function channelOf(g: Grid): Comm {
  let c = comms.get(g);
  if (c === undefined) { c = g.comm.dup(); comms.set(g, c); }
  return c;
}

function checkArray(a: unknown, what: string): DistributedArray {
  const x = a as DistributedArray;
  if (typeof x !== 'object' || x === null || typeof x.grid !== 'object' || !ArrayBuffer.isView(x.data) || typeof x.corners !== 'function') {
    throw new ArgumentError(`${what}: pass a DistributedArray (from grid.zeros()), got ${describe(a)}`);
  }
  if (x.data instanceof BigInt64Array || x.data instanceof BigUint64Array) throw new ArgumentError(`${what}: bigint fields cannot be plotted; copy them into a Float64Array field`);
  return x;
}

/** Checks options and builds the plan's key; throws ArgumentError for anything out of range. */
function normalise(g: Grid, o: ReduceOptions, what: string) {
  if (typeof o !== 'object' || o === null) throw new ArgumentError(`${what}: options must be an object, got ${describe(o)}`);
  const nd = g.ndim;
  const pool = o.pool ?? 'mean';
  if (!['mean', 'min', 'max', 'sample'].includes(pool)) throw new ArgumentError(`${what}: pool must be 'mean', 'min', 'max' or 'sample', got ${describe(pool)}`);
  const sizeIn = o.size ?? 512;
  const size = typeof sizeIn === 'number' ? new Array<number>(nd).fill(sizeIn) : Array.isArray(sizeIn) ? [...sizeIn] : [];
  if (size.length !== nd || size.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new ArgumentError(`${what}: size must be a positive integer or ${nd} of them (pixels per dimension), got ${describe(sizeIn)}`);
  }
  const comp = o.component ?? 0;
  if (!Number.isInteger(comp) || comp < 0 || comp >= g.dof) throw new ArgumentError(`${what}: component must be from 0 to ${g.dof - 1} (the field has dof ${g.dof}), got ${describe(o.component)}`);
  const root = o.root ?? 0;
  if (!Number.isInteger(root) || root < 0 || root >= g.comm.size) throw new ArgumentError(`${what}: root must be a rank from 0 to ${g.comm.size - 1}, got ${describe(o.root)}`);
  const r = g.region(o.region ?? {}, 1, what);
  const start = r.start, end = r.end;
  if (o.slice !== undefined) {
    const { axis, index } = o.slice ?? ({} as { axis: number; index: number });
    if (typeof o.slice !== 'object' || !Number.isInteger(axis) || axis < 0 || axis >= nd || !Number.isInteger(index) || index < 0 || index >= g.shape[axis]) {
      throw new ArgumentError(`${what}: slice must be { axis, index } with axis from 0 to ${nd - 1} and index inside the grid, got ${JSON.stringify(o.slice)}`);
    }
    start[axis] = index; end[axis] = index + 1;
  }
  if (o.project !== undefined && (!Number.isInteger(o.project) || o.project < 0 || o.project >= nd || o.project === o.slice?.axis)) {
    throw new ArgumentError(`${what}: project must be a dimension from 0 to ${nd - 1} other than the sliced one, got ${describe(o.project)}`);
  }
  const m = start.map((s, d) => (d === o.project ? 1 : Math.min(size[d], end[d] - s)));
  const dims = start.map((_, d) => d).filter((d) => d !== o.project && end[d] - start[d] > 1);
  return { pool, start, end, m, comp, root, dims, key: `${pool}|${start}|${end}|${m}` };
}

function buildAxis(g: Grid, d: number, start: number, end: number, m: number, sample: boolean): Axis {
  const n = end - start, first = new Int32Array(m), last = new Int32Array(m), ownerOf = new Int32Array(m);
  const off = g.offsets[d];
  let k = 0;
  for (let p = 0; p < m; p++) {
    if (sample) { first[p] = start + Math.floor(((p + 0.5) * n) / m); last[p] = first[p] + 1; } else { first[p] = start + Math.floor((p * n) / m); last[p] = start + Math.floor(((p + 1) * n) / m); }
    while (off[k + 1] <= first[p]) k++;
    ownerOf[p] = k;
  }
  return { start, end, m, first, last, ownerOf };
}

function plan(g: Grid, n: ReturnType<typeof normalise>): Plan {
  const key = `graphics-plan|${n.key}`;
  const cached = g.cache.get(key) as Plan | undefined;
  if (cached !== undefined) return cached;
  const nd = g.ndim, sample = n.pool === 'sample';
  const axes = n.start.map((s, d) => buildAxis(g, d, s, n.end[d], n.m[d], sample));
  const pixRange: number[][][] = [], needRange: number[][][] = [];
  for (let d = 0; d < nd; d++) {
    const ax = axes[d], pr: number[][] = [], nr: number[][] = [];
    for (let c = 0; c < g.procs[d]; c++) {
      let p0 = 0;
      while (p0 < ax.m && ax.ownerOf[p0] < c) p0++;
      let p1 = p0;
      while (p1 < ax.m && ax.ownerOf[p1] === c) p1++;
      pr.push([p0, p1]);
      nr.push(p1 > p0 ? [ax.first[p0], ax.last[p1 - 1]] : [0, 0]);
    }
    pixRange.push(pr); needRange.push(nr);
  }
  const boxOf = (rank: number) => {
    const c = g.coordsOf(rank);
    const p0 = c.map((x, d) => pixRange[d][x][0]), p1 = c.map((x, d) => pixRange[d][x][1]);
    const lo = c.map((x, d) => needRange[d][x][0]), hi = c.map((x, d) => needRange[d][x][1]);
    return { p0, p1, lo, hi, empty: p0.some((x, d) => p1[d] <= x) };
  };
  const mine = boxOf(g.rank);
  const own = g.blockOf(g.rank);
  const sends: Plan['sends'] = [], recvs: Plan['recvs'] = [];
  const meet = (alo: number[], ahi: number[], blo: readonly number[], bhi: readonly number[]) => {
    const lo = alo.map((x, d) => Math.max(x, blo[d])), hi = ahi.map((x, d) => Math.min(x, bhi[d]));
    return lo.every((x, d) => x < hi[d]) ? { lo, hi } : null;
  };
  for (let q = 0; q < g.comm.size; q++) {
    if (q === g.rank) continue;
    const theirs = boxOf(q), block = g.blockOf(q);
    if (!theirs.empty) { const s = meet(theirs.lo, theirs.hi, own.start, own.end); if (s) sends.push({ rank: q, ...s }); }
    if (!mine.empty) { const r = meet(mine.lo, mine.hi, block.start, block.end); if (r) recvs.push({ rank: q, ...r }); }
  }
  // pixel tables in memory order: cell (relative to the need box) -> pixel offset in this rank's pixel box
  const order = g.order;
  const pixCounts = mine.p0.map((x, d) => Math.max(0, mine.p1[d] - x));
  const pixStrides = denseStrides(order.map((d) => pixCounts[d]), 1);
  const pixTables = order.map((d, q) => {
    const ax = axes[d], len = Math.max(0, mine.hi[d] - mine.lo[d]), t = new Int32Array(len).fill(-1);
    for (let p = mine.p0[d]; p < mine.p1[d]; p++) for (let c = ax.first[p]; c < ax.last[p]; c++) t[c - mine.lo[d]] = (p - mine.p0[d]) * pixStrides[q];
    return t;
  });
  const fast = order[nd - 1];
  const segments = new Int32Array(Math.max(0, mine.p1[fast] - mine.p0[fast]) + 1);
  for (let p = mine.p0[fast]; p < mine.p1[fast]; p++) { segments[p - mine.p0[fast]] = axes[fast].first[p] - mine.lo[fast]; segments[p - mine.p0[fast] + 1] = axes[fast].last[p] - mine.lo[fast]; }
  const pixCount = mine.empty ? 0 : pixCounts.reduce((a, b) => a * b, 1);
  let cellCounts: Float64Array | null = null;
  if (n.pool === 'mean' && pixCount > 0) {
    // a pixel's cell count is the product of its extents: built dimension by dimension (memory order)
    cellCounts = new Float64Array(pixCount).fill(1);
    let inner = pixCount;
    for (const d of order) {
      const ext = Int32Array.from({ length: pixCounts[d] }, (_, k) => axes[d].last[mine.p0[d] + k] - axes[d].first[mine.p0[d] + k]);
      inner /= pixCounts[d];
      for (let k = 0; k < pixCount; k++) cellCounts[k] *= ext[Math.floor(k / inner) % pixCounts[d]];
    }
  }
  const local = recvs.length === 0;
  const p: Plan = { ndim: nd, axes, pixRange, needRange, mine, sends, recvs, local, pixCount, pixTables, segments, cellCounts, sixteen: cellCounts !== null && cellCounts.every((c) => c === 16), acc: null, accSend: null, out32: null, out32Send: null, row: null, boxBufs: new Map(), boundBufs: new Map(), arriving: null };
  g.cache.set(key, p);
  return p;
}

type Num = { [i: number]: number; length: number };

/**
 * Reduces the need box of `src` (memory-order offset and strides, 1 to 3 dimensions) into
 * `acc`. Along the fastest dimension each pixel's cells form a run (`segments`); a run is
 * reduced on its own, then combined into the pixel, runs in memory order. So a pixel's value
 * depends only on its cells and this fixed order, never on where the blocks are cut. `acc` is
 * filled with the mode's start value first (0, +Infinity or -Infinity), except when every
 * pixel is 4 x 4 cells and divided here (`div` 16; returns true): each is then written once.
 */
function poolInto(src: Num, offset: number, strides: number[], tables: Int32Array[], segments: Int32Array, acc: Float64Array, mode: PoolMode, div = 0): boolean {
  let slow = tables.slice(0, -1), ss = strides.slice(0, -1);
  while (slow.length < 2) { slow = [Int32Array.of(0), ...slow]; ss = [0, ...ss]; }
  const [ta, tb] = slow, [sa, sb] = ss, sc = strides[strides.length - 1];
  const na = ta.length, nb = tb.length, ns = segments.length - 1;
  let uniform = ns > 0 ? segments[1] - segments[0] : 0;
  for (let s = 1; s < ns && uniform > 0; s++) if (segments[s + 1] - segments[s] !== uniform) uniform = 0;
  // `div` (every pixel's cell count, 16): a 2-D field whose pixels are all 4 × 4 cells is
  // divided as each pixel's last row is added, instead of in a pass of its own over the pixels
  // (the same division of the same sum)
  const fuse = div === 16 && mode === 'mean' && fourByFour(tables, segments, sc) ? 16 : 1;
  // fused, every pixel is written once, its sum started from 0 (as 0 + x, so -0 still becomes
  // +0): acc is not filled first, nor read (1 MiB each way for 512 x 256 pixels)
  if (fuse !== 16) acc.fill(mode === 'min' ? Infinity : mode === 'max' ? -Infinity : 0);
  // the same loops in C (pool.c, the same operations in the same order) where they load
  const native = src instanceof Float64Array && !warming ? nativePoolRuns() : null;
  if (native !== null) {
    native(src as Float64Array, offset, ta, na, sa, tb, nb, sb, sc, segments, ns, acc, mode === 'mean' ? 0 : mode === 'min' ? 1 : 2, fuse, mode === 'mean' && uniform === 4 && sc === 1 ? 1 : 0);
    return fuse === 16;
  }
  for (let ia = 0; ia < na; ia++) {
    const pa = ta[ia];
    if (pa < 0) continue;
    for (let ib = 0; ib < nb; ib++) {
      const pb = tb[ib];
      if (pb < 0) continue;
      const base = pa + pb, row = offset + ia * sa + ib * sb;
      if (mode === 'mean' && uniform === 4 && sc === 1) {
        // four rows of the same pixels at once: each pixel is read and written once instead of
        // four times, with the same additions in the same order (row by row, run by run)
        if (ib + 3 < nb && tb[ib + 3] === pb && tb[ib + 1] === pb && tb[ib + 2] === pb) { rowsOf4x4(src, row + segments[0], sb, ns, acc, base, fuse); ib += 3; } else runsOf4(src, row + segments[0], ns, acc, base);
      } else runs(src, row, sc, segments, acc, base, mode);
    }
  }
  return fuse === 16;
}

/**
 * poolInto (exported for tests) with `js` true: the JavaScript loops only, never the C ones;
 * with `js` false: the C loops where they load. The two must give the same bits. Local.
 */
export function poolIntoFor(js: boolean, src: Float64Array, offset: number, strides: number[], tables: Int32Array[], segments: Int32Array, acc: Float64Array, mode: PoolMode, div = 0): boolean {
  const w = warming;
  warming = js;
  try { return poolInto(src, offset, strides, tables, segments, acc, mode, div); } finally { warming = w; }
}

/**
 * Whether a 2-D need box pools as whole 4 × 4 blocks: every pixel's cells are 4 contiguous
 * cells (`sc` 1) of 4 consecutive rows, rows of no pixel aside. Then each pixel's sum is made in
 * one go (rowsOf4x4) and can be divided, or rounded, as it is finished.
 */
function fourByFour(tables: Int32Array[], segments: Int32Array, sc: number): boolean {
  const ns = segments.length - 1;
  if (tables.length !== 2 || sc !== 1 || ns < 1) return false;
  for (let s = 0; s < ns; s++) if (segments[s + 1] - segments[s] !== 4) return false;
  const tb = tables[0], nb = tb.length;
  for (let ib = 0; ib < nb; ib++) {
    const pb = tb[ib];
    if (pb < 0) continue;
    if (!(ib + 3 < nb && tb[ib + 1] === pb && tb[ib + 2] === pb && tb[ib + 3] === pb && (ib + 4 >= nb || tb[ib + 4] !== pb))) return false;
    ib += 3;
  }
  return true;
}

/**
 * Mean pooling of whole 4 × 4 blocks (fourByFour) straight to single precision: this rank's
 * pixel k goes to out[at + k], its double-precision mean (rowsOf4x4's, the same sum divided by
 * 16) rounded once, as Float32Array.set rounds; into `mm` the smallest and largest
 * double-precision pixel, NaN ignored, a zero as +0 (what narrow() gives). A row of pixels is
 * pooled into `row` (ns doubles, in L1) and rounded from there, so the double-precision pixels
 * are neither written to a buffer of their own nor read back from it (1 MiB each way and two
 * passes for 512 × 256 pixels). The min and max inside the pooling loop measured slower than
 * this (the loop then spills).
 */
function pool4x4To32(src: Num, offset: number, sb: number, rows: Int32Array, segments: Int32Array, row: Float64Array, out: Float32Array, at: number, mm: Float64Array): void {
  const ns = segments.length - 1, nb = rows.length;
  mm[0] = Infinity; mm[1] = -Infinity;
  for (let ib = 0; ib < nb; ib++) {
    const pb = rows[ib];
    if (pb < 0) continue;
    rowsOf4x4(src, offset + ib * sb + segments[0], sb, ns, row, 0, 16);
    narrowRow(row, ns, out, at + pb, mm);
    ib += 3;
  }
  if (mm[0] === 0) mm[0] = 0;
  if (mm[1] === 0) mm[1] = 0;
}

/**
 * pool4x4To32 in C (src/graphics/pool.c, `simdeck_pool4x4_to32`) for a Float64Array field:
 * src, offset, row stride, the row table (pixTables[0]) and its length, the first run's start
 * (segments[0]), pixels per row, out, at, mm. The same bits as the JavaScript loops (the same
 * additions in the same order, the same rounding, the same min and max); about 2.3 times faster
 * on one rank's 2048 x 1024 cells (0.6 against 1.5 ms), the memory floor. koffi hands the typed
 * arrays' memory to C as it is (also a SharedArrayBuffer's or the shared image memory's): no copy.
 */
export type NativePool4x4 = (src: Float64Array, offset: number, sb: number, rows: Int32Array, nb: number, seg0: number, ns: number, out: Float32Array, at: number, mm: Float64Array) => void;

/**
 * poolInto's loops in C (src/graphics/pool.c, `simdeck_pool_runs`) for a Float64Array field:
 * src, offset, the two slow tables with their lengths and strides, the fastest stride, segments
 * and their count, acc, mode (0 mean, 1 min, 2 max), div (1, or 16: whole 4 × 4 blocks divided
 * as they are finished), and whether every run is 4 contiguous cells. The same bits as the
 * JavaScript loops.
 */
export type NativePoolRuns = (src: Float64Array, offset: number, ta: Int32Array, na: number, sa: number, tb: Int32Array, nb: number, sb: number, sc: number, segments: Int32Array, ns: number, acc: Float64Array, mode: number, div: number, uniform4: number) => void;

let natives: { pool4x4: NativePool4x4; runs: NativePoolRuns } | null | undefined;
/** warmUpReduction runs the JavaScript loops (to have V8 compile them), never the C ones. */
let warming = false;

/** The functions of pool.c, loaded once (see nativePool4x4), or null. Never throws. */
function nativePools(): { pool4x4: NativePool4x4; runs: NativePoolRuns } | null {
  if (natives === undefined) {
    const found = ownFunctions('graphics/pool', {
      pool4x4: 'void simdeck_pool4x4_to32(const double *src, int64_t offset, int64_t sb, const int32_t *rows, int32_t nb, int32_t seg0, int32_t ns, float *out, int64_t at, double *mm)',
      runs: 'void simdeck_pool_runs(const double *src, int64_t offset, const int32_t *ta, int32_t na, int64_t sa, const int32_t *tb, int32_t nb, int64_t sb, int64_t sc, const int32_t *segments, int32_t ns, double *acc, int32_t mode, int32_t div, int32_t uniform4)',
    });
    natives = 'reason' in found ? null : { pool4x4: found.functions.pool4x4 as NativePool4x4, runs: found.functions.runs as NativePoolRuns };
  }
  return natives;
}

/**
 * The native 4 × 4 pooling, or null where there is none (SIMDECK_NATIVE=0, no C compiler, the
 * build or load failed: see ownKernelsStatus('graphics/pool')), found on first use: the first
 * frame of a live heat map (blocking, once per process: compiles pool.c with `cc` unless the
 * cache has it, or waits while another rank compiles it), not at import. Never throws.
 */
export function nativePool4x4(): NativePool4x4 | null {
  return nativePools()?.pool4x4 ?? null;
}

/** The native general pooling loops (poolInto's), or null: found on first use as nativePool4x4. Never throws. */
export function nativePoolRuns(): NativePoolRuns | null {
  return nativePools()?.runs ?? null;
}

/**
 * The JavaScript pool4x4To32 with the native kernel's arguments (for tests: the two must give
 * the same bytes). Local, never throws for consistent arguments.
 */
export function pool4x4To32Js(src: Float64Array, offset: number, sb: number, rows: Int32Array, nb: number, seg0: number, ns: number, out: Float32Array, at: number, mm: Float64Array): void {
  const segments = Int32Array.from({ length: ns + 1 }, (_, s) => seg0 + 4 * s);
  pool4x4To32(src, offset, sb, rows.subarray(0, nb), segments, new Float64Array(ns), out, at, mm);
}

/** This frame's single-precision pixels to send: last frame's buffer once its send is done, else a new one. */
function sendBuffer32(p: Plan): Float32Array {
  if (p.out32 === null || (p.out32Send !== null && !p.out32Send.test())) { p.out32 = new Float32Array(p.pixCount); p.out32Send = null; }
  return p.out32;
}

/**
 * out[base + s] = row[s] rounded to single precision, s < ns, a NaN as the canonical quiet NaN
 * (0x7fc00000), and mm = [min, max] of row and mm (NaN ignored: comparisons with NaN are false).
 * Which NaN a sum of NaNs gives is not JavaScript's to say (x86 keeps the first operand's, and
 * V8's compiled code may swap the operands of an addition), so a NaN pixel's bits could depend
 * on the compiler's tier or on C against JavaScript: the canonical NaN makes them one.
 */
function narrowRow(row: Float64Array, ns: number, out: Float32Array, base: number, mm: Float64Array): void {
  let lo = mm[0], hi = mm[1];
  for (let s = 0; s < ns; s++) {
    const v = row[s];
    out[base + s] = v === v ? v : NaN;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  mm[0] = lo; mm[1] = hi;
}

// The loops over one row's runs are functions of their own, called once per row: V8 then
// compiles them as a whole during the first frame (thousands of calls), where one function with
// all the loops was compiled mid-loop and dropped back to the interpreter on the next frame, so
// the first two frames each took 25-75 ms instead of about 1.5 ms.

/** Mean pooling of `ns` runs of 4 contiguous cells from `o` (the common 4:1 down-selection), added into acc[base + s]. */
function runsOf4(src: Num, o: number, ns: number, acc: Float64Array, base: number): void {
  for (let s = 0; s < ns; s++, o += 4) {
    let x = 0;
    x += src[o]; x += src[o + 1]; x += src[o + 2]; x += src[o + 3];
    acc[base + s] += x;
  }
}

/**
 * runsOf4 over the four rows o, o + sb, o + 2 sb, o + 3 sb of the same pixels: the same sums in
 * the same order, acc[base + s] touched once, and divided by `div` (1: not at all, x / 1 is x;
 * 16: these are the pixel's only cells, so its sum starts from 0 and acc is not read).
 * (Keeping the min and max of the finished pixels here as well made this loop, at the memory
 * floor otherwise, 1.2-1.8 ms -> 2.4 ms for 2048 x 1024 cells: they get a pass of their own.)
 */
function rowsOf4x4(src: Num, o: number, sb: number, ns: number, acc: Float64Array, base: number, div: number): void {
  let o1 = o + sb, o2 = o1 + sb, o3 = o2 + sb;
  for (let s = 0; s < ns; s++, o += 4, o1 += 4, o2 += 4, o3 += 4) {
    let y = div === 16 ? 0 : acc[base + s], x = 0;
    x += src[o]; x += src[o + 1]; x += src[o + 2]; x += src[o + 3]; y += x;
    x = 0; x += src[o1]; x += src[o1 + 1]; x += src[o1 + 2]; x += src[o1 + 3]; y += x;
    x = 0; x += src[o2]; x += src[o2 + 1]; x += src[o2 + 2]; x += src[o2 + 3]; y += x;
    x = 0; x += src[o3]; x += src[o3 + 1]; x += src[o3 + 2]; x += src[o3 + 3]; y += x;
    acc[base + s] = y / div;
  }
}

/** One row's runs (cells segments[s] to segments[s + 1], stride sc) reduced and combined into acc[base + s]. */
function runs(src: Num, row: number, sc: number, segments: Int32Array, acc: Float64Array, base: number, mode: PoolMode): void {
  const ns = segments.length - 1;
  for (let s = 0; s < ns; s++) {
    let o = row + segments[s] * sc;
    const e = row + segments[s + 1] * sc;
    if (mode === 'mean') {
      let x = 0;
      for (; o < e; o += sc) x += src[o];
      acc[base + s] += x;
    } else if (mode === 'max') {
      let x = acc[base + s];
      for (; o < e; o += sc) { const v = src[o]; if (v > x) x = v; }
      acc[base + s] = x;
    } else {
      let x = acc[base + s];
      for (; o < e; o += sc) { const v = src[o]; if (v < x) x = v; }
      acc[base + s] = x;
    }
  }
}

// The loops over whole images below are functions of their own, for the same reason, and
// warmUpReduction() runs them before the first frame: as loops inside startReduction and the
// image's wait(), the division took 10-12 ms and the min/max 16-18 ms in each of the first
// two or three frames (interpreted) against 0.5 and 1.5 ms once compiled.

/** acc[k] /= counts[k] (a mean pixel's sum over its cell count). */
function divideBy(acc: Float64Array, counts: Float64Array): void {
  for (let k = 0; k < acc.length; k++) acc[k] /= counts[k];
}

/** Smallest and largest value, NaN ignored ([Infinity, -Infinity] when there is none). */
const bounds = valueBounds;

/**
 * out[at ..] = acc rounded to single precision (native, about 1 ns a value), and into `mm` the
 * smallest and largest of acc (double precision, NaN ignored, a zero as +0 so that the result
 * does not depend on which rank met which zero first; about 0.25 ms for 512 x 256 pixels).
 */
function narrow(acc: Float64Array, out: Float32Array, at: number, mm: Float64Array): void {
  out.set(acc, at);
  const [lo, hi] = bounds(acc);
  mm[0] = lo === 0 ? 0 : lo; mm[1] = hi === 0 ? 0 : hi;
}

/**
 * Runs the reduction's per-cell and per-pixel loops (mean pooling 4:1, the cell-count division,
 * min/max) on a small made-up field until V8 has compiled them, so that a live plot's early
 * frames do not run them interpreted (LivePlots calls it when created: one-time, before the
 * simulation's loop). Local; about 5-20 ms the first time, nothing after.
 */
export function warmUpReduction(): void {
  if (warmedUp) return;
  warmedUp = true;
  warming = true;
  try { warmUpLoops(); } finally { warming = false; }
}

/** warmUpReduction's runs of the JavaScript loops. */
function warmUpLoops(): void {
  const n = 128, field = new Float64Array(n * n).map((_, k) => (k % 17) - 8);
  for (let r = 0; r < 12; r++) {
    const img = poolArray(field, n, n, n / 4, n / 4, 'mean');
    divideBy(img, new Float64Array(img.length).fill(16));
    bounds(field);
    narrow(img, new Float32Array(img.length), 0, new Float64Array(2));
    pool4x4To32(field, 0, n, Int32Array.from({ length: n }, (_, i) => (i >> 2) * (n / 4)), Int32Array.from({ length: n / 4 + 1 }, (_, s) => 4 * s), new Float64Array(n / 4), new Float32Array(img.length), 0, new Float64Array(2));
  }
}
let warmedUp = false;

/** Sample mode: each pixel takes one cell; tables hold -1 for cells that are not a pixel's centre. */
function sampleInto(src: Num, offset: number, strides: number[], tables: Int32Array[], acc: Float64Array): void {
  while (tables.length < 3) { tables = [Int32Array.of(0), ...tables]; strides = [0, ...strides]; }
  const [ta, tb, tc] = tables, [sa, sb, sc] = strides;
  for (let ia = 0; ia < ta.length; ia++) {
    if (ta[ia] < 0) continue;
    for (let ib = 0; ib < tb.length; ib++) {
      if (tb[ib] < 0) continue;
      const base = ta[ia] + tb[ib], o = offset + ia * sa + ib * sb;
      for (let ic = 0; ic < tc.length; ic++) if (tc[ic] >= 0) acc[base + tc[ic]] = src[o + ic * sc];
    }
  }
}

/** The grid dimensions a reduction with these options keeps (spanned by more than one cell, not projected). Local. Throws ArgumentError for bad options. */
export function keptDims(a: DistributedArray, options: ReduceOptions, what: string): number[] {
  return normalise(checkArray(a, what).grid, options, what).dims;
}

/**
 * Reduces a field to an image of at most `size` pixels per dimension and gathers it on the
 * root; returns it there and null elsewhere. Only the root waits for the pixels; the other ranks
 * wait only for the few cells of their pixels that lie on neighbours. `agree`, when given, is
 * max-reduced over all ranks first. With `detach` (live plots), the other ranks' pixel sends
 * complete in the background (settleReductions() waits for them). `spares` (root) are image
 * buffers the caller is done with: one of the right length is taken and filled instead of a new
 * one (so a live plot allocates nothing per frame). Collective over the grid's communicator,
 * blocking. Throws ArgumentError for bad options (on every rank, before any message).
 */
export function reduceField(a: DistributedArray, options: ReduceOptions = {}, agree?: Float64Array, detach = false, spares?: Float64Array[]): ReducedField | null {
  return startReduction(a, options, { agree, detach, spares })?.wait() ?? null;
}

/**
 * reduceField without the root's wait: every rank reduces its pixels and sends them, and the
 * root gets a PendingImage whose boxes arrive in the background (a live plot polls it at later
 * steps and draws it once complete), so no rank waits for another's pixels inside the frame.
 * Other ranks get null. `how`: see StartOptions (with float32 the image is a Float32Array).
 * Collective over the grid's communicator; blocking only for the strips of pixels that cross
 * block edges. Throws ArgumentError for bad options (on every rank).
 */
export function startReduction(a: DistributedArray, options?: ReduceOptions, how?: StartOptions & { float32?: false }): PendingImage<Float64Array> | null;
export function startReduction(a: DistributedArray, options: ReduceOptions, how: StartOptions & { float32: true }): PendingImage<Float32Array> | null;
export function startReduction(a: DistributedArray, options: ReduceOptions = {}, how: StartOptions = {}): PendingImage<Float64Array | Float32Array> | null {
  const { agree, detach = false, spares, float32 = false, alloc32 } = how;
  if (detach) for (const r of [...pendingSends.keys()]) if (r.test()) pendingSends.delete(r);
  const arr = checkArray(a, 'reduceField');
  const g = arr.grid;
  const n = normalise(g, options, 'reduceField');
  const p = plan(g, n);
  p.arriving?.wait(); // the last image's boxes are in boxBufs until it is put together
  const comm = channelOf(g);
  const order = g.order;
  const comp = n.comp;
  const data = arr.data as unknown as Num;
  // 1. strips of other ranks' pixels go to them; ours come in
  const reqs: Request<unknown>[] = [];
  const incoming: { r: Plan['recvs'][number]; buf: Float64Array }[] = [];
  const count = (lo: number[], hi: number[]) => lo.reduce((s, x, d) => s * (hi[d] - x), 1);
  for (const r of p.recvs) {
    const buf = new Float64Array(count(r.lo, r.hi));
    incoming.push({ r, buf });
    reqs.push(comm.irecvInto(buf, r.rank, 7) as Request<unknown>);
  }
  for (const s of p.sends) {
    const counts = order.map((d) => s.hi[d] - s.lo[d]);
    const buf = new Float64Array(count(s.lo, s.hi));
    const box = g.box(s.lo, s.hi);
    copyBox(arr.data, box.offset + comp, box.strides, buf, 0, denseStrides(counts, 1), counts, 1);
    reqs.push(comm.isend(buf, s.rank, 7) as Request<unknown>);
  }
  if (reqs.length > 0) Request.waitAll(reqs);
  // the root's image, and where each rank's pixel box goes in it (index order, the first kept
  // dimension slowest): a box that is a contiguous run of the image (ranks cut along the slowest
  // dimension) is received, or rounded to single precision, straight into its place
  const isRoot = g.rank === n.root;
  const shape = p.axes.map((ax) => ax.m);
  const cStrides = denseStrides(shape, 1);
  const dstStrides = order.map((d) => cStrides[d]);
  const placeOf = (q: number) => {
    const c = g.coordsOf(q);
    const p0 = c.map((x, d) => p.pixRange[d][x][0]), p1 = c.map((x, d) => p.pixRange[d][x][1]);
    const counts = order.map((d) => p1[d] - p0[d]);
    const off = p0.reduce((t, x, d) => t + x * cStrides[d], 0), len = counts.reduce((x, y) => x * y, 1);
    const dense = denseStrides(counts, 1);
    return { counts, off, len, empty: counts.some((x) => x <= 0), inPlace: counts.every((k, i) => k === 1 || dense[i] === dstStrides[i]) };
  };
  let dst: Float64Array | Float32Array | null = null;
  if (isRoot) {
    const total = shape.reduce((x, y) => x * y, 1);
    const spare = spares?.findIndex((b) => b.length === total && b instanceof (float32 ? Float32Array : Float64Array)) ?? -1;
    // single precision (a live plot's): in shared memory, so that the render worker reads it
    // without a transfer (see RenderQueue.submit)
    dst = spare >= 0 ? spares!.splice(spare, 1)[0] : float32 ? (alloc32?.(total) ?? new Float32Array(new SharedArrayBuffer(4 * total))) : new Float64Array(total);
  }
  // 2. every pixel of ours over its cells, in memory order: a live plot's whole 4 × 4 blocks
  // straight to single precision with their min and max (pool4x4To32: into the image on the
  // root, into the buffer sent otherwise), else into `acc` (last frame's buffer when its send is done)
  let acc: Float64Array | null = null, own32: Float32Array | null = null, ownBounds: Float64Array | null = null;
  if (!p.mine.empty) {
    const { lo, hi } = p.mine;
    let src: Num, off: number, strides: number[];
    if (p.local) {
      const box = g.box(lo, hi);
      src = data; off = box.offset + comp; strides = box.strides as number[];
    } else {
      const counts = order.map((d) => hi[d] - lo[d]);
      const dense = new Float64Array(counts.reduce((x, y) => x * y, 1));
      const ds = denseStrides(counts, 1);
      const at = (l: readonly number[]) => order.reduce((s, d, q) => s + (l[d] - lo[d]) * ds[q], 0);
      const own = g.blockOf(g.rank);
      const olo = lo.map((x, d) => Math.max(x, own.start[d])), ohi = hi.map((x, d) => Math.min(x, own.end[d]));
      if (olo.every((x, d) => x < ohi[d])) {
        const box = g.box(olo, ohi);
        copyBox(arr.data, box.offset + comp, box.strides, dense, at(olo), ds, order.map((d) => ohi[d] - olo[d]), 1);
      }
      for (const { r, buf } of incoming) copyBox(buf, 0, denseStrides(order.map((d) => r.hi[d] - r.lo[d]), 1), dense, at(r.lo), ds, order.map((d) => r.hi[d] - r.lo[d]), 1);
      src = dense; off = 0; strides = ds;
    }
    if (float32 && n.pool === 'mean' && p.sixteen && fourByFour(p.pixTables, p.segments, strides[strides.length - 1])) {
      let at = 0;
      if (!isRoot) {
        own32 = sendBuffer32(p);
      } else {
        const place = placeOf(g.rank);
        if (place.inPlace) { own32 = dst as Float32Array; at = place.off; } else own32 = new Float32Array(place.len);
      }
      ownBounds = new Float64Array(2);
      p.row ??= new Float64Array(p.segments.length - 1);
      // the C kernel (pool.c, the same bits) where it loads: about 2.3 times faster, at the memory floor
      const native = src instanceof Float64Array ? nativePool4x4() : null;
      if (native !== null && src instanceof Float64Array) native(src, off, strides[0], p.pixTables[0], p.pixTables[0].length, p.segments[0], p.segments.length - 1, own32, at, ownBounds);
      else pool4x4To32(src, off, strides[0], p.pixTables[0], p.segments, p.row, own32, at, ownBounds);
    } else {
      if (p.acc === null || (p.accSend !== null && !p.accSend.test())) { p.acc = new Float64Array(p.pixCount); p.accSend = null; }
      acc = p.acc;
      if (n.pool === 'sample') { acc.fill(0); sampleInto(src, off, strides, p.pixTables, acc); } // poolInto fills acc itself when it has to
      else if (!poolInto(src, off, strides, p.pixTables, p.segments, acc, n.pool, p.cellCounts !== null && p.sixteen ? 16 : 0) && p.cellCounts !== null) divideBy(acc, p.cellCounts);
    }
  }
  // 3. pixels to the root, point to point: the other ranks do not wait for the root (with
  // `detach` their send completes in the background and is settled later)
  if (agree !== undefined) comm.allreduceInto(agree, agree, Op.MAX);
  if (!isRoot) {
    if (p.pixCount > 0) {
      let out: Float64Array | Float32Array = acc!;
      const sent: Request<unknown>[] = [];
      if (float32) {
        let mm = ownBounds;
        if (mm === null) {
            mm = new Float64Array(2);
          narrow(acc!, sendBuffer32(p), 0, mm);
        }
        out = p.out32!;
        sent.push(comm.isend(mm, n.root, 9) as Request<unknown>);
        if (detach) pendingSends.set(sent[0], mm);
      }
      const req = comm.isend(out, n.root, 8) as Request<unknown>;
      if (detach) {
        pendingSends.set(req, out);
        if (float32) p.out32Send = req; else p.accSend = req;
      } else { req.wait(); for (const r of sent) r.wait(); }
    }
    return null;
  }
  // 4. root: each rank's pixel box into place (see placeOf)
  const whole = dst!;
  const boxes: { buf: Float64Array | Float32Array; counts: number[]; off: number }[] = [];
  const recvs: Request<unknown>[] = [];
  const mms: Float64Array[] = [];
  for (let q = 0; q < g.comm.size; q++) {
    const { counts, off, len, empty, inPlace } = placeOf(q);
    if (empty) continue;
    if (q === g.rank) {
      if (!float32) { boxes.push({ buf: acc!, counts, off }); continue; }
      if (ownBounds !== null) { mms.push(ownBounds); if (!inPlace) boxes.push({ buf: own32!, counts, off }); continue; }
      const mm = new Float64Array(2);
      mms.push(mm);
      if (inPlace) narrow(acc!, whole as Float32Array, off, mm);
      else { const own = new Float32Array(len); narrow(acc!, own, 0, mm); boxes.push({ buf: own, counts, off }); }
      continue;
    }
    if (float32) {
      let mm = p.boundBufs.get(q);
      if (mm === undefined) { mm = new Float64Array(2); p.boundBufs.set(q, mm); }
      mms.push(mm);
      recvs.push(comm.irecvInto(mm, q, 9) as Request<unknown>);
    }
    if (inPlace) { recvs.push(comm.irecvInto(whole.subarray(off, off + len), q, 8) as Request<unknown>); continue; }
    let buf = p.boxBufs.get(q);
    if (buf === undefined || !(buf instanceof (float32 ? Float32Array : Float64Array))) { buf = float32 ? new Float32Array(len) : new Float64Array(len); p.boxBufs.set(q, buf); }
    recvs.push(comm.irecvInto(buf, q, 8) as Request<unknown>);
    boxes.push({ buf, counts, off });
  }
  let image: ReducedField<Float64Array | Float32Array> | null = null;
  const pending: PendingImage<Float64Array | Float32Array> = {
    test: () => image !== null || recvs.every((r) => r.test()),
    wait: (withBounds = true) => {
      if (image !== null) return image;
      // one at a time: Request.waitAll's deadlock check on shm names the first request it was
      // given, so a sender that has already delivered and exited was reported as a deadlock
      for (const r of recvs) r.wait();
      for (const b of boxes) copyBox(b.buf, 0, denseStrides(b.counts, 1), whole, b.off, dstStrides, b.counts, 1);
      let lo = NaN, hi = NaN;
      if (float32) {
        // the ranks' own min and max (each over its double-precision pixels, zeros as +0)
        lo = Infinity; hi = -Infinity;
        for (const mm of mms) { if (mm[0] < lo) lo = mm[0]; if (mm[1] > hi) hi = mm[1]; }
      } else if (withBounds) [lo, hi] = bounds(whole);
      if (p.arriving === pending) p.arriving = null;
      image = {
        values: whole, shape: n.dims.map((d) => shape[d]), dims: n.dims, cells: n.dims.map((d) => [n.start[d], n.end[d]] as [number, number]),
        min: lo, max: hi,
      };
      return image;
    },
  };
  p.arriving = pending;
  return pending;
}

/** Pixel sends still in flight from reduceField(..., detach), with their buffers (kept alive until complete). */
const pendingSends = new Map<Request<unknown>, Float64Array | Float32Array>();

/** Completes the pixel sends reduceField left in flight (`detach`); blocks until the root has them. Local. */
export function settleReductions(): void {
  for (const r of pendingSends.keys()) r.wait();
  pendingSends.clear();
}

/**
 * Serial pooling of a plain 2-D array (index order, values[i * ny + j]) to mx × my pixels with
 * the same rule and the same summation order as reduceField. Local.
 */
export function poolArray(values: ArrayLike<number>, nx: number, ny: number, mx: number, my: number, mode: PoolMode): Float64Array {
  const table = (n: number, m: number, stride: number) => {
    const t = new Int32Array(n).fill(-1);
    for (let p = 0; p < m; p++) {
      if (mode === 'sample') t[Math.floor(((p + 0.5) * n) / m)] = p * stride;
      else for (let c = Math.floor((p * n) / m); c < Math.floor(((p + 1) * n) / m); c++) t[c] = p * stride;
    }
    return t;
  };
  const acc = new Float64Array(mx * my);
  if (mode === 'min') acc.fill(Infinity);
  if (mode === 'max') acc.fill(-Infinity);
  const tables = [table(nx, mx, my), table(ny, my, 1)];
  const segments = Int32Array.from({ length: my + 1 }, (_, q) => Math.floor((q * ny) / my));
  if (mode === 'sample') sampleInto(values as Num, 0, [ny, 1], tables, acc);
  else poolInto(values as Num, 0, [ny, 1], tables, segments, acc, mode);
  if (mode === 'mean') {
    for (let p = 0; p < mx; p++) {
      const cx = Math.floor(((p + 1) * nx) / mx) - Math.floor((p * nx) / mx);
      for (let q = 0; q < my; q++) acc[p * my + q] /= cx * (Math.floor(((q + 1) * ny) / my) - Math.floor((q * ny) / my));
    }
  }
  return acc;
}
