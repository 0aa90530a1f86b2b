/**
 * Mapping a field between two structured grids of the same region: per-dimension weights
 * (`nearest`, `linear`, `conservative`), whose tensor product gives the full stencil, and their
 * application to a block of source values. Every target point's value depends only on global
 * indices and source values, summed in a fixed order (ascending source index, last dimension
 * first), so results are bit-identical whatever the decompositions of either side.
 */
import { ROWS4_W1, WasmArena, wasmKernelsEnabled } from './wasm.js';
import { nativeMaps, type NativeMaps } from './native.js';

/** How values are carried from one grid to another. */
export type MapKind = 'nearest' | 'linear' | 'conservative';

/** The geometry of one axis: point i sits at `origin + i * spacing`; its cell spans ±spacing/2. */
export interface Axis {
  origin: number;
  spacing: number;
  n: number;
}

/** Dimension `dim` of a grid described by its origin, spacing and shape (a field of an interface). Local. */
export function axisOf(grid: { origin: readonly number[]; spacing: readonly number[]; shape: readonly number[] }, dim: number): Axis {
  return { origin: grid.origin[dim], spacing: grid.spacing[dim], n: grid.shape[dim] };
}

/**
 * Weights along one axis for target points [lo, hi): target j takes
 * Σ_k w[k] · source[idx[k]] for k from ptr[j - lo] to ptr[j - lo + 1], idx ascending.
 * `srcLo`..`srcHi` (exclusive) is the source range they read: the footprint along this axis.
 */
export interface AxisWeights {
  lo: number;
  hi: number;
  ptr: Int32Array;
  idx: Int32Array;
  w: Float64Array;
  srcLo: number;
  srcHi: number;
  /** Every target point copies one source point with weight 1, in consecutive order. */
  identity: boolean;
  /** Every target point reads exactly two source points (entries 2j and 2j + 1). */
  pairs: boolean;
}

/** Relative slack on extents: grids that meet to within this fraction of a spacing are taken to match. */
const SLACK = 1e-9;
/** Relative size below which a conservative overlap is rounding noise. */
const SLIVER = 1e-13;

/**
 * Why target axis `t` cannot be mapped from source axis `s` with `kind` (the target reaches
 * outside the source), or null when it can. nearest/linear need the target's points inside
 * the source's cells; conservative needs the target's cells inside the source's cells.
 */
export function reachProblem(kind: MapKind, s: Axis, t: Axis): string | null {
  const tol = SLACK * Math.max(s.spacing, t.spacing);
  const sLo = s.origin - s.spacing / 2, sHi = s.origin + (s.n - 0.5) * s.spacing;
  const half = kind === 'conservative' ? t.spacing / 2 : 0;
  const tLo = t.origin - half, tHi = t.origin + (t.n - 1) * t.spacing + half;
  if (tLo < sLo - tol || tHi > sHi + tol) {
    return `the target ${kind === 'conservative' ? 'cells span' : 'points span'} ${fmt(tLo)}..${fmt(tHi)} but the source cells only ${fmt(sLo)}..${fmt(sHi)}`;
  }
  return null;
}

function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

/**
 * Weights along one axis for target points [lo, hi). Local; O(hi - lo) for nearest and linear.
 * Each kind fills its entries in its own small function (one loop each, compiled once), and
 * the footprint comes from the first and last entry (they ascend). For 10^6 points most of the
 * time is not this loop (~10 ns per point) but the first touch of the 28 MB of fresh index and
 * weight arrays (page faults: ~100 ms of CPU here for 24 MB, against 2.5 ms for a second pass).
 */
export function axisWeights(kind: MapKind, s: Axis, t: Axis, lo: number, hi: number): AxisWeights {
  const m = hi - lo;
  const ptr = new Int32Array(m + 1);
  // nearest and linear take at most 2 entries per point; conservative as many cells as overlap
  const cap = kind === 'conservative' ? m * (Math.ceil(t.spacing / s.spacing) + 2) : m * 2;
  const idx = new Int32Array(Math.max(cap, 1));
  const w = new Float64Array(Math.max(cap, 1));
  const k = kind === 'nearest' ? nearestWeights(s, t, lo, hi, ptr, idx, w)
    : kind === 'linear' ? linearWeights(s, t, lo, hi, ptr, idx, w)
      : conservativeWeights(s, t, lo, hi, ptr, idx, w);
  // entries ascend (within a point and from point to point): the footprint is first..last
  const srcLo = k === 0 ? 0 : idx[0], srcHi = k === 0 ? 0 : idx[k - 1] + 1;
  return { lo, hi, ptr, idx: idx.subarray(0, k), w: w.subarray(0, k), srcLo, srcHi, identity: isIdentity(ptr, idx, w, m), pairs: isPairs(ptr, m, k) };
}

/**
 * The identity weights of target points [lo, hi) reading source points [lo, hi): the last
 * dimension of a footprint whose senders already contracted it. Local.
 */
export function identityAxis(lo: number, hi: number): AxisWeights {
  const m = hi - lo, ptr = new Int32Array(m + 1), idx = new Int32Array(m), w = new Float64Array(m).fill(1);
  for (let j = 0; j < m; j++) { ptr[j + 1] = j + 1; idx[j] = lo + j; }
  return { lo, hi, ptr, idx, w, srcLo: lo, srcHi: hi, identity: m > 0, pairs: false };
}

function nearestWeights(s: Axis, t: Axis, lo: number, hi: number, ptr: Int32Array, idx: Int32Array, w: Float64Array): number {
  let k = 0;
  for (let j = lo; j < hi; j++) {
    const x = t.origin + j * t.spacing;
    idx[k] = Math.min(s.n - 1, Math.max(0, Math.round((x - s.origin) / s.spacing))); w[k++] = 1;
    ptr[j - lo + 1] = k;
  }
  return k;
}

