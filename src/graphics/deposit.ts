/**
 * Particles or points deposited onto a grid of bins in parallel for a density image: each rank
 * bins its own points, then one reduction sums the bins on the root. Bin (i, j) counts the
 * points (or adds their weights) with x in [x0 + i·dx, x0 + (i+1)·dx) and y likewise; points
 * outside the extent are left out.
 */
import { ArgumentError, describe, Op, type Comm } from '../index.js';

/** Options of depositPoints. */
export interface DepositOptions {
  /** The physical box binned: [x0, x1, y0, y1]. */
  extent: readonly [number, number, number, number];
  /** Bins per side, or [nx, ny] (default 256). */
  size?: number | readonly [number, number];
  /** Rank receiving the image (default 0). */
  root?: number;
}

const channels = new WeakMap<Comm, Comm>();
/** A private duplicate of `comm` for graphics traffic (collective on first use). */
export function graphicsComm(comm: Comm): Comm {
  let c = channels.get(comm);
  if (c === undefined) { c = comm.dup(); channels.set(comm, c); }
  return c;
}

const isArrayLike = (a: unknown) => Array.isArray(a) || (ArrayBuffer.isView(a) && !(a instanceof DataView));

/** Checks deposit arguments; throws ArgumentError naming what is wrong. Returns [nx, ny]. */
export function checkDeposit(comm: Comm, x: unknown, y: unknown, weight: unknown, o: DepositOptions, what: string): [number, number] {
  if (!isArrayLike(x) || !isArrayLike(y) || (x as ArrayLike<number>).length !== (y as ArrayLike<number>).length) {
    throw new ArgumentError(`${what}: x and y must be arrays of the same length (this rank's points), got ${describe(x)} and ${describe(y)}`);
  }
  if (weight !== undefined && (!isArrayLike(weight) || (weight as ArrayLike<number>).length !== (x as ArrayLike<number>).length)) {
    throw new ArgumentError(`${what}: weight must be an array with one number per point, got ${describe(weight)}`);
  }
  if (typeof o !== 'object' || o === null) throw new ArgumentError(`${what}: options { extent, size? } are required, got ${describe(o)}`);
  const e = o.extent;
  if (!Array.isArray(e) || e.length !== 4 || !e.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(e[0] < e[1]) || !(e[2] < e[3])) {
    throw new ArgumentError(`${what}: extent must be [x0, x1, y0, y1] with x0 < x1 and y0 < y1, got ${describe(e)}`);
  }
  const s = o.size ?? 256;
  const size: [number, number] = typeof s === 'number' ? [s, s] : Array.isArray(s) ? [s[0], s[1]] : [0, 0];
  if (!size.every((v) => Number.isInteger(v) && v >= 1 && v <= 8192)) throw new ArgumentError(`${what}: size must be a bin count from 1 to 8192 or [nx, ny] of them, got ${describe(s)}`);
  const root = o.root ?? 0;
  if (!Number.isInteger(root) || root < 0 || root >= comm.size) throw new ArgumentError(`${what}: root must be a rank from 0 to ${comm.size - 1}, got ${describe(o.root)}`);
  return size;
}

/**
 * Bins every rank's points and sums the bins on the root: returns the nx × ny image there
 * (values[i * ny + j], i along x) and null elsewhere. Counts (no weights) are exact whatever
 * the ranks. `agree`, when given, is max-reduced over the ranks alongside. Collective over
 * `comm`, blocking. Throws ArgumentError for bad arguments before any message.
 */
export function depositPoints(comm: Comm, x: ArrayLike<number>, y: ArrayLike<number>, options: DepositOptions, weight?: ArrayLike<number>, agree?: Float64Array): Float64Array | null {
  const [nx, ny] = checkDeposit(comm, x, y, weight, options, 'depositPoints');
  const [x0, x1, y0, y1] = options.extent;
  const root = options.root ?? 0;
  const bins = new Float64Array(nx * ny);
  const fx = nx / (x1 - x0), fy = ny / (y1 - y0);
  for (let k = 0; k < x.length; k++) {
    const i = Math.floor((x[k] - x0) * fx), j = Math.floor((y[k] - y0) * fy);
    if (i >= 0 && i < nx && j >= 0 && j < ny) bins[i * ny + j] += weight === undefined ? 1 : weight[k];
  }
  const c = graphicsComm(comm);
  if (agree !== undefined) c.allreduceInto(agree, agree, Op.MAX);
  const out = c.rank === root ? new Float64Array(nx * ny) : null;
  c.reduceInto(bins, out, Op.SUM, root);
  return out;
}
