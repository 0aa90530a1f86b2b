/**
 * Boxes of points and the strided copies between them: the one loop every data movement of the
 * decomposition layer runs (halo packing, gather, scatter, redistribution). A box is described
 * in the memory order of its array: `counts` and `strides` run from the slowest dimension to the
 * fastest, and each point holds `dof` contiguous elements.
 */
import type { TypedArray } from '../src/index.js';

/** A box of points inside one array: its first element, its extent and its steps (slow → fast). */
export interface Strided {
  /** Element offset of the box's first point. */
  offset: number;
  /** Points along each dimension, slowest in memory first. */
  counts: readonly number[];
  /** Elements between neighbouring points along each dimension, slowest first. */
  strides: readonly number[];
}

/** An element-indexable view of any typed array (numbers or bigints). */
type Elements = { [i: number]: any; length: number; set(a: ArrayLike<any>, offset?: number): void; subarray(a: number, b: number): Elements };

/** Runs shorter than this are copied element by element (subarray + set costs ~100 ns). */
const SET_THRESHOLD = 48;

const scratchCounts = [1, 1, 1];
const scratchS = [0, 0, 0];
const scratchD = [0, 0, 0];

/**
 * Copies (or adds, with `add`) the points of a box from `src` to `dst`: `counts` points along
 * each dimension (slow → fast), `dof` elements per point, stepping by `ss` in `src` and `ds` in
 * `dst`. Dimensions contiguous in both arrays are merged first, so a block copy of whole rows is
 * a single `set`. Local; allocates nothing but short-lived subarray views.
 */
export function copyBox(src: TypedArray, so: number, ss: readonly number[], dst: TypedArray, doff: number,
  ds: readonly number[], counts: readonly number[], dof: number, add = false): void {
  // merge dimensions, fastest first: a dimension folds into the run below it when its steps
  // continue that run in both arrays; points-of-one dimensions are dropped
  const cs = scratchCounts, s = scratchS, t = scratchD;
  cs[0] = cs[1] = cs[2] = 1; s[0] = s[1] = s[2] = 0; t[0] = t[1] = t[2] = 0;
  let slot = 3;
  let cRun = 1, sRun = dof, dRun = dof;
  for (let d = counts.length - 1; d >= 0; d--) {
    const c = counts[d];
    if (c === 0) return;
    if (c === 1) continue;
    if (cRun === 1) { cRun = c; sRun = ss[d]; dRun = ds[d]; continue; }
    if (ss[d] === sRun * cRun && ds[d] === dRun * cRun) { cRun *= c; continue; }
    slot--; cs[slot] = cRun; s[slot] = sRun; t[slot] = dRun;
    cRun = c; sRun = ss[d]; dRun = ds[d];
  }
  if (slot === 0) throw new RangeError('copyBox: more than 3 dimensions');
  slot--; cs[slot] = cRun; s[slot] = sRun; t[slot] = dRun;
  const n0 = cs[0], n1 = cs[1], n2 = cs[2];
  const s0 = s[0], s1 = s[1], s2 = s[2], d0 = t[0], d1 = t[1], d2 = t[2];
  const a = src as unknown as Elements, b = dst as unknown as Elements;
  const contiguous = s2 === dof && d2 === dof;
  const run = n2 * dof;
  for (let i0 = 0; i0 < n0; i0++) {
    for (let i1 = 0; i1 < n1; i1++) {
      let si = so + i0 * s0 + i1 * s1;
      let di = doff + i0 * d0 + i1 * d1;
      if (contiguous) {
        if (add) {
          for (let q = 0; q < run; q++) b[di + q] += a[si + q];
        } else if (run >= SET_THRESHOLD) {
          b.set(a.subarray(si, si + run), di);
        } else {
          for (let q = 0; q < run; q++) b[di + q] = a[si + q];
        }
      } else if (dof === 1) {
        if (add) for (let q = 0; q < n2; q++, si += s2, di += d2) b[di] += a[si];
        else for (let q = 0; q < n2; q++, si += s2, di += d2) b[di] = a[si];
      } else {
        for (let q = 0; q < n2; q++, si += s2, di += d2) {
          if (add) for (let c = 0; c < dof; c++) b[di + c] += a[si + c];
          else for (let c = 0; c < dof; c++) b[di + c] = a[si + c];
        }
      }
    }
  }
}

/** Strides of a dense array of `counts` points (slow → fast) with `dof` elements per point. */
export function denseStrides(counts: readonly number[], dof: number): number[] {
  const out = new Array<number>(counts.length);
  let s = dof;
  for (let d = counts.length - 1; d >= 0; d--) { out[d] = s; s *= counts[d]; }
  return out;
}

/** The number of elements of a box of `counts` points with `dof` elements each. */
export function boxElements(counts: readonly number[], dof: number): number {
  let n = dof;
  for (const c of counts) n *= c;
  return n;
}

/**
 * Whether a box inside an array of `extent` points per dimension (slow → fast) occupies one
 * contiguous range of elements: the dimensions faster than the first partial one are full and
 * the ones slower than it hold a single point.
 */
export function isContiguous(counts: readonly number[], extent: readonly number[]): boolean {
  let d = counts.length - 1;
  while (d >= 0 && counts[d] === extent[d]) d--;
  for (let e = d - 1; e >= 0; e--) if (counts[e] !== 1) return false;
  return true;
}