function linearWeights(s: Axis, t: Axis, lo: number, hi: number, ptr: Int32Array, idx: Int32Array, w: Float64Array): number {
  let k = 0;
  for (let j = lo; j < hi; j++) {
    const x = t.origin + j * t.spacing;
    if (s.n === 1) { idx[k] = 0; w[k++] = 1; } else {
      const p = (x - s.origin) / s.spacing;
      const i = Math.min(s.n - 2, Math.max(0, Math.floor(p)));
      const f = p - i;
      if (f !== 1) { idx[k] = i; w[k++] = 1 - f; }
      if (f !== 0) { idx[k] = i + 1; w[k++] = f; }
    }
    ptr[j - lo + 1] = k;
  }
  return k;
}

function conservativeWeights(s: Axis, t: Axis, lo: number, hi: number, ptr: Int32Array, idx: Int32Array, w: Float64Array): number {
  let k = 0;
  const sEdge = s.origin - s.spacing / 2;
  for (let j = lo; j < hi; j++) {
    const a = t.origin + (j - 0.5) * t.spacing, b = t.origin + (j + 0.5) * t.spacing;
    const first = Math.max(0, Math.floor((a - sEdge) / s.spacing) - 1);
    for (let i = first; i < s.n; i++) {
      const e0 = s.origin + (i - 0.5) * s.spacing, e1 = s.origin + (i + 0.5) * s.spacing;
      if (e0 >= b) break;
      const ov = Math.min(b, e1) - Math.max(a, e0);
      // overlaps at the rounding level of the coordinates (grids whose edges coincide) are
      // dropped, and a whole target cell inside one source cell has weight 1
      const noise = 8 * Number.EPSILON * Math.max(Math.abs(a), Math.abs(b), Math.abs(e0), Math.abs(e1)) + SLIVER * Math.min(s.spacing, t.spacing);
      if (ov > noise) { idx[k] = i; w[k++] = Math.abs(ov - t.spacing) <= noise ? 1 : ov / t.spacing; }
    }
    ptr[j - lo + 1] = k;
  }
  return k;
}

function isIdentity(ptr: Int32Array, idx: Int32Array, w: Float64Array, m: number): boolean {
  let identity = m > 0;
  for (let j = 0; j < m && identity; j++) identity = ptr[j + 1] - ptr[j] === 1 && w[ptr[j]] === 1 && idx[ptr[j]] === idx[0] + j;
  return identity;
}

function isPairs(ptr: Int32Array, m: number, k: number): boolean {
  let pairs = m > 0 && k === 2 * m;
  for (let j = 0; j <= m && pairs; j++) pairs = ptr[j] === 2 * j;
  return pairs;
}

/** A row of a `pairs` axis: out[at + j] = w0[j]·x[from + i0[j]] + w1[j]·x[from + i1[j]] for j < m. */
type PairsRow = (x: Float64Array | Float32Array, from: number, out: Float64Array, at: number, m: number) => void;

/** @internal The two entries of every point of a `pairs` axis as four flat arrays, and the row kernel over them (made on first use). */
interface PairArrays {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float64Array;
  w1: Float64Array;
  row: PairsRow;
}

const pairArrays = new WeakMap<AxisWeights, PairArrays>();

/**
 * The body of a pairs row kernel over i0, i1, w0, w1. Unrolled by 8 with the loads before the
 * stores; the same expression per point (w0·x0 + w1·x1) as every other path of contract.
 */
const PAIRS_ROW = `return function pairsRow(x, from, out, at, m) {
  let j = 0;
  for (; j + 8 <= m; j += 8) {
    const a0 = x[from + i0[j]], a1 = x[from + i0[j + 1]], a2 = x[from + i0[j + 2]], a3 = x[from + i0[j + 3]];
    const a4 = x[from + i0[j + 4]], a5 = x[from + i0[j + 5]], a6 = x[from + i0[j + 6]], a7 = x[from + i0[j + 7]];
    const b0 = x[from + i1[j]], b1 = x[from + i1[j + 1]], b2 = x[from + i1[j + 2]], b3 = x[from + i1[j + 3]];
    const b4 = x[from + i1[j + 4]], b5 = x[from + i1[j + 5]], b6 = x[from + i1[j + 6]], b7 = x[from + i1[j + 7]];
    out[at + j] = w0[j] * a0 + w1[j] * b0; out[at + j + 1] = w0[j + 1] * a1 + w1[j + 1] * b1;
    out[at + j + 2] = w0[j + 2] * a2 + w1[j + 2] * b2; out[at + j + 3] = w0[j + 3] * a3 + w1[j + 3] * b3;
    out[at + j + 4] = w0[j + 4] * a4 + w1[j + 4] * b4; out[at + j + 5] = w0[j + 5] * a5 + w1[j + 5] * b5;
    out[at + j + 6] = w0[j + 6] * a6 + w1[j + 6] * b6; out[at + j + 7] = w0[j + 7] * a7 + w1[j + 7] * b7;
  }
  for (; j < m; j++) out[at + j] = w0[j] * x[from + i0[j]] + w1[j] * x[from + i1[j]];
};`;

/**
 * The entries of a `pairs` axis as flat per-point arrays, and a row kernel compiled for this
 * axis alone (new Function: a function of its own, whose four arrays V8 on Node 20 then treats
 * as constants; with them as arguments it re-checks every typed array at every element:
 * 39M against 70M instructions per 1000×1000 contraction, callgrind).
 */
function pairsOf(a: AxisWeights): PairArrays {
  let p = pairArrays.get(a);
  if (p === undefined) {
    const m = a.hi - a.lo;
    const i0 = new Int32Array(m), i1 = new Int32Array(m), w0 = new Float64Array(m), w1 = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      i0[j] = a.idx[2 * j] - a.srcLo; i1[j] = a.idx[2 * j + 1] - a.srcLo;
      w0[j] = a.w[2 * j]; w1[j] = a.w[2 * j + 1];
    }
    const row = new Function('i0', 'i1', 'w0', 'w1', PAIRS_ROW)(i0, i1, w0, w1) as PairsRow;
    p = { i0, i1, w0, w1, row };
    pairArrays.set(a, p);
  }
  return p;
}

