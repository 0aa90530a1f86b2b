/**
 * The M×N router of one interface (MCT's idea): from every rank's owned block of the source
 * and target grids, each source rank learns which target ranks need which part of its block,
 * and each target rank which source ranks send it what. A target rank needs the source points
 * its mapping stencils read (its footprint), so messages carry only overlapping data, and
 * ranks whose blocks do not overlap never talk.
 */
import type { TypedArray } from '../comm/collectives.js';
import { denseStrides, isContiguous, boxElements } from '../../decomposition/box.js';
import type { DistributedArray } from '../../decomposition/index.js';
import type { TypedArrayClass } from '../../decomposition/grid.js';
import type { AxisWeights } from './mapping.js';
import type { Request } from '../comm/request.js';

/** A box [lo, hi) in global indices. */
export interface Box {
  lo: number[];
  hi: number[];
}

/** What one rank publishes about one interface end. */
export interface EndInfo {
  /** Interface index. */
  i: number;
  /** The owned block. */
  lo: number[];
  hi: number[];
  /** Target ranks: the source points their stencils read. */
  fp?: Box;
  /** Source ranks: the element type of the sent array. */
  type?: string;
  /** Source ranks: whether its points sit `dof` elements apart along the last dimension (then it can contract rows). */
  cl?: boolean;
  /** Whether its WebAssembly kernels are enabled (wasm.ts wasmKernelsEnabled; sources, and targets mapped `linear`). */
  wk?: boolean;
  /** Its process id when it can copy a local peer's memory in one step (Transport.singleCopyPid) and splits are on, else 0. */
  vm?: number;
  /** Target ranks: the sender's share of its rows when split, when SIMDECK_COUPLE_SPLIT sets one (else SPLIT_SENDER_SHARE). */
  sh?: number;
  /** Target ranks: whether the weights of its last dimension are an identity copy. */
  li?: boolean;
  /** Target ranks: whether the weights of every dimension are an identity copy. */
  id?: boolean;
  /**
   * Target ranks: whether its owned block can take whole mapped rows from one sender (a 2-D
   * Float64Array block, contiguous in C order, of one value per point, mapped `linear`, whose
   * last dimension's weights are pairs): see sendersMap.
   */
  rows?: boolean;
}

/** Elements per message band: big enough that per-message costs vanish, small enough to pipeline (~1 MiB of float64). */
export const BAND_ELEMENTS = 1 << 17;

/**
 * Elements per band of a target mapped whole by its sender (sendersMap), ~256 KiB of float64:
 * the receiver only copies them, so the pipeline's start (the first band computed before any
 * is copied) and end (the last copied after every one is computed) are short.
 */
export const MAPPED_BAND_ELEMENTS = 1 << 15;

/**
 * Buffers a sender keeps for the bands of a target it maps whole, besides each band's own: band
 * b is built in buffer b mod MAPPED_HOT when the band built there before has been received by
 * then (else in its own buffer: the sender never waits for the receiver), so while the receiver
 * keeps up, the finished rows are written where its copy reads them while they are still in
 * this core's cache (1 MiB of 256 KiB bands) instead of into 8 MB written once per exchange.
 */
export const MAPPED_HOT = 4;

/**
 * Whether the source ranks feeding target `t` contract the last dimension before they send
 * (the target then receives its own columns, already weighted, and only combines along the
 * other dimensions): when its last dimension is not a copy, every source block it reads spans
 * its whole footprint along that dimension (no sum is split between senders) with points
 * `dof` apart, and the message does not grow (8-byte results per target column against the
 * source's elements per footprint column). Deterministic: every rank decides the same from the
 * gathered blocks. Local.
 */
export function sendersContract(t: EndInfo, sources: readonly EndInfo[], bytesPerElement: number): boolean {
  if (t.li !== false || t.fp === undefined) return false;
  const last = t.lo.length - 1, fp = t.fp;
  if ((t.hi[last] - t.lo[last]) * 8 > (fp.hi[last] - fp.lo[last]) * bytesPerElement) return false;
  let any = false;
  for (const s of sources) {
    if (intersect({ lo: s.lo, hi: s.hi }, fp) === null) continue;
    if (s.cl !== true || s.lo[last] > fp.lo[last] || s.hi[last] < fp.hi[last]) return false;
    any = true;
  }
  return any;
}

