// The heat2d deck with the Fortran kernel, Fortran-first. heat.f90 declares u(nx, ny): the
// first index is the fastest in memory (column-major). A grid with layout 'F' lays every
// rank's block out exactly so, with the sizes in the same order, so the block goes to Fortran
// as it is, and indices read as in Fortran (0-based here: u(i+1, j+1) is u.get([i, j])).
//   npm run build && node dist/src/cli/main.js run -n 4 native-examples/heat2d/fortran.ts
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid } from 'simdeck/decomposition';

const k = loadKernels(new URL('./heat.f90', import.meta.url));  // gfortran, once per machine

const NX = 256, NY = 256, steps = 200, alpha = 0.2;
// layout 'F': blocks are column-major; the process grid splits the last (slowest) index first,
// so halo faces are contiguous columns
const grid = new Grid(world, { shape: [NX, NY], ghosts: 1, layout: 'F' });
const u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);
const { start, end } = u.corners();                   // this rank's owned i and j ranges
console.log(`rank ${world.rank} owns i ${start[0]}..${end[0] - 1}, j ${start[1]}..${end[1] - 1} ` +
  `(Fortran u(${u.localShapeWithGhosts.join(', ')}) with ghosts)`);

// the same hot square as deck.ts, written point by point with global indices
for (let j = start[1]; j < end[1]; j++) {
  for (let i = start[0]; i < end[0]; i++) {
    if (Math.abs(i - NX / 2) < NX / 8 && Math.abs(j - NY / 2) < NY / 8) u.set([i, j], 1);
  }
}

const before = [u.sum(), u.dot(u)];
for (let step = 0; step < steps; step++) {
  u.exchangeBegin();                 // split phase: messages go out...
  u.exchangeEnd();                   // ...(independent work could run here) and ghosts come in
  k.heat_step(...u.localShapeWithGhosts, u.data, v.data, alpha);   // heat_step(nx, ny, u, unew, alpha)
  [u.data, v.data] = [v.data, u.data];
}
const after = [u.sum(), u.dot(u)];
const full = u.gather(0);            // column-major on rank 0: full[i + NX*j] is u(i+1, j+1)
if (full !== null) {
  console.log(`Fortran kernel on layout 'F', ${NX}x${NY} on ${world.size} ranks as ${grid.procs.join('x')}, ${steps} steps`);
  console.log(`total heat ${before[0].toFixed(3)} -> ${after[0].toFixed(3)}`);
  console.log(`sum of u^2 ${before[1].toFixed(6)} -> ${after[1].toFixed(6)}`);
  console.log(`u(129, 129) = ${full[128 + NX * 128]!.toFixed(6)}; field fingerprint ${fingerprint(full)}`);
}

/** FNV-1a over the bytes of the field: equal fingerprints mean bit-identical fields. */
function fingerprint(a: Float64Array): string {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
