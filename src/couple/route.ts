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
}

/** The intersection of two boxes, or null when empty. */
export function intersect(a: Box, b: Box): Box | null {
  const lo = a.lo.map((x, d) => Math.max(x, b.lo[d]));
  const hi = a.hi.map((x, d) => Math.min(x, b.hi[d]));
  return lo.some((x, d) => x >= hi[d]) ? null : { lo, hi };
}

/**
 * The sends of a source rank holding `array` (owned block `mine`) to every target rank whose
 * footprint overlaps it: `targets` pairs each target's channel rank with its footprint. Local.
 */
export function planSends(array: DistributedArray<TypedArray>, mine: Box, targets: readonly { peer: number; fp: Box }[]): Transfer[] {
  const g = array.grid;
  const out: Transfer[] = [];
  const extent = g.order.map((d) => g.ghostSize[d]);
  for (const t of targets) {
    const x = intersect(mine, t.fp);
    if (x === null) continue;
    let offset = 0;
    for (let d = 0; d < g.ndim; d++) offset += (x.lo[d] - g.ghostStart[d]) * g.strides[d];
    const counts = x.hi.map((h, d) => h - x.lo[d]);
    out.push({
      peer: t.peer, offset, counts, strides: [...g.strides], elements: boxElements(counts, g.dof),
      contiguous: g.layout === 'C' && isContiguous(g.order.map((d) => counts[d]), extent),
      dense: denseStrides(counts, g.dof), buf: null,
    });
  }
  return out;
}

/** The receives of a target rank with footprint `fp` from every source rank whose block overlaps it. Local. */
export function planReceives(fp: Box, dof: number, sources: readonly { peer: number; box: Box }[]): Transfer[] {
  const shape = fp.hi.map((h, d) => h - fp.lo[d]);
  const strides = denseStrides(shape, dof);
  const out: Transfer[] = [];
  for (const s of sources) {
    const x = intersect(s.box, fp);
    if (x === null) continue;
    let offset = 0;
    for (let d = 0; d < shape.length; d++) offset += (x.lo[d] - fp.lo[d]) * strides[d];
    const counts = x.hi.map((h, d) => h - x.lo[d]);
    out.push({
      peer: s.peer, offset, counts, strides, elements: boxElements(counts, dof),
      contiguous: isContiguous(counts, shape), dense: denseStrides(counts, dof), buf: null,
    });
  }
  return out;
}

/** The typed-array class named `name` (a source array's element type). */
export function arrayClass(name: string): TypedArrayClass {
  return name === 'Float32Array' ? Float32Array : Float64Array;
}
