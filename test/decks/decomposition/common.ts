// Serial references shared by the decomposition conformance decks: every rank knows the whole
// geometry, so each can compute what any operation must produce without communicating.
import type { Grid, GridOptions } from 'simdeck/decomposition';

/** Prints `OK name` once (from rank 0 of world). */
export function okFrom(rank: number) {
  return (name: string) => { if (rank === 0) console.log(`OK ${name}`); };
}

/** The global index wrapped into the grid, or null when it lies past a non-periodic edge. */
export function wrap(g: Grid, x: readonly number[]): number[] | null {
  const out = new Array<number>(x.length);
  for (let d = 0; d < x.length; d++) {
    const n = g.shape[d];
    if (x[d] < 0 || x[d] >= n) {
      if (!g.periodic[d]) return null;
      out[d] = ((x[d] % n) + n) % n;
    } else {
      out[d] = x[d];
    }
  }
  return out;
}

/** A distinct small integer for component c of global point x (exact in Float32 and Int32). */
export function f(x: readonly number[], c: number): number {
  let v = 0;
  for (const xi of x) v = v * 64 + xi;
  return v * 4 + c + 1;
}

/** Every point of the box [start, start + size), in C order of the indices. */
export function* points(start: readonly number[], size: readonly number[]): Generator<number[]> {
  const n = start.length;
  const idx = [...start];
  const total = size.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    yield [...idx];
    for (let d = n - 1; d >= 0; d--) { if (++idx[d] < start[d] + size[d]) break; idx[d] = start[d]; }
  }
}

/** How many dimensions of x lie outside the owned block [start, start + size). */
export function outside(x: readonly number[], start: readonly number[], size: readonly number[]): number {
  let n = 0;
  for (let d = 0; d < x.length; d++) if (x[d] < start[d] || x[d] >= start[d] + size[d]) n++;
  return n;
}

/**
 * Whether a halo exchange fills ghost point x of the block [start, start + size): it must lie
 * inside the grid or across a periodic edge, and for a 'star' stencil outside the block along
 * exactly one dimension.
 */
export function filled(g: Grid, x: readonly number[], start: readonly number[], size: readonly number[]): boolean {
  const out = outside(x, start, size);
  if (out === 0) return false;
  if (g.stencil === 'star' && out > 1) return false;
  return wrap(g, x) !== null;
}

/** Offset of component c of point x in a dense global array of `shape` in `layout` order. */
export function naturalOffset(shape: readonly number[], layout: 'C' | 'F', dof: number, x: readonly number[], c: number): number {
  let off = 0;
  if (layout === 'C') for (let d = 0; d < shape.length; d++) off = off * shape[d] + x[d];
  else for (let d = shape.length - 1; d >= 0; d--) off = off * shape[d] + x[d];
  return off * dof + c;
}

/** A short description of grid options for messages. */
export function label(o: GridOptions): string {
  return JSON.stringify(o);
}

/** The first index where two float arrays differ bitwise (NaN and -0 included): -1 when equal, -2 for other lengths. */
export function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return -2;
  const x = new BigInt64Array(a.buffer, a.byteOffset, a.length), y = new BigInt64Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}
