// Conformance deck: explicit heat stencils from C and Fortran kernels on distributed fields, N
// steps of exchange + kernel + swap, compared bit for bit with the same kernel run serially on
// the whole grid by rank 0 (ghosts filled by hand: zeros past the edges, wrapped values across
// periodic ones). Uneven splits, custom ownership, periodic or not, star and box, C and F
// layouts, 5- and 9-point 2-D stencils and a 7-point 3-D one. Any world size.
import assert from 'node:assert/strict';
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid, type GridOptions } from 'simdeck/decomposition';
import { f, firstDifference, okFrom, points } from './common.js';

const p = world.size, me = world.rank;
const ok = okFrom(me);
const STEPS = 25, ALPHA = 0.1;

const heat = new URL('../../../native-examples/heat2d/', import.meta.url);
const c5 = loadKernels(new URL('heat.c', heat));
const f5 = loadKernels(new URL('heat.f90', heat));
const st = loadKernels(new URL('./stencils.c', import.meta.url));

type Call = (sizes: number[], u: Float64Array, v: Float64Array) => void;
interface Kernel { name: string; native: 'C' | 'F'; call: Call; stencil: 'star' | 'box'; ndim: number }
const kernels: Kernel[] = [
  { name: 'C heat_step (5-point)', native: 'C', stencil: 'star', ndim: 2, call: (s, u, v) => c5.heat_step(s[0], s[1], u, v, ALPHA) },
  { name: 'Fortran heat_step (5-point)', native: 'F', stencil: 'star', ndim: 2, call: (s, u, v) => f5.heat_step(s[0], s[1], u, v, ALPHA) },
  { name: 'C heat9_step (9-point)', native: 'C', stencil: 'box', ndim: 2, call: (s, u, v) => st.heat9_step(s[0], s[1], u, v, ALPHA) },
  { name: 'C heat7_step (3-D 7-point)', native: 'C', stencil: 'star', ndim: 3, call: (s, u, v) => st.heat7_step(s[0], s[1], s[2], u, v, ALPHA) },
];

/** The kernel's sizes for a block of `sizes` points (index order) in `layout`: a C kernel sees an F block transposed. */
const sizesFor = (k: Kernel, layout: 'C' | 'F', sizes: readonly number[]) => (layout === k.native ? [...sizes] : [...sizes].reverse());
/** A full-precision, non-symmetric initial field. */
const init = (x: readonly number[]) => Math.sin(f(x, 0) * 12.9898) * 43758.5453 % 1;

/** Rank 0: STEPS steps of the kernel on the whole grid with one ghost layer; returns the interior in natural order. */
function serial(k: Kernel, o: Required<Pick<GridOptions, 'shape' | 'layout'>> & { periodic: boolean[] }): Float64Array {
  const n = o.shape, nd = n.length;
  const ext = n.map((x) => x + 2);
  const off = (x: readonly number[]) => {
    let r = 0;
    if (o.layout === 'C') for (let d = 0; d < nd; d++) r = r * ext[d] + x[d] + 1;
    else for (let d = nd - 1; d >= 0; d--) r = r * ext[d] + x[d] + 1;
    return r;
  };
  let u = new Float64Array(ext.reduce((a, b) => a * b, 1)), v = new Float64Array(u.length);
  for (const x of points(n.map(() => 0), n)) u[off(x)] = init(x);
  const ghosts = [...points(n.map(() => -1), ext)].filter((x) => x.some((xi, d) => xi < 0 || xi >= n[d]));
  for (let s = 0; s < STEPS; s++) {
    for (const x of ghosts) {
      // past a non-periodic edge: 0 (never written); across a periodic one: the wrapped value
      if (x.some((xi, d) => (xi < 0 || xi >= n[d]) && !o.periodic[d])) continue;
      u[off(x)] = u[off(x.map((xi, d) => (xi + n[d]) % n[d]))];
    }
    k.call(sizesFor(k, o.layout, ext), u, v);
    [u, v] = [v, u];
  }
  const out = new Float64Array(n.reduce((a, b) => a * b, 1));
  let i = 0;
  const order = o.layout === 'C' ? [...points(n.map(() => 0), n)] : [...points(n.map(() => 0).reverse(), [...n].reverse())].map((x) => x.reverse());
  for (const x of order) out[i++] = u[off(x)];
  return out;
}

const sizes = Array.from({ length: p }, (_, r) => 2 + ((r * 5) % 4)); // uneven custom blocks: 2, 3, 4, 5, 2, ...
const custom = sizes.reduce((a, b) => a + b, 0);
let runs = 0;
const seen = new Set<string>();
for (const k of kernels) {
  const shapes = k.ndim === 2 ? [[37, 29], [custom, 23]] : [[13, 11, 9]];
  for (const shape of shapes) {
    for (const layout of ['C', 'F'] as const) {
      for (const periodic of k.ndim === 2 ? [[false, false], [true, true], [true, false]] : [[false, false, false], [true, false, true]]) {
        for (const stencil of k.stencil === 'box' ? ['box'] as const : ['star', 'box'] as const) {
          const splits: Partial<GridOptions>[] = shape[0] === custom
            ? [{ ownership: [sizes, null] }]
            : k.ndim === 2 ? [{}, { procs: [p, 1] }, { procs: [1, p] }] : [{}, { procs: [1, p <= 4 ? p : 0, 0] }];
          for (const split of splits) {
            const o: GridOptions = { shape, ghosts: 1, stencil, periodic, layout, ...split };
            const grid = new Grid(world, o);
            let u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);
            u.fill((...ix: number[]) => init(ix.slice(0, grid.ndim)));
            const sz = sizesFor(k, layout, u.localShapeWithGhosts);
            for (let s = 0; s < STEPS; s++) {
              if (s % 2 === 0) u.exchange();
              else { u.exchangeBegin(); u.exchangeEnd(); }
              k.call(sz, u.data, v.data);
              [u, v] = [v, u];
            }
            const got = u.gather(0);
            const total = u.sum();
            if (me === 0) {
              const exp = serial(k, { shape, layout, periodic });
              const at = firstDifference(got!, exp);
              assert.equal(at, -1, `${k.name} on ${String(grid)}: first difference at ${at}: ${got![at]} vs serial ${exp[at]}`);
              const es = exp.reduce((a, b) => a + b, 0);
              assert.ok(Math.abs(total - es) <= 1e-12 * exp.length, `${k.name} on ${String(grid)}: total ${total} vs serial ${es}`);
            }
            assert.deepEqual(world.allgather(total), new Array(p).fill(total));
            seen.add(`${k.name}|${layout}|${stencil}|${periodic.some((x) => x) ? 'periodic' : 'bounded'}`);
            runs++;
          }
        }
      }
    }
  }
}
ok(`heat stencils equal the serial run bit for bit after ${STEPS} steps in ${runs} runs on ${p} ranks`);
for (const k of kernels) {
  const kinds = [...seen].filter((s) => s.startsWith(k.name + '|')).map((s) => s.slice(k.name.length + 1));
  ok(`${k.name}: ${kinds.length} kinds (${kinds.join(', ')})`);
}
console.log(`DONE ${me}`);
