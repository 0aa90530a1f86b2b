// 2-D heat equation on N ranks with a C kernel: the global grid is split into horizontal slabs,
// each rank owns a block with one ghost layer, exchanges ghost rows with its neighbours every
// step, and calls the C stencil (or the Fortran one with HEAT_KERNEL=fortran) on its block.
//   npm run build && node dist/src/cli/main.js run -n 2 native-examples/heat2d/deck.ts
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';

const useFortran = process.env.HEAT_KERNEL === 'fortran';
// One line: compiles heat.c once per machine (cached), reads heat_step's prototype from the
// source, including the lengths of u and unew (nx*ny), which are checked before every call.
const k = loadKernels(new URL(useFortran ? './heat.f90' : './heat.c', import.meta.url));

const NX = 256, NY = 256, steps = 200, alpha = 0.2;
const { rank, size } = world;
const rows = Math.floor(NX / size) + (rank < NX % size ? 1 : 0);
const first = rank * Math.floor(NX / size) + Math.min(rank, NX % size);
const nx = rows + 2, ny = NY + 2;                 // local block with ghosts
let u = new Float64Array(nx * ny), v = new Float64Array(nx * ny);

// a hot square in the middle of the global domain
for (let i = 1; i <= rows; i++) {
  const gi = first + i - 1;
  for (let j = 1; j <= NY; j++) if (Math.abs(gi - NX / 2) < NX / 8 && Math.abs(j - 1 - NY / 2) < NY / 8) u[i * ny + j] = 1;
}

const up = rank - 1, down = rank + 1;
function exchange(a: Float64Array): void {
  // send my first interior row up and my last interior row down; receive into the ghost rows
  if (up >= 0) a.set(world.sendrecv(a.subarray(ny, 2 * ny), up, 1, up, 2) as Float64Array, 0);
  if (down < size) a.set(world.sendrecv(a.subarray((nx - 2) * ny, (nx - 1) * ny), down, 2, down, 1) as Float64Array, (nx - 1) * ny);
}

/** Total heat and the sum of squares (which diffusion lowers), over all ranks, on rank 0. */
function totals(a: Float64Array): [number, number] {
  let heat = 0, sq = 0;
  for (let i = 1; i < nx - 1; i++) for (let j = 1; j < ny - 1; j++) { const x = a[i * ny + j]!; heat += x; sq += x * x; }
  if (rank !== 0) { world.send([heat, sq], 0, 9); return [heat, sq]; }
  for (let r = 1; r < size; r++) { const [h, s] = world.recv(r, 9) as [number, number]; heat += h; sq += s; }
  return [heat, sq];
}

const before = totals(u);
const t0 = performance.now();
for (let step = 0; step < steps; step++) {
  exchange(u);
  // Fortran's u(nx, ny) is column-major: the same memory as C's row-major block with sizes swapped
  if (useFortran) k.heat_step(ny, nx, u, v, alpha);
  else k.heat_step(nx, ny, u, v, alpha);
  [u, v] = [v, u];
}
const ms = performance.now() - t0;
const after = totals(u);
if (rank === 0) {
  console.log(`${useFortran ? 'Fortran' : 'C'} kernel, ${NX}x${NY} on ${size} ranks, ${steps} steps in ${ms.toFixed(1)} ms`);
  console.log(`total heat ${before[0].toFixed(3)} -> ${after[0].toFixed(3)} (conserved until it reaches the cold boundary)`);
  console.log(`sum of u^2 ${before[1].toFixed(6)} -> ${after[1].toFixed(6)} (diffusion smooths the square out)`);
}