/**
 * Contracts one dimension of a dense C-order block: `input` has `outer × nIn × inner`
 * elements (inner holds the faster dimensions and the dof), `out` gets `outer × m × inner`,
 * out[o, j, :] = Σ_k w[k] · input[o, idx[k] - srcLo, :], summed in ascending k.
 */
function contract(input: ArrayLike<number>, out: Float64Array, outer: number, nIn: number, inner: number, a: AxisWeights, inAt = 0, outAt = 0): void {
  // the first term is assigned, the others added, in ascending k, in every path: the same bits
  // whatever the block sizes (which decide the path)
  const m = a.hi - a.lo, ptr = a.ptr, idx = a.idx, w = a.w, base = a.srcLo;
  for (let o = 0; o < outer; o++) {
    const inO = inAt + o * nIn * inner - base * inner;
    if (a.pairs && inner === 1) {
      const p = pairsOf(a), from = inO + base;
      if (input instanceof Float64Array || input instanceof Float32Array) p.row(input, from, out, outAt + o * m, m);
      else for (let j = 0; j < m; j++) out[outAt + o * m + j] = p.w0[j] * input[from + p.i0[j]] + p.w1[j] * input[from + p.i1[j]];
      continue;
    }
    if (a.pairs) {
      // two terms per point (linear): w0·x0 + w1·x1 in one pass, the same bits as below
      for (let j = 0; j < m; j++) {
        const at = outAt + (o * m + j) * inner, w0 = w[2 * j], w1 = w[2 * j + 1];
        const f0 = inO + idx[2 * j] * inner, f1 = inO + idx[2 * j + 1] * inner;
        for (let q = 0; q < inner; q++) out[at + q] = w0 * input[f0 + q] + w1 * input[f1 + q];
      }
      continue;
    }
    if (inner === 1) {
      const at = outAt + o * m;
      for (let j = 0; j < m; j++) {
        const k0 = ptr[j], k1 = ptr[j + 1];
        let s = k1 > k0 ? w[k0] * input[inO + idx[k0]] : 0;
        for (let k = k0 + 1; k < k1; k++) s += w[k] * input[inO + idx[k]];
        out[at + j] = s;
      }
      continue;
    }
    for (let j = 0; j < m; j++) {
      const at = outAt + (o * m + j) * inner;
      const k0 = ptr[j], k1 = ptr[j + 1];
      if (k1 === k0) { out.fill(0, at, at + inner); continue; }
      let wk = w[k0], from = inO + idx[k0] * inner;
      for (let q = 0; q < inner; q++) out[at + q] = wk * input[from + q];
      for (let k = k0 + 1; k < k1; k++) {
        wk = w[k]; from = inO + idx[k] * inner;
        for (let q = 0; q < inner; q++) out[at + q] += wk * input[from + q];
      }
    }
  }
}

/**
 * Contracts the last dimension of one row of a source block, for a sending rank that maps
 * before it sends: out[outAt + j·dof + c] = Σ_k w[k]·input[rowAt + (idx[k] - srcLo)·dof + c]
 * for the target points j of `a`, in ascending k, first term assigned — the very expression
 * applyWeights evaluates for that dimension, so the target gets the same bits. `rowAt` is the
 * element of source point `a.srcLo` in `input` (the row's points `dof` elements apart). Local.
 */
export function contractRow(input: Float64Array | Float32Array, rowAt: number, a: AxisWeights, dof: number, out: Float64Array, outAt: number): void {
  contract(input, out, 1, 0, dof, a, rowAt, outAt);
}

/**
 * @internal A route's WebAssembly kernels (wasm.ts): the arena, a one-row buffer in it (the
 * source row a sender contracts, or the target row a receiver combines) and, on a sender, the
 * pair arrays of each contracted axis in the arena (byte offsets).
 */
export interface WasmRows {
  arena: WasmArena;
  row: Float64Array;
  axes: Map<AxisWeights, WasmPairs>;
  /**
   * A sender that maps targets whole (wasmSender with rings), for runRows4 (kernels.wat): its
   * four source rows when they are copied (rows4, dense), three weighted rows of gathering
   * stretches (ys, `len` apart), the four rows' first-dimension weight pairs (wab), and per axis
   * whose rows fit that layout the byte offset of its weights w0 (w1 ROWS4_W1 bytes after).
   */
  four?: { rows4: Float64Array; ys: Float64Array; wab: Float64Array; len: number; w: Map<AxisWeights, number> };
  /**
   * The native kernels (native.ts, maps.c) when they loaded: mapRows then runs them for a
   * Float64 source of one value per point, reading the source rows where they are and writing
   * `out` directly (the same bits); null: the WebAssembly kernels. Tests may set it to null.
   */
  native: NativeMaps | null;
}

/**
 * @internal A pairs axis in a sender's arena: byte offsets of its four arrays (i0 and i1 hold
 * byte offsets into the row, 8 per element), and its points
 * cut into segments, three numbers each: [j0, j1, first]. first >= 0 marks a run that reads
 * consecutive source pairs (i0[j] = first + j - j0, i1[j] = i0[j] + 1: a grid of the source's
 * spacing, shifted), which the kernel reads with no gather; -1 a stretch that gathers.
 */
export interface WasmPairs { i0: number; i1: number; w0: number; w1: number; segments: number[]; seg: Int32Array }

/** Runs shorter than this gather with their neighbours (a kernel call costs about that many points). */
const MIN_RUN = 16;

