// Two components with different decompositions of one field (the M×N step of coupling). The
// first half of the ranks runs the heat solver on slabs of rows, with custom ownership (rank 0
// gets fewer rows, as if its core were also busy with I/O); the second half analyses the field
// on slabs of columns, where every column is whole on one rank, so a column profile needs no
// messages. Every 100 steps a Redistribution moves the field from the solver's blocks to the
// analysis' blocks, rank to rank, over `world`.
//   npm run build && node dist/src/cli/main.js run -n 4 native-examples/heat2d/coupling.ts
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid, Redistribution } from 'simdeck/decomposition';

const k = loadKernels(new URL('./heat.c', import.meta.url));
const NX = 192, NY = 128, steps = 300, every = 100, alpha = 0.2;
if (world.size < 2) throw new Error('coupling.ts needs at least 2 ranks: run it with -n 2 or more');

const half = Math.floor(world.size / 2);
const solverComm = world.slice(0, half);        // ranks 0 .. half-1, null elsewhere
const analysisComm = world.slice(half);         // the others, null on the solver's ranks

// solver: rows split unevenly by hand (PETSc's lx): rank 0 owns half as many rows as the others
let solver: Grid | null = null;
if (solverComm) {
  const weights = Array.from({ length: solverComm.size }, (_, r) => (r === 0 ? 1 : 2));
  const total = weights.reduce((a, b) => a + b, 0);
  const rows = weights.map((w) => Math.floor((NX * w) / total));
  rows[rows.length - 1] += NX - rows.reduce((a, b) => a + b, 0);  // the remainder to the last
  solver = new Grid(solverComm, { shape: [NX, NY], ghosts: 1, ownership: [rows, null] });
}
// analysis: whole columns on each rank (1 process along i, all of them along j)
const analysis = analysisComm ? new Grid(analysisComm, { shape: [NX, NY], procs: [1, analysisComm.size] }) : null;

// the plan: collective over world, each rank passing the grids it is in (null for the others)
const plan = new Redistribution(solver, analysis, world);

let u = solver?.zeros(Float64Array) ?? null, v = solver?.zeros(Float64Array) ?? null;
u?.fill((i, j) => (Math.abs(i - NX / 3) < 12 && Math.abs(j - NY / 2) < 12 ? 1 : 0));
const field = analysis?.zeros(Float64Array) ?? null;

for (let step = 1; step <= steps; step++) {
  if (u && v) {
    u.exchange();
    k.heat_step(...u.localShapeWithGhosts, u.data, v.data, alpha);
    [u, v] = [v, u];
  }
  if (step % every !== 0) continue;
  plan.run(u, field);                            // solver blocks → analysis blocks
  if (field) {
    // every column of this rank's block is whole: its peak needs no messages
    const { start, size } = field.corners();
    let best = -1, where = -1;
    for (let j = start[1]; j < start[1] + size[1]; j++) {
      let peak = 0;
      for (let i = 0; i < NX; i++) peak = Math.max(peak, field.get([i, j]));
      if (peak > best) { best = peak; where = j; }
    }
    const all = analysisComm!.gather([best, where], 0);
    const total = field.sum();                   // a reduction over the analysis ranks only
    if (all) {
      const [peak, col] = all.reduce((a, b) => (b[0] > a[0] ? b : a));
      console.log(`step ${step}: hottest column j=${col} peaks at ${peak.toFixed(6)}; total heat ${total.toFixed(6)}`);
    }
  }
}
if (world.rank === 0) console.log(`solver blocks (rows): ${solver!.offsets[0].slice(1).map((e, r) => e - solver!.offsets[0][r]).join(', ')}; analysis ranks: ${world.size - half}`);