/**
 * The one source rank that maps target `t` whole (computes every dimension of its owned block
 * and sends the finished rows, which land in the target's data as a copy would), or -1: when
 * the senders contract for it (sendersContract), its block can take whole rows (EndInfo.rows),
 * one source block holds its entire footprint, that source rank has the WebAssembly kernels
 * (with the JavaScript ones, one core doing all the arithmetic is slower than two sharing it),
 * and the target has no more rows than its footprint (the message does not grow). The receiver then does no arithmetic and no
 * extra memory pass: it receives like a redistribution. Same expressions on the sender, so the
 * same bits. Deterministic: every rank decides the same from the gathered blocks. Local.
 */
export function sendersMap(t: EndInfo, sources: readonly (EndInfo & { peer: number })[], bytesPerElement: number): number {
  if (t.rows !== true || t.lo.length !== 2 || !sendersContract(t, sources, bytesPerElement)) return -1;
  // not when the message would grow: finished rows against the contracted footprint rows
  if (t.hi[0] - t.lo[0] > t.fp!.hi[0] - t.fp!.lo[0]) return -1;
  let peer = -1;
  for (const s of sources) {
    if (intersect({ lo: s.lo, hi: s.hi }, t.fp!) === null) continue;
    if (peer >= 0 || s.wk !== true) return -1;
    peer = s.peer;
  }
  return peer;
}

/**
 * The share of a split target's rows its sender maps (splitRows), the rest its receiver: where the
 * two take as long (1000×1000, each half timed in one process: 515-530 rows on the sender) and
 * where the A/B of the design in two processes is fastest (test/bench/ab/couple-split.mjs
 * KERNEL=rows4-inplace: 1.13-1.19× a redistribution; docs/coupling.md).
 */
export const SPLIT_SENDER_SHARE = 0.53;

/** The fewest rows of a target block split between its sender and itself (below that, the sender maps it whole). */
export const SPLIT_MIN_ROWS = 64;

/**
 * Elements per chunk of the source rows a split target maps itself (256 KiB of float64, whole
 * rows): the target reads each chunk straight from the sender's array (process_vm_readv, no work
 * for the sender, which is mapping its own rows meanwhile) just before it maps it, so it is still
 * in cache then, and the per-read cost (a system call) is spread over many rows.
 */
export const SPLIT_CHUNK_ELEMENTS = 1 << 15;

/**
 * For a target its sender maps whole (sendersMap gives `mapper`): how many of its rows the sender
 * maps and writes straight into the target's array (process_vm_writev), the target mapping the
 * rest itself from the raw source rows it receives, the two at once; or -1 when the sender maps
 * them all. A split needs both ranks able to copy each other's memory in one step (EndInfo.vm),
 * the WebAssembly kernels on both, a float64 source and at least SPLIT_MIN_ROWS rows (and
 * SIMDECK_COUPLE_SPLIT not 0 on either rank; on the target a share in (0, 1) replaces
 * SPLIT_SENDER_SHARE). Same
 * kernels and expressions on both ranks, so the same bits. Deterministic: every rank decides the
 * same from the gathered blocks. Local.
 */
export function splitRows(t: EndInfo, sources: readonly (EndInfo & { peer: number })[], mapper: number): number {
  if (mapper < 0) return -1;
  const s = sources.find((x) => x.peer === mapper)!;
  const m0 = t.hi[0] - t.lo[0];
  if (!(t.vm! > 0 && s.vm! > 0 && t.wk === true && s.type === 'Float64Array' && m0 >= SPLIT_MIN_ROWS)) return -1;
  return Math.min(m0 - 1, Math.max(1, Math.round((t.sh ?? SPLIT_SENDER_SHARE) * m0)));
}

/** The source rows (global, [lo, hi)) that target rows `j0..j1` (from a0.lo) read along the first dimension. */
export function sourceRowsOf(a0: AxisWeights, j0: number, j1: number): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let q = a0.ptr[j0]; q < a0.ptr[j1]; q++) { lo = Math.min(lo, a0.idx[q]); hi = Math.max(hi, a0.idx[q] + 1); }
  return lo < hi ? [lo, hi] : [a0.srcLo, a0.srcLo];
}

/** The chunks (global source rows [lo, hi)) in which a split target receives the source rows (`width` elements each) it maps. */
export function splitChunks(a0: AxisWeights, split: number, width: number): [number, number][] {
  const [lo, hi] = sourceRowsOf(a0, split, a0.hi - a0.lo), rows = Math.max(1, Math.ceil(SPLIT_CHUNK_ELEMENTS / Math.max(1, width)));
  const out: [number, number][] = [];
  for (let r = lo; r < hi; r += rows) out.push([r, Math.min(hi, r + rows)]);
  return out;
}