/** The segments of WasmPairs for a pairs axis of m points with per-point source indices i0, i1. */
function segmentsOf(i0: Int32Array, i1: Int32Array, m: number): number[] {
  const seg: number[] = [];
  let j = 0;
  while (j < m) {
    let e = j;
    while (e < m && i1[e] === i0[e] + 1 && i0[e] === i0[j] + (e - j)) e++;
    if (e - j >= MIN_RUN) { seg.push(j, e, i0[j]); j = e; continue; }
    const end = Math.max(e, j + 1), n = seg.length;
    if (n > 0 && seg[n - 1] < 0 && seg[n - 2] === j) seg[n - 2] = end; else seg.push(j, end, -1);
    j = end;
  }
  return seg;
}

/**
 * @internal A sender's WebAssembly contraction for the transfers whose last-dimension weights
 * are pairs over one point per element (`dof` 1): the pair arrays of each such axis, a row
 * buffer as wide as the widest footprint row, and each transfer's message buffer, all in one
 * arena. Returns the rows and, per entry of `axes`, its message buffer (a view of the arena;
 * null where the JavaScript kernel stays), and a Float64 array in the arena for each size in
 * `rings` (the rings of contracted rows of targets it maps whole); or null when no transfer
 * qualifies or the kernels are not enabled or the arena cannot be had (WasmArena.tryOpen). Local.
 */
export function wasmSender(axes: readonly (AxisWeights | null)[], elements: readonly number[], dof: number, rings: readonly number[] = []): { rows: WasmRows; bufs: (Float64Array | null)[]; rings: Float64Array[] } | null {
  const ok = axes.map((a) => a !== null && a.pairs && dof === 1 && a.hi > a.lo);
  if (!ok.some((x) => x) || !wasmKernelsEnabled()) return null;
  const arena = new WasmArena();
  const at = new Map<AxisWeights, WasmPairs>();
  let width = 0;
  axes.forEach((a, k) => {
    if (!ok[k] || at.has(a!)) return;
    const m = a!.hi - a!.lo;
    width = Math.max(width, a!.srcHi - a!.srcLo);
    const p = pairsOf(a!);
    const segments = segmentsOf(p.i0, p.i1, m);
    at.set(a!, { i0: arena.reserve(4 * m), i1: arena.reserve(4 * m), w0: arena.reserve(8 * m), w1: arena.reserve(8 * m), segments, seg: Int32Array.from(segments) });
  });
  const rowAt = arena.reserve(8 * width);
  const bufAt = elements.map((n, k) => ok[k] ? arena.reserve(8 * n) : -1);
  const ringAt = rings.map((n) => arena.reserve(8 * n));
  // a sender that maps targets whole, rows that fit runRows4's layout: four source rows, three
  // weighted rows, eight weights, and the weights of each axis ROWS4_W1 bytes apart
  let len = 0;
  for (const a of at.keys()) len = Math.max(len, a.hi - a.lo);
  const four = rings.length > 0 && 8 * len <= ROWS4_W1;
  const fourAt = four ? [arena.reserve(4 * 8 * width), arena.reserve(8 * 3 * len), arena.reserve(8 * 8)] : null;
  const fourW = new Map<AxisWeights, number>();
  if (four) for (const a of at.keys()) fourW.set(a, arena.reserve(ROWS4_W1 + 8 * (a.hi - a.lo)));
  if (!arena.tryOpen()) return null;
  for (const [a, o] of at) {
    const m = a.hi - a.lo, p = pairsOf(a);
    // the kernel reads byte offsets into the row
    const b0 = arena.i32(o.i0, m), b1 = arena.i32(o.i1, m);
    for (let j = 0; j < m; j++) { b0[j] = 8 * p.i0[j]; b1[j] = 8 * p.i1[j]; }
    arena.f64(o.w0, m).set(p.w0); arena.f64(o.w1, m).set(p.w1);
    const fw = fourW.get(a);
    if (fw !== undefined) { arena.f64(fw, m).set(p.w0); arena.f64(fw + ROWS4_W1, m).set(p.w1); }
  }
  return {
    rows: {
      arena, row: arena.f64(rowAt, width), axes: at, native: nativeMaps(),
      ...(fourAt === null ? {} : { four: { rows4: arena.f64(fourAt[0], 4 * width), ys: arena.f64(fourAt[1], 3 * len), wab: arena.f64(fourAt[2], 8), len, w: fourW } }),
    },
    bufs: bufAt.map((b, k) => b < 0 ? null : arena.f64(b, elements[k])),
    rings: ringAt.map((b, k) => arena.f64(b, rings[k])),
  };
}

/**
 * @internal A receiver's WebAssembly combination of contracted rows: an arena holding its
 * footprint of `n` Float64 elements (returned: the transport receives into views of it) and a
 * target row of `rowLen` elements, and the native kernels when they load (mapSlabs then combines
 * in one native call, writing the target rows where they go); or null when the kernels are not
 * enabled or the arena cannot be had (WasmArena.tryOpen). Local.
 */
export function wasmReceiver(n: number, rowLen: number): { rows: WasmRows; footprint: Float64Array } | null {
  if (n === 0 || rowLen === 0 || !wasmKernelsEnabled()) return null;
  const arena = new WasmArena();
  const fpAt = arena.reserve(8 * n), rowAt = arena.reserve(8 * rowLen);
  if (!arena.tryOpen()) return null;
  return { rows: { arena, row: arena.f64(rowAt, rowLen), axes: new Map(), native: nativeMaps() }, footprint: arena.f64(fpAt, n) };
}

/**
 * contractRow for a `dof` 1 row on a sender with WebAssembly kernels (wasmSender), the same
 * bits: the footprint row is copied into the arena (converted to Float64 exactly when it is
 * Float32) and the pairs kernel writes `out` (a view of the arena) from `outAt`. Local.
 */
