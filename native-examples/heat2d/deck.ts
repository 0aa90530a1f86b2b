// 2-D heat equation on N ranks with a C kernel and a distributed field. A Grid splits the
// global 256x256 field among the ranks (each gets a block with one layer of ghost points),
// u.exchange() fills the ghosts from the neighbours every step, and the C stencil runs on each
// block as it is. With HEAT_KERNEL=fortran the Fortran kernel runs on column-major blocks
// (layout 'F'); see fortran.ts for a Fortran-first version.
//   npm run build && node dist/src/cli/main.js run -n 4 native-examples/heat2d/deck.ts
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid } from 'simdeck/decomposition';

const useFortran = process.env.HEAT_KERNEL === 'fortran';
// One line: compiles heat.c once per machine (cached), reads heat_step's prototype from the
// source, including the lengths of u and unew (nx*ny), which are checked before every call.
const k = loadKernels(new URL(useFortran ? './heat.f90' : './heat.c', import.meta.url));

const NX = 256, NY = 256, steps = 200, alpha = 0.2;
// Collective: every rank builds the same grid. The process grid is chosen for the shape
// (2 ranks: 2x1, 4 ranks: 2x2); points past the edges are ghosts that stay 0 (cold walls).
const grid = new Grid(world, { shape: [NX, NY], ghosts: 1, layout: useFortran ? 'F' : 'C' });
const u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);

// a hot square in the middle of the global domain: fill() calls back with global indices
u.fill((i, j) => (Math.abs(i - NX / 2) < NX / 8 && Math.abs(j - NY / 2) < NY / 8 ? 1 : 0));

const before = [u.sum(), u.dot(u)];
const t0 = performance.now();
for (let step = 0; step < steps; step++) {
  u.exchange();                                              // ghosts from the neighbours
  k.heat_step(...u.localShapeWithGhosts, u.data, v.data, alpha);
  [u.data, v.data] = [v.data, u.data];                       // new level becomes current
}
const ms = performance.now() - t0;
// global reductions: the same numbers on every rank
const after = [u.sum(), u.dot(u)];
// the whole field on rank 0 only (null elsewhere), e.g. for a serial tool or a plot
const full = u.gather(0);
if (full !== null) {
  console.log(`${useFortran ? 'Fortran' : 'C'} kernel, ${NX}x${NY} on ${world.size} ranks, ${steps} steps in ${ms.toFixed(1)} ms (blocks of a ${grid.procs.join('x')} process grid)`);
  console.log(`total heat ${before[0].toFixed(3)} -> ${after[0].toFixed(3)} (conserved until it reaches the cold boundary)`);
  console.log(`sum of u^2 ${before[1].toFixed(6)} -> ${after[1].toFixed(6)} (diffusion smooths the square out)`);
  console.log(`hottest point ${Math.max(...full).toFixed(6)}; field fingerprint ${fingerprint(full)} (the same on any number of ranks)`);
}

/** FNV-1a over the bytes of the field: equal fingerprints mean bit-identical fields. */
function fingerprint(a: Float64Array): string {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