/** The box of a contracted message: `x` along the leading dimensions, the target's own columns `lo..hi` along the last. */
function withColumns(x: Box, lo: number, hi: number): Box {
  const last = x.lo.length - 1;
  return { lo: [...x.lo.slice(0, last), lo], hi: [...x.hi.slice(0, last), hi] };
}

/**
 * `box` cut along its first dimension into bands of about BAND_ELEMENTS elements (one band when
 * `banded` is false). Sender and receiver cut the same global box the same way, so band k of
 * one is band k of the other.
 */
export function bandsOf(box: Box, dof: number, banded: boolean, elements = BAND_ELEMENTS): Box[] {
  const n0 = box.hi[0] - box.lo[0];
  let per = dof;
  for (let d = 1; d < box.lo.length; d++) per *= box.hi[d] - box.lo[d];
  const rows = banded ? Math.max(1, Math.floor(elements / Math.max(1, per))) : n0;
  const out: Box[] = [];
  for (let r = 0; r < n0; r += rows) {
    out.push({ lo: [box.lo[0] + r, ...box.lo.slice(1)], hi: [Math.min(box.hi[0], box.lo[0] + r + rows), ...box.hi.slice(1)] });
  }
  return out;
}

/** One message of an exchange: a box of `elements` elements to or from a peer. */
export interface Transfer {
  /** Rank on the coupling channel (the parent communicator's numbering). */
  peer: number;
  /** Sends: the box in the source array (index-order strides). Receives: the box in the footprint. */
  offset: number;
  counts: number[];
  strides: number[];
  elements: number;
  /** Whether the box is one contiguous run (then no packing). */
  contiguous: boolean;
  /** Dense strides of a packed box, and its buffer (made on first use). */
  dense: number[];
  buf: TypedArray | null;
  /**
   * Sends: the weights of the target's last dimension when this rank contracts rows before
   * sending (`offset` is then the element of the box's first row at the weights' first source
   * column, and the message holds Float64 results per target column); null for raw data.
   */
  contract: AxisWeights | null;
  /**
   * Receives: the footprint slabs (first dimension, from the footprint's start) the message
   * fills. Sends of whole mapped rows (`rows`): the target rows, from the target's first owned row.
   */
  slabs: [number, number];
  /**
   * Sends to a split target (splitRows): raw source rows it maps itself and reads straight from
   * this rank's array (process_vm_readv at the address sent at each exchange, MappedRows.push):
   * never sent, listed for `link.routes()`: the sender's state for that target (the first of
   * them has its `offset`). Absent otherwise.
   */
  pulled?: NonNullable<MappedRows['push']>;
  /**
   * Sends: when this rank maps the target whole (sendersMap), the weights of the target's first
   * dimension and the ring of contracted source rows shared by its bands (`offset` is then the
   * element of the footprint's first row at the last-dimension weights' first source column,
   * and the message holds the target's finished rows `slabs`); else null.
   */
  rows?: MappedRows | null;
}

/** @internal A sender's state for a target it maps whole: first-dimension weights and a ring of contracted source rows. */
export interface MappedRows {
  a0: AxisWeights;
  /** Slots of the ring: the widest window of source rows one target row reads. */
  slots: number;
  /** The ring: `slots` contracted rows of the target's row length (Float64; a view of the WebAssembly arena when the kernels run). */
  ring: Float64Array | null;
  /** The footprint row (from a0.srcLo) each slot holds, -1 for none. */
  held: Int32Array;
  /** MAPPED_HOT buffers of a band's size (views of the WebAssembly arena when the kernels run), or none before connect sets them. */
  hot: Float64Array[];
  /** Per hot buffer: the index (in the route's transfers and requests) of the band last built in it this exchange, -1 for none. */
  owner: Int32Array;
  /** The bands built so far this exchange. */
  built: number;
  /**
   * When the target maps part of its rows itself (splitRows): the target's process id, its
   * array's address for this exchange (`request` receives it; null once it has come), the done
   * message's buffer, the index (in the route's transfers) of the last band, after which the done
   * message goes out, and the bands built while the address had not come (transfer index and the
   * buffer it was built in: a hot buffer, else the band's own); else null. The bands are written
   * into the target's array (process_vm_writev), not sent. The target reads the source rows it
   * maps from this rank's array itself: `source` is the message that tells it where they are
   * (the address of the first one, row `offset` of the array's data, and the bytes from one row
   * to the next, `8 * pitch`), `ack` its message that it has read them all (this rank's exchange
   * waits for it before it returns, so the array does not change while it is being read).
   */
  push?: {
    pid: number; address: Float64Array; done: Float64Array; last: number; request: Request<unknown> | null; pending: [number, Float64Array][];
    source: Float64Array; offset: number; pitch: number; ack: Float64Array;
  } | null;
}