export function contractRowWasm(input: Float64Array | Float32Array, rowAt: number, a: AxisWeights, rows: WasmRows, out: Float64Array, outAt: number): void {
  contractRun(input, rowAt, a, rows, out.byteOffset + 8 * outAt, -1, -1, 0, 0);
}

/**
 * `rows` source rows (row r at `rowAt + r * rowStride`) each weighted along the last dimension
 * (`a`, one value per point) into `out` from `outAt`, rows `a.hi - a.lo` apart: a sender's
 * contracted message when a target reads from several senders (link.ts contractBox). In one
 * native call (maps.c simdeck_contract_rows) when `wasm` has the native kernels and `input` is a
 * Float64Array, reading it and writing `out` where they are; else row by row with the
 * WebAssembly kernels (contractRowWasm: `out` a view of the arena). The same bits either way.
 * Local.
 */
export function contractRows(input: Float64Array | Float32Array, rowAt: number, rowStride: number, a: AxisWeights, wasm: WasmRows, out: Float64Array, outAt: number, rows: number): void {
  const s = wasm.axes.get(a)!, len = a.hi - a.lo;
  if (wasm.native !== null && input instanceof Float64Array) {
    if (rows === 0) return;
    const p = pairsOf(a);
    wasm.native.contractRows(input, rowAt, rowStride, p.i0, p.i1, p.w0, p.w1, len, s.seg, s.seg.length, out, outAt, rows);
    wasm.native.calls++;
    return;
  }
  for (let r = 0; r < rows; r++) contractRowWasm(input, rowAt + r * rowStride, a, wasm, out, outAt + r * len);
}

/**
 * @internal A band of a target that this sending rank maps whole (route.ts sendersMap): target
 * rows j0..j1 (from the first of a0's) into `out` (dense, `len` = target columns × dof per
 * row). Each source row a target row reads is contracted along the last dimension (`a`, as
 * contractRow) once into the ring `ring` of `held.length` slots (slot i mod slots; `held` says
 * which footprint row each holds, -1 at the start of an exchange), then combined as the
 * receiver's mapSlabs would: the same expressions in the same order, so the same bits.
 * `rowAt(i)` is the element of footprint row i (from a0.srcLo) at a's first source column.
 * With `wasm` (the sender's kernels, whose arena holds `ring` and `out`) the pairs and
 * two-term rows run in WebAssembly, a target row that reads the row held and the next one in
 * one pass (contractCombineWasm); when `wasm` has the native kernels (WasmRows.native), `input`
 * is a Float64Array of one value per point and `a` one of its axes, the whole band runs in one
 * native call that reads `input` and writes `out` where they are (`ring` and `out` need not be
 * in the arena). Local.
 */
export function mapRows(input: Float64Array | Float32Array, rowAt0: number, rowStride: number, a: AxisWeights, a0: AxisWeights, dof: number,
  ring: Float64Array, held: Int32Array, out: Float64Array, j0: number, j1: number, wasm: WasmRows | null): void {
  const len = (a.hi - a.lo) * dof, slots = held.length, { ptr, idx, w } = a0, base = a0.srcLo;
  const nat = wasm !== null && dof === 1 && input instanceof Float64Array ? wasm.native : null;
  if (nat !== null && j1 > j0) {
    const s = wasm!.axes.get(a);
    if (s !== undefined) {
      const p = pairsOf(a);
      nat.mapRows(input, rowAt0, rowStride, p.i0, p.i1, p.w0, p.w1, len, s.seg, s.seg.length, ptr, idx, w, base, ring, held, slots, out, 0, j0, j1);
      nat.calls++;
      return;
    }
  }
  const wr = wasm !== null && wasm.axes.has(a) && wasm.arena.holds(out) && wasm.arena.holds(ring) ? wasm : null;
  const k = wr !== null ? wr.arena.k : null;
  const four = wr !== null && dof === 1 && wr.four !== undefined && wr.four.w.has(a) ? wr.four : null;
  for (let j = j0; j < j1; j++) {
    const k0 = ptr[j], k1 = ptr[j + 1];
    if (four !== null && j + 4 <= j1 && progression4(ptr, idx, j)) {
      // four target rows reading source rows i..i + 4 in steps of one (a grid of the source's
      // spacing, shifted): the row held and the next four, weighted and combined in one pass;
      // row i + 4 then takes row i's slot
      const ia = idx[k0] - base, sa = ia % slots;
      if (held[sa] === ia && (ia + 4) % slots === sa && held[(ia + 1) % slots] !== ia + 1) {
        for (let r = 0; r < 4; r++) { four.wab[2 * r] = w[k0 + 2 * r]; four.wab[2 * r + 1] = w[k0 + 2 * r + 1]; }
        contractRows4(input, rowAt0 + (ia + 1) * rowStride, rowStride, a, wr!, ring.byteOffset + 8 * sa * len, out.byteOffset + 8 * (j - j0) * len, len);
        held[sa] = ia + 4;
        j += 3;
        continue;
      }
    }
    if (wr !== null && k1 - k0 === 2) {
      // the usual case: the row weighted before and the next one, weighted and combined in one pass
      const ia = idx[k0] - base, ib = idx[k0 + 1] - base, sb = ib % slots;
      if (held[ia % slots] === ia && held[sb] !== ib) {
        contractCombineWasm(input, rowAt0 + ib * rowStride, a, wr, ring, sb * len, (ia % slots) * len, out, (j - j0) * len, w[k0], w[k0 + 1]);
        held[sb] = ib;
        continue;
      }
    }
    for (let q = k0; q < k1; q++) {
      const i = idx[q] - base, slot = i % slots;
      if (held[slot] === i) continue;
      if (wr !== null) contractRowWasm(input, rowAt0 + i * rowStride, a, wr, ring, slot * len);
      else contractRow(input, rowAt0 + i * rowStride, a, dof, ring, slot * len);
      held[slot] = i;
    }
    const at = (j - j0) * len;
    if (k !== null && k1 - k0 === 2) {
      k.combine2(out.byteOffset + 8 * at, ring.byteOffset + 8 * ((idx[k0] - base) % slots) * len, ring.byteOffset + 8 * ((idx[k0 + 1] - base) % slots) * len, w[k0], w[k0 + 1], len);
    } else combineSlab(out, at, ring, ptr, idx, w, base, j, len, len, slots);
  }
}

