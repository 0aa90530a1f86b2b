/**
 * Whole-field reductions (sum, min, max, sum of squares, dot) and the local whole-block
 * operations (fill, copy). A reduction runs over this rank's owned points in memory order, then
 * combines the ranks' partial results with one allreduce on the grid's private communicator,
 * so every rank returns the same bits. Ghosts never count.
 */
import { ArgumentError, describe, Op, type TypedArray } from '../src/index.js';
import { copyBox } from './box.js';
import type { DistributedArray } from './distributedArray.js';
import { GridMismatchError } from './errors.js';
import type { Grid } from './grid.js';

type Num = { [i: number]: number; length: number };
type Big = { [i: number]: bigint; length: number };

function isBig(a: TypedArray): boolean {
  return a instanceof BigInt64Array || a instanceof BigUint64Array;
}

/** A two-element scratch array per grid for the allreduces (no allocation per call). */
function scratch(grid: Grid): Float64Array {
  let s = grid.cache.get('reduceScratch') as Float64Array | undefined;
  if (s === undefined) { s = new Float64Array(2); grid.cache.set('reduceScratch', s); }
  return s;
}

/** Σ of every owned element, same on every rank. Collective over the grid's communicator. */
export function sum(a: DistributedArray<TypedArray>): number | bigint {
  const g = a.grid, { runStarts, runLength } = g.runs();
  if (isBig(a.data)) {
    const x = a.data as unknown as Big;
    let s = 0n;
    for (let r = 0; r < runStarts.length; r++) for (let i = runStarts[r], e = i + runLength; i < e; i++) s += x[i];
    return g.channel.allreduce(s, Op.SUM) as bigint;
  }
  const x = a.data as unknown as Num;
  let s = 0;
  for (let r = 0; r < runStarts.length; r++) for (let i = runStarts[r], e = i + runLength; i < e; i++) s += x[i];
  const buf = scratch(g).subarray(0, 1);
  buf[0] = s;
  g.channel.allreduceInto(buf, buf, Op.SUM);
  return buf[0];
}

/** Σ x² over every owned element, same on every rank. Collective. Throws ArgumentError for bigint arrays. */
export function sumOfSquares(a: DistributedArray<TypedArray>): number {
  if (isBig(a.data)) throw new ArgumentError(`norm2: not defined for ${a.data.constructor.name}; use sum() or dot() of bigint arrays`);
  const g = a.grid, { runStarts, runLength } = g.runs();
  const x = a.data as unknown as Num;
  let s = 0;
  for (let r = 0; r < runStarts.length; r++) for (let i = runStarts[r], e = i + runLength; i < e; i++) s += x[i] * x[i];
  const buf = scratch(g).subarray(0, 1);
  buf[0] = s;
  g.channel.allreduceInto(buf, buf, Op.SUM);
  return buf[0];
}

/** The smallest or largest owned element over all ranks (NaN when any is NaN), same on every rank. Collective. */
export function extremum(a: DistributedArray<TypedArray>, kind: 'min' | 'max'): number | bigint {
  const g = a.grid, { runStarts, runLength } = g.runs();
  const isMin = kind === 'min';
  if (isBig(a.data)) {
    const x = a.data as unknown as Big;
    let m = x[runStarts[0]];
    for (let r = 0; r < runStarts.length; r++) {
      for (let i = runStarts[r], e = i + runLength; i < e; i++) if (isMin ? x[i] < m : x[i] > m) m = x[i];
    }
    return g.channel.allreduce(m, isMin ? Op.MIN : Op.MAX) as bigint;
  }
  const x = a.data as unknown as Num;
  let m = isMin ? Infinity : -Infinity, nan = 0;
  for (let r = 0; r < runStarts.length; r++) {
    for (let i = runStarts[r], e = i + runLength; i < e; i++) {
      const v = x[i];
      if (isMin ? v < m : v > m) m = v;
      else if (v !== v) nan = 1;
    }
  }
  // the NaN flag travels with the value: -1 under MIN, +1 under MAX
  const buf = scratch(g);
  buf[0] = m;
  buf[1] = isMin ? -nan : nan;
  g.channel.allreduceInto(buf, buf, isMin ? Op.MIN : Op.MAX);
  return buf[1] !== 0 ? NaN : buf[0];
}