/** The intersection of two boxes, or null when empty. */
export function intersect(a: Box, b: Box): Box | null {
  const lo = a.lo.map((x, d) => Math.max(x, b.lo[d]));
  const hi = a.hi.map((x, d) => Math.min(x, b.hi[d]));
  return lo.some((x, d) => x >= hi[d]) ? null : { lo, hi };
}

/** One target of a source rank: its channel rank, footprint, owned block, and how it is fed. */
export interface SendTarget {
  peer: number;
  fp: Box;
  /** The weights of the target's last dimension when this rank contracts for it, else null. */
  contract: AxisWeights | null;
  /** Its owned columns along the last dimension (used when contracting). */
  lo: number;
  hi: number;
  banded: boolean;
  /** When this rank maps the target whole (sendersMap): the weights of its first dimension over its owned rows. */
  rows?: AxisWeights | null;
  /** Then, when the target maps part of it (splitRows): the rows this rank maps, and the target's process id. */
  split?: { rows: number; pid: number } | null;
}

/**
 * The sends of a source rank holding `array` (owned block `mine`) to every target rank whose
 * footprint overlaps it, cut into bands when the target maps (see bandsOf). Local.
 */
export function planSends(array: DistributedArray<TypedArray>, mine: Box, targets: readonly SendTarget[]): Transfer[] {
  const g = array.grid;
  const out: Transfer[] = [];
  const extent = g.order.map((d) => g.ghostSize[d]);
  const last = g.ndim - 1;
  for (const t of targets) {
    const x = intersect(mine, t.fp);
    if (x === null) continue;
    const a = t.contract;
    if (a !== null && t.rows != null) { planMapped(g, a, t.rows, t.peer, out, t.split ?? null); continue; }
    // (a contracted 1-D message is one piece: its only dimension is the contracted one)
    for (const b of bandsOf(a === null ? x : withColumns(x, t.lo, t.hi), g.dof, t.banded && !(a !== null && g.ndim === 1))) {
      let offset = 0;
      for (let d = 0; d < g.ndim; d++) offset += ((a !== null && d === last ? a.srcLo : b.lo[d]) - g.ghostStart[d]) * g.strides[d];
      const counts = b.hi.map((h, d) => h - b.lo[d]);
      out.push({
        peer: t.peer, offset, counts, strides: [...g.strides], elements: boxElements(counts, g.dof),
        contiguous: a === null && g.layout === 'C' && isContiguous(g.order.map((d) => counts[d]), extent),
        dense: denseStrides(counts, g.dof), buf: null, contract: a, slabs: [0, 0],
      });
    }
  }
  return out;
}

/**
 * The sends of a target mapped whole (sendersMap) by this 2-D source rank: bands of its finished
 * rows; with `split`, only its first `split.rows` rows, written into the target's array (`push`),
 * and first the raw source rows the target maps the rest from (splitChunks), which it reads from
 * this rank's array itself (`pulled`).
 */