/**
 * contractRowWasm of a source row into `ring` at `yAt` and, in the same pass where the row reads
 * a run of consecutive source pairs, the combination out[outAt + q] = wa·ring[aAt + q] + wb·y[q]
 * (combine2 with the row at `aAt` first): the same two expressions, the same bits. Local.
 */
function contractCombineWasm(input: Float64Array | Float32Array, rowAt: number, a: AxisWeights, rows: WasmRows, ring: Float64Array, yAt: number, aAt: number,
  out: Float64Array, outAt: number, wa: number, wb: number): void {
  contractRun(input, rowAt, a, rows, ring.byteOffset + 8 * yAt, ring.byteOffset + 8 * aAt, out.byteOffset + 8 * outAt, wa, wb);
}

/** Whether target rows j..j + 3 each read two source rows, i + r and i + r + 1 (i: row j's first). */
function progression4(ptr: Int32Array, idx: Int32Array, j: number): boolean {
  const k0 = ptr[j], i = idx[k0];
  for (let r = 0; r < 4; r++) {
    const k = ptr[j + r];
    if (k !== k0 + 2 * r || ptr[j + r + 1] !== k + 2 || idx[k] !== i + r || idx[k + 1] !== i + r + 1) return false;
  }
  return true;
}

/**
 * Four target rows of a sender that maps a target whole (mapRows), in WebAssembly: source rows
 * i + 1..i + 4 (from `rowAt`, `rowStride` apart) read where they are when `input` is a view of
 * the arena (a split target's window), else copied into it (`four.rows4`, dense: one copy when
 * they are dense in `input`), each
 * weighted along the last dimension (`a`) and combined with the row weighted before it (the
 * ring's row at arena address `ya`, row i, which row i + 4 then replaces) into target rows at
 * `o`, `len` elements apart, with the first-dimension weights in `four.wab`. Runs of consecutive
 * source pairs in one pass of runRows4, gathering stretches by pairsRow (rows 0..2 into
 * `four.ys`, row 3 into ya once row 0 has read it) then combine2: the expressions of contractRun
 * row by row, so the same bits. Local.
 */
function contractRows4(input: Float64Array | Float32Array, rowAt: number, rowStride: number, a: AxisWeights, rows: WasmRows, ya: number, o: number, len: number): void {
  const p = rows.axes.get(a)!, f = rows.four!, width = a.srcHi - a.srcLo;
  let x: number, xs: number;
  if (input instanceof Float64Array && rows.arena.holds(input)) {
    // source rows already in the arena (a split target's window): read where they are
    x = input.byteOffset + 8 * rowAt; xs = 8 * rowStride;
  } else {
    // copied into the arena dense, in one piece when they are dense in the input
    x = f.rows4.byteOffset; xs = 8 * width;
    if (rowStride === width) f.rows4.set(input.subarray(rowAt, rowAt + 4 * width));
    else for (let r = 0; r < 4; r++) f.rows4.set(input.subarray(rowAt + r * rowStride, rowAt + r * rowStride + width), r * width);
  }
  const k = rows.arena.k, seg = p.segments, wab = f.wab, ys = f.ys.byteOffset, os = 8 * len, fw = f.w.get(a)!;
  for (let s = 0; s < seg.length; s += 3) {
    const j0 = seg[s], m = seg[s + 1] - j0, first = seg[s + 2];
    if (first >= 0) { k.runRows4(x + 8 * first, xs, fw + 8 * j0, ya + 8 * j0, o + 8 * j0, os, wab.byteOffset, m); continue; }
    // a gathering stretch: rows 0..2 weighted into ys (f.len apart), row 3 into ya (read by row 0
    // before), each then combined with the one before
    let prev = ya + 8 * j0;
    for (let r = 0; r < 4; r++) {
      const y = r < 3 ? ys + 8 * (r * f.len + j0) : ya + 8 * j0;
      k.pairsRow(x + r * xs, p.i0 + 4 * j0, p.i1 + 4 * j0, p.w0 + 8 * j0, p.w1 + 8 * j0, y, m);
      k.combine2(o + r * os + 8 * j0, prev, y, wab[2 * r], wab[2 * r + 1], m);
      prev = y;
    }
  }
}

/**
 * The WebAssembly contraction of one source row (copied into the kernels' row buffer) to arena
 * address `y`, run by run of its segments; with `o` >= 0, each run is also combined into
 * o[q] = wa·ra[q] + wb·y[q] (runCombine in one pass over consecutive pairs, else pairsRow then
 * combine2).
 */
function contractRun(input: Float64Array | Float32Array, rowAt: number, a: AxisWeights, rows: WasmRows, y: number, ra: number, o: number, wa: number, wb: number): void {
  const p = rows.axes.get(a)!, width = a.srcHi - a.srcLo;
  rows.row.set(input.subarray(rowAt, rowAt + width));
  const k = rows.arena.k, x = rows.row.byteOffset, seg = p.segments;
  for (let s = 0; s < seg.length; s += 3) {
    const j0 = seg[s], m = seg[s + 1] - j0, first = seg[s + 2];
    if (o >= 0 && first >= 0) k.runCombine(x + 8 * first, p.w0 + 8 * j0, p.w1 + 8 * j0, y + 8 * j0, ra + 8 * j0, o + 8 * j0, wa, wb, m);
    else if (first >= 0) k.runRow(x + 8 * first, p.w0 + 8 * j0, p.w1 + 8 * j0, y + 8 * j0, m);
    else {
      k.pairsRow(x, p.i0 + 4 * j0, p.i1 + 4 * j0, p.w0 + 8 * j0, p.w1 + 8 * j0, y + 8 * j0, m);
      if (o >= 0) k.combine2(o + 8 * j0, ra + 8 * j0, y + 8 * j0, wa, wb, m);
    }
  }
}

