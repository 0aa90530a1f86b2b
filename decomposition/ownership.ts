/**
 * Who owns which points: splitting each dimension of the global shape among the processes along
 * it (evenly, or by the sizes the deck gives, PETSc's lx/ly/lz), and choosing the process grid.
 * Everything here is local arithmetic: every rank computes the same answer.
 */
import { ArgumentError, checkInt, describe, dimsCreate } from '../src/index.js';
import { OwnershipError, ProcessGridError } from './errors.js';

/**
 * PETSc's default split of `n` points among `p` processes: the first `n % p` get one point more.
 * Returns the `p + 1` offsets (block k owns points offsets[k] to offsets[k+1] - 1). Local.
 */
export function splitEven(n: number, p: number): number[] {
  checkInt(n, 'splitEven: n (points)', 0, Number.MAX_SAFE_INTEGER);
  checkInt(p, 'splitEven: p (processes)', 1, MAX_PROCS);
  const base = Math.floor(n / p), extra = n % p;
  const out = [0];
  for (let k = 0; k < p; k++) out.push(out[k] + base + (k < extra ? 1 : 0));
  return out;
}

/**
 * Offsets from custom block sizes along dimension `dim` (sizes must be positive integers adding
 * up to `n`). Local. Throws OwnershipError naming the dimension otherwise.
 */
export function offsetsFromSizes(sizes: unknown, n: number, dim: number): number[] {
  if (!Array.isArray(sizes) || sizes.length === 0) {
    throw new OwnershipError(`ownership[${dim}] must be a non-empty array of block sizes (points per process along dimension ${dim}), got ${describe(sizes)}`, dim);
  }
  const bad = sizes.findIndex((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 1);
  if (bad >= 0) {
    throw new OwnershipError(`ownership[${dim}][${bad}] is ${describe(sizes[bad])}: every process must own at least one point along dimension ${dim}; use fewer processes along it`, dim);
  }
  const total = (sizes as number[]).reduce((a, b) => a + b, 0);
  if (total !== n) {
    throw new OwnershipError(`ownership[${dim}] = [${sizes.join(', ')}] adds up to ${total} points but the shape has ${n} along dimension ${dim}`, dim);
  }
  const out = [0];
  for (const s of sizes as number[]) out.push(out[out.length - 1] + s);
  return out;
}

/** Every way to write `size` as an ordered product of `ndim` factors, keeping `fixed` (0 = free) entries. */
function factorizations(size: number, fixed: readonly number[]): number[][] {
  const out: number[][] = [];
  const cur = new Array<number>(fixed.length).fill(1);
  const walk = (d: number, rest: number) => {
    if (d === fixed.length) { if (rest === 1) out.push([...cur]); return; }
    if (fixed[d] > 0) {
      if (rest % fixed[d] === 0) { cur[d] = fixed[d]; walk(d + 1, rest / fixed[d]); }
      return;
    }
    for (let f = 1; f <= rest; f++) if (rest % f === 0) { cur[d] = f; walk(d + 1, rest / f); }
  };
  walk(0, size);
  return out;
}

/**
 * The process grid for `size` processes over `shape`: the entries of `procs` that are non-zero
 * are kept; the others are chosen to make the total halo surface smallest (blocks as square as
 * the shape allows), ties going to MPI_Dims_create's balanced answer and then to splitting the
 * dimensions that are slowest in memory (the first for layout 'C', the last for 'F'), so that
 * halo faces are contiguous. Local. Throws ProcessGridError when no grid fits.
 */
export function chooseProcs(size: number, shape: readonly number[], procs: readonly number[], layout: 'C' | 'F'): number[] {
  checkInt(size, 'chooseProcs: size (processes)', 1, MAX_PROCS);
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3 || shape.some((n) => typeof n !== 'number' || !Number.isInteger(n) || n < 1)) {
    throw new ArgumentError(`chooseProcs: shape must be 1 to 3 positive integers, got ${describe(shape)}`);
  }
  perDim(procs === undefined || (Array.isArray(procs) && procs.length === 0) ? undefined : procs, shape.length, 'chooseProcs: procs', 0, 0, MAX_PROCS);
  if (layout !== 'C' && layout !== 'F') throw new ArgumentError(`chooseProcs: layout must be 'C' or 'F', got ${describe(layout)}`);
  const ndim = shape.length;
  const fixed = shape.map((_, d) => procs[d] ?? 0);
  const fixedProduct = fixed.filter((p) => p > 0).reduce((a, b) => a * b, 1);
  if (fixed.every((p) => p > 0)) {
    if (fixedProduct !== size) {
      throw new ProcessGridError(`procs [${fixed.join(', ')}] multiply to ${fixedProduct} processes but the communicator has ${size}; ` +
        `give procs whose product is ${size}, or 0 entries to let the grid choose`, fixed, size);
    }
    return fixed;
  }
  if (size % fixedProduct !== 0) {
    throw new ProcessGridError(`the fixed entries of procs [${fixed.join(', ')}] multiply to ${fixedProduct}, which does not divide the communicator's ${size} processes`, fixed, size);
  }
  const fits = factorizations(size, fixed).filter((p) => p.every((x, d) => x <= shape[d]));
  if (fits.length === 0) {
    throw new ProcessGridError(`no process grid of ${size} processes${fixed.some((p) => p > 0) ? ` with procs [${fixed.join(', ')}]` : ''} fits the shape [${shape.join(', ')}]: ` +
      'every process needs at least one point along every dimension; use fewer processes or a larger grid', fixed, size);
  }
  const volume = shape.reduce((a, b) => a * b, 1);
  const cost = (p: number[]) => p.reduce((acc, pd, d) => acc + (pd - 1) * (volume / shape[d]), 0);
  let reference: number[] | null = null;
  try {
    // dimsCreate's answer, in memory order (largest counts on the slowest dimensions)
    const order = layout === 'C' ? fixed : [...fixed].reverse();
    const dc = dimsCreate(size, ndim, order);
    reference = layout === 'C' ? dc : dc.reverse();
  } catch { reference = null; }
  const slowFirst = (p: number[]) => (layout === 'C' ? p : [...p].reverse());
  fits.sort((a, b) => {
    const c = cost(a) - cost(b);
    if (c !== 0) return c;
    const ra = reference !== null && a.every((x, d) => x === reference![d]) ? 0 : 1;
    const rb = reference !== null && b.every((x, d) => x === reference![d]) ? 0 : 1;
    if (ra !== rb) return ra - rb;
    const sa = slowFirst(a), sb = slowFirst(b);
    for (let d = 0; d < ndim; d++) if (sa[d] !== sb[d]) return sb[d] - sa[d];
    return 0;
  });
  return fits[0];
}

/** The most processes along one dimension, or in one process grid, the arithmetic here accepts. */
export const MAX_PROCS = 2 ** 24;
/** The largest C int: the bound of points, ghosts and components per dimension (kernels take `int` sizes). */
export const INT_MAX = 0x7fffffff;

/** Checks that `value` is an array of `n` integers from `min` to `max` (or a single one, repeated). Local. */
export function perDim(value: unknown, n: number, what: string, min: number, fallback: number, max = INT_MAX): number[] {
  if (value === undefined) return new Array<number>(n).fill(fallback);
  const arr = Array.isArray(value) ? value : new Array<unknown>(n).fill(value);
  if (arr.length !== n || arr.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max)) {
    throw new ArgumentError(`${what} must be an integer ≥ ${min} or an array of ${n} such integers (one per dimension, each at most ${max}), got ${Array.isArray(value) ? `[${value.map(describe).join(', ')}]` : describe(value)}`);
  }
  return arr as number[];
}