/** Σ x·y over the owned points of two arrays with the same blocks, same on every rank. Collective. */
export function dot(a: DistributedArray<TypedArray>, b: DistributedArray<TypedArray>): number | bigint {
  if (typeof b !== 'object' || b === null || !(b.grid && b.data)) throw new ArgumentError(`dot: pass another DistributedArray, got ${describe(b)}`);
  a.grid.checkSameBlocks(b.grid, 'dot');
  const ra = a.grid.runs(), rb = b.grid.runs();
  const n = ra.runLength;
  if (isBig(a.data) !== isBig(b.data)) throw new GridMismatchError(`dot: cannot mix ${a.data.constructor.name} and ${b.data.constructor.name}`);
  if (isBig(a.data)) {
    const x = a.data as unknown as Big, y = b.data as unknown as Big;
    let s = 0n;
    for (let r = 0; r < ra.runStarts.length; r++) {
      for (let i = ra.runStarts[r], j = rb.runStarts[r], e = i + n; i < e; i++, j++) s += x[i] * y[j];
    }
    return a.grid.channel.allreduce(s, Op.SUM) as bigint;
  }
  const x = a.data as unknown as Num, y = b.data as unknown as Num;
  let s = 0;
  for (let r = 0; r < ra.runStarts.length; r++) {
    for (let i = ra.runStarts[r], j = rb.runStarts[r], e = i + n; i < e; i++, j++) s += x[i] * y[j];
  }
  const buf = scratch(a.grid).subarray(0, 1);
  buf[0] = s;
  a.grid.channel.allreduceInto(buf, buf, Op.SUM);
  return buf[0];
}

/**
 * Throws ArgumentError unless `value` can be stored in `data`: a number for the number arrays, a
 * bigint for BigInt64Array and BigUint64Array (a wrong one would become NaN, or throw a TypeError).
 */
export function checkElement(data: TypedArray, value: unknown, what: string, alternative = ''): void {
  const big = isBig(data);
  if (big ? typeof value !== 'bigint' : typeof value !== 'number') {
    throw new ArgumentError(`${what}: pass a ${big ? 'bigint' : 'number'}${alternative} for a ${data.constructor.name}, got ${describe(value)}`);
  }
}

/** Sets the owned points to a value, or to fn(global index..., component). Local. */
export function fill(a: DistributedArray<TypedArray>, value: unknown): void {
  const g = a.grid, data = a.data as unknown as { [i: number]: unknown; fill(v: unknown, s: number, e: number): void };
  const { runStarts, runLength } = g.runs();
  if (typeof value !== 'function') {
    checkElement(a.data, value, 'fill', ' or a function of the global index');
    for (let r = 0; r < runStarts.length; r++) data.fill(value, runStarts[r], runStarts[r] + runLength);
    return;
  }
  const fn = value as (...args: number[]) => unknown;
  const kind = isBig(a.data) ? 'bigint' : 'number';
  const { ndim, order, start, size, dof } = g;
  const idx = [...start];
  const args = new Array<number>(ndim + 1);
  const fast = order[ndim - 1];
  for (let r = 0; r < runStarts.length; r++) {
    // global index of the run's first point: odometer over the slower dimensions
    let off = runStarts[r];
    for (let q = 0; q < size[fast]; q++) {
      idx[fast] = start[fast] + q;
      for (let d = 0; d < ndim; d++) args[d] = idx[d];
      for (let c = 0; c < dof; c++) {
        args[ndim] = c;
        const v = fn(...args);
        if (typeof v !== kind) throw new ArgumentError(`fill: the function returned ${describe(v)} for point [${args.slice(0, ndim).join(', ')}]; it must return a ${kind} for a ${a.data.constructor.name}`);
        data[off++] = v;
      }
    }
    for (let q = ndim - 2; q >= 0; q--) {
      const d = order[q];
      if (++idx[d] < start[d] + size[d]) break;
      idx[d] = start[d];
    }
  }
}

/** A copy of `a` on its grid, or `a`'s owned points copied into `target` (same blocks). Local. */
export function copyArray<A extends TypedArray>(a: DistributedArray<A>, target?: DistributedArray<A>): DistributedArray<A> {
  if (target === undefined) {
    const out = a.grid.zeros(a.data.constructor as unknown as { new(n: number): A; BYTES_PER_ELEMENT: number; name: string });
    out.data.set(a.data as never);
    return out;
  }
  if (typeof target !== 'object' || target === null || !(target.grid && target.data)) throw new ArgumentError(`copy: target must be a DistributedArray, got ${describe(target)}`);
  a.grid.checkSameBlocks(target.grid, 'copy');
  if (target.data.constructor !== a.data.constructor) {
    throw new GridMismatchError(`copy: the target holds ${target.data.constructor.name} but this array ${a.data.constructor.name}; use arrays of the same type`);
  }
  const s = a.grid.owned(), d = target.grid.owned();
  copyBox(a.data, s.offset, s.strides, target.data, d.offset, d.strides, s.counts, a.grid.dof);
  return target;
}