/** Scratch buffers of one mapping, reused every exchange. */
export interface MapScratch {
  /** A receiver's WebAssembly kernels when its footprint lives in their arena (wasmReceiver). */
  wasm?: WasmRows;
  /** Per-dimension stages of the slab contraction (dimensions 1.. of one source slab). */
  stages: Float64Array[];
  /** The target block when the caller gives none. */
  out?: Float64Array;
  /** A ring of contracted source slabs (dimension 0 not yet applied), and the slab each slot holds. */
  ring?: Float64Array;
  ringRows?: Int32Array;
}

/**
 * Contracts every dimension of a dense C-order block except those in `skip`, from the last,
 * into `into` (the dense result); copies when nothing is left to contract. `input` has
 * shape `shape` × dof. Local.
 */
function contractAll(input: Float64Array | Float32Array, axes: readonly AxisWeights[], shape: number[], dof: number, stages: Float64Array[], into: Float64Array, first: number): void {
  const n = axes.length;
  const todo: number[] = [];
  for (let d = n - 1; d >= first; d--) if (!axes[d].identity) todo.push(d);
  if (todo.length === 0) { into.set(input); return; }
  const sh = shape.slice();
  let cur: Float64Array | Float32Array = input;
  for (const d of todo) {
    const a = axes[d];
    let outer = 1, inner = dof;
    for (let e = first; e < d; e++) outer *= sh[e];
    for (let e = d + 1; e < n; e++) inner *= sh[e];
    const m = a.hi - a.lo;
    const len = outer * m * inner;
    let buf = d === todo[todo.length - 1] ? into : stages[d];
    if (buf === undefined || buf.length !== len) { buf = new Float64Array(len); stages[d] = buf; }
    contract(cur, buf, outer, sh[d], inner, a);
    sh[d] = m;
    cur = buf;
  }
}

/**
 * Maps a dense C-order source footprint (per axis srcHi - srcLo points, `dof` interleaved) to
 * the dense C-order target block (per axis hi - lo points). Every target point is computed as
 * Σ_k0 w0·(Σ_k1 w1·(… Σ_kn wn·source)), each sum in ascending k, first term assigned: the same
 * expression whatever the blocks, so the same bits on any rank counts. One pass over the
 * target, slab by slab along the first dimension: each source slab is contracted over the
 * other dimensions once, into a small ring that holds the slabs the current target slab
 * reads (no intermediate field). Returns the target block: `into` when given and of the right
 * length, else a scratch buffer, or `footprint` itself when every axis is an identity copy. Local.
 */
export function applyWeights(footprint: ArrayLike<number>, axes: readonly AxisWeights[], dof: number, scratch: MapScratch, into?: Float64Array): ArrayLike<number> {
  const out = mapTarget(axes, dof, scratch, into);
  if (out === null) return footprint;
  mapSlabs(footprint as Float64Array | Float32Array, axes, dof, scratch, out, 0, axes[0].hi - axes[0].lo);
  return out;
}

/**
 * The target block applyWeights / mapSlabs write: `into` when given and of the right length,
 * else a scratch buffer; null when every axis is an identity copy (the footprint is the
 * target). Local.
 */
export function mapTarget(axes: readonly AxisWeights[], dof: number, scratch: MapScratch, into?: Float64Array): Float64Array | null {
  if (axes.every((a) => a.identity)) return null;
  const total = axes.reduce((p, a) => p * (a.hi - a.lo), dof);
  let out = into !== undefined && into.length === total ? into : scratch.out;
  if (out === undefined || out.length !== total) { out = new Float64Array(total); scratch.out = out; }
  return out;
}

/**
 * applyWeights for target slabs [j0, j1) along the first dimension only, into `out` (from
 * mapTarget): a receiver maps the slabs whose sources have arrived while later ones are still
 * in flight. Calls must cover the slabs in order, starting at 0 (the ring of contracted source
 * slabs carries over between calls); the result is the same bits as one applyWeights. Local.
 */