function planMapped(g: DistributedArray<TypedArray>['grid'], a: AxisWeights, a0: AxisWeights, peer: number, out: Transfer[], split: { rows: number; pid: number } | null): void {
  const m0 = a0.hi - a0.lo, ptr = a0.ptr, idx = a0.idx;
  let slots = 1;
  for (let j = 0; j < m0; j++) if (ptr[j + 1] > ptr[j]) slots = Math.max(slots, idx[ptr[j + 1] - 1] - idx[ptr[j]] + 1);
  const rows: MappedRows = {
    a0, slots, ring: null, held: new Int32Array(slots).fill(-1), hot: [], owner: new Int32Array(MAPPED_HOT).fill(-1), built: 0,
    push: null,
  };
  if (split !== null) {
    // (the source's points are one element apart along the last dimension: sendersContract's
    // `cl`, and one value per point, so each source row the target reads is one run)
    const width = a.srcHi - a.srcLo, extent = g.order.map((d) => g.ghostSize[d]), chunks = splitChunks(a0, split.rows, width * g.dof);
    const at = (r: number) => (r - g.ghostStart[0]) * g.strides[0] + (a.srcLo - g.ghostStart[1]) * g.strides[1];
    rows.push = {
      pid: split.pid, address: new Float64Array(1), done: new Float64Array(1), last: -1, request: null, pending: [],
      source: new Float64Array(2), offset: at(chunks[0][0]), pitch: g.strides[0], ack: new Float64Array(1),
    };
    for (const [r0, r1] of chunks) {
      const counts = [r1 - r0, width];
      out.push({
        peer, offset: at(r0), counts, strides: [...g.strides],
        elements: boxElements(counts, g.dof), contiguous: g.layout === 'C' && isContiguous(g.order.map((d) => counts[d]), extent),
        dense: denseStrides(counts, g.dof), buf: null, contract: null, slabs: [r0, r1], pulled: rows.push,
      });
    }
  }
  const offset = (a0.srcLo - g.ghostStart[0]) * g.strides[0] + (a.srcLo - g.ghostStart[1]) * g.strides[1];
  for (const b of mappedBands(a0.lo, split === null ? a0.hi : a0.lo + split.rows, a.lo, a.hi, g.dof)) {
    const counts = [b[1] - b[0], a.hi - a.lo];
    out.push({
      peer, offset, counts, strides: [...g.strides], elements: boxElements(counts, g.dof), contiguous: false,
      dense: denseStrides(counts, g.dof), buf: null, contract: a, slabs: [b[0] - a0.lo, b[1] - a0.lo], rows,
    });
  }
  if (rows.push != null) rows.push.last = out.length - 1;
}

/** The bands (global first-dimension ranges) of a target block mapped whole: rows lo0..hi0 of columns lo1..hi1. */
function mappedBands(lo0: number, hi0: number, lo1: number, hi1: number, dof: number): [number, number][] {
  return bandsOf({ lo: [lo0, lo1], hi: [hi0, hi1] }, dof, true, MAPPED_BAND_ELEMENTS).map((b) => [b.lo[0], b.hi[0]]);
}

/**
 * The receives of a target rank whose owned 2-D block `own` one source rank `peer` maps whole
 * (sendersMap): bands of its rows, each a contiguous run of the block (dense C order). Local.
 */
export function planMappedReceives(own: Box, dof: number, peer: number): Transfer[] {
  const cols = own.hi[1] - own.lo[1];
  return mappedBands(own.lo[0], own.hi[0], own.lo[1], own.hi[1], dof).map((b) => {
    const counts = [b[1] - b[0], cols];
    return {
      peer, offset: (b[0] - own.lo[0]) * cols * dof, counts, strides: denseStrides([own.hi[0] - own.lo[0], cols], dof),
      elements: boxElements(counts, dof), contiguous: true, dense: denseStrides(counts, dof), buf: null, contract: null,
      slabs: [b[0] - own.lo[0], b[1] - own.lo[0]] as [number, number],
    };
  });
}

/**
 * The receives of a target rank with footprint `fp` from every source rank whose block overlaps
 * it, cut into bands when `banded`. When the senders contract (`columns`: the target's owned
 * columns along the last dimension), the footprint holds those columns instead of the source
 * columns (every sender spans them, sendersContract). Local.
 */
export function planReceives(fp: Box, dof: number, sources: readonly { peer: number; box: Box }[], banded: boolean, columns: [number, number] | null): Transfer[] {
  const foot = columns === null ? fp : withColumns(fp, columns[0], columns[1]);
  const shape = foot.hi.map((h, d) => h - foot.lo[d]);
  const strides = denseStrides(shape, dof);
  const out: Transfer[] = [];
  for (const s of sources) {
    const x0 = intersect(s.box, fp);
    if (x0 === null) continue;
    const x = columns === null ? x0 : withColumns(x0, columns[0], columns[1]);
    for (const b of bandsOf(x, dof, banded && !(columns !== null && fp.lo.length === 1))) {
      let offset = 0;
      for (let d = 0; d < shape.length; d++) offset += (b.lo[d] - foot.lo[d]) * strides[d];
      const counts = b.hi.map((h, d) => h - b.lo[d]);
      out.push({
        peer: s.peer, offset, counts, strides, elements: boxElements(counts, dof),
        contiguous: isContiguous(counts, shape), dense: denseStrides(counts, dof), buf: null, contract: null,
        slabs: [b.lo[0] - foot.lo[0], b.hi[0] - foot.lo[0]],
      });
    }
  }
  return out;
}

/** The typed-array class named `name` (a source array's element type). */
export function arrayClass(name: string): TypedArrayClass {
  return name === 'Float32Array' ? Float32Array : Float64Array;
}