export function mapSlabs(fp: Float64Array | Float32Array, axes: readonly AxisWeights[], dof: number, scratch: MapScratch, out: Float64Array, j0: number, j1: number): void {
  const n = axes.length;
  const shape = axes.map((a) => a.srcHi - a.srcLo);
  if (n === 1) {
    if (j0 !== 0 || j1 !== axes[0].hi - axes[0].lo) throw new RangeError('mapSlabs: a 1-D block maps in one call');
    contract(fp, out, 1, shape[0], dof, axes[0]);
    return;
  }
  let slabIn = dof, slabOut = dof, rest = true;
  for (let d = 1; d < n; d++) {
    slabIn *= shape[d]; slabOut *= axes[d].hi - axes[d].lo;
    if (!axes[d].identity || shape[d] !== axes[d].hi - axes[d].lo) rest = false;
  }
  const a0 = axes[0];
  if (a0.identity) {
    for (let j = j0; j < j1; j++) contractAll(fp.subarray(j * slabIn, (j + 1) * slabIn), axes, shape, dof, scratch.stages, out.subarray(j * slabOut, (j + 1) * slabOut), 1);
    return;
  }
  const { ptr, idx, w } = a0, base = a0.srcLo;
  // the other dimensions already contracted (by the sending ranks) in a Float64 footprint:
  // target slabs combine footprint slabs directly
  if (rest && fp instanceof Float64Array) {
    const wr = scratch.wasm;
    if (wr !== undefined && wr.native !== null && slabIn === slabOut) {
      // natively, in one call, reading the footprint and writing `out` where they are
      if (j1 > j0) { wr.native.combineRows(fp, ptr, idx, w, base, slabOut, out, j0 * slabOut, j0, j1); wr.native.calls++; }
      return;
    }
    if (wr !== undefined && wr.arena.holds(fp) && wr.row.length === slabOut) {
      // two-term slabs in WebAssembly: the row combined in the arena, then copied out
      const k = wr.arena.k, row = wr.row;
      for (let j = j0; j < j1; j++) {
        const k0 = ptr[j];
        if (ptr[j + 1] - k0 !== 2) { combineSlab(out, j * slabOut, fp, ptr, idx, w, base, j, slabIn, slabOut, 1 << 30); continue; }
        k.combine2(row.byteOffset, fp.byteOffset + 8 * (idx[k0] - base) * slabIn, fp.byteOffset + 8 * (idx[k0 + 1] - base) * slabIn, w[k0], w[k0 + 1], slabOut);
        out.set(row, j * slabOut);
      }
      return;
    }
    for (let j = j0; j < j1; j++) combineSlab(out, j * slabOut, fp, ptr, idx, w, base, j, slabIn, slabOut, 1 << 30);
    return;
  }
  // the ring holds the widest window of source slabs one target slab reads; slab i sits in
  // slot i mod R, so the slabs of one window never share a slot
  const m0 = a0.hi - a0.lo;
  let R = 1;
  for (let j = 0; j < m0; j++) if (ptr[j + 1] > ptr[j]) R = Math.max(R, idx[ptr[j + 1] - 1] - idx[ptr[j]] + 1);
  if (scratch.ring === undefined || scratch.ring.length !== R * slabOut) scratch.ring = new Float64Array(R * slabOut);
  if (scratch.ringRows === undefined || scratch.ringRows.length !== R) scratch.ringRows = new Int32Array(R);
  const ring = scratch.ring, rows = scratch.ringRows;
  if (j0 === 0) rows.fill(-1);
  // 2-D: a slab is one source row, contracted in place (no views, no stage buffers)
  const a1 = axes[1], row = n === 2 && !a1.identity;
  for (let j = j0; j < j1; j++) {
    // the slabs this target slab reads, each contracted once while it stays in the window
    for (let k = ptr[j]; k < ptr[j + 1]; k++) {
      const i = idx[k] - base, slot = i % R;
      if (rows[slot] === i) continue;
      if (row) contract(fp, ring, 1, shape[1], dof, a1, i * slabIn, slot * slabOut);
      else contractAll(fp.subarray(i * slabIn, (i + 1) * slabIn), axes, shape, dof, scratch.stages, ring.subarray(slot * slabOut, (slot + 1) * slabOut), 1);
      rows[slot] = i;
    }
    combineSlab(out, j * slabOut, ring, ptr, idx, w, base, j, slabOut, slabOut, R);
  }
}

/**
 * Target slab j (at `at` in out) = Σ_k w[k]·slab(idx[k] - base), ascending k, first term
 * assigned; slab i is at ((i mod R)·step) in x (R = 2^30: no ring, the footprint itself).
 */
function combineSlab(out: Float64Array, at: number, x: Float64Array, ptr: Int32Array, idx: Int32Array, w: Float64Array, base: number, j: number, step: number, len: number, R: number): void {
  const k0 = ptr[j], k1 = ptr[j + 1];
  if (k1 === k0) { out.fill(0, at, at + len); return; }
  if (k1 - k0 === 2) {
    combine2(out, at, x, ((idx[k0] - base) % R) * step, ((idx[k0 + 1] - base) % R) * step, w[k0], w[k0 + 1], len);
    return;
  }
  scale(out, at, x, ((idx[k0] - base) % R) * step, w[k0], len);
  for (let k = k0 + 1; k < k1; k++) accumulate(out, at, x, ((idx[k] - base) % R) * step, w[k], len);
}

/** out[at + q] = wa·x[fa + q] + wb·x[fb + q]. */
function combine2(out: Float64Array, at: number, x: Float64Array, fa: number, fb: number, wa: number, wb: number, len: number): void {
  let q = 0;
  for (; q + 8 <= len; q += 8) {   // unrolled as the pairs row kernel
    const a0 = x[fa + q], a1 = x[fa + q + 1], a2 = x[fa + q + 2], a3 = x[fa + q + 3];
    const a4 = x[fa + q + 4], a5 = x[fa + q + 5], a6 = x[fa + q + 6], a7 = x[fa + q + 7];
    const b0 = x[fb + q], b1 = x[fb + q + 1], b2 = x[fb + q + 2], b3 = x[fb + q + 3];
    const b4 = x[fb + q + 4], b5 = x[fb + q + 5], b6 = x[fb + q + 6], b7 = x[fb + q + 7];
    out[at + q] = wa * a0 + wb * b0; out[at + q + 1] = wa * a1 + wb * b1;
    out[at + q + 2] = wa * a2 + wb * b2; out[at + q + 3] = wa * a3 + wb * b3;
    out[at + q + 4] = wa * a4 + wb * b4; out[at + q + 5] = wa * a5 + wb * b5;
    out[at + q + 6] = wa * a6 + wb * b6; out[at + q + 7] = wa * a7 + wb * b7;
  }
  for (; q < len; q++) out[at + q] = wa * x[fa + q] + wb * x[fb + q];
}

/** out[at + q] = w·x[from + q]. */
function scale(out: Float64Array, at: number, x: Float64Array, from: number, w: number, len: number): void {
  for (let q = 0; q < len; q++) out[at + q] = w * x[from + q];
}

/** out[at + q] += w·x[from + q]. */
function accumulate(out: Float64Array, at: number, x: Float64Array, from: number, w: number, len: number): void {
  for (let q = 0; q < len; q++) out[at + q] += w * x[from + q];
}
