// heat2d as a steered run: the 2-D heat equation on a 256x256 grid split among the ranks, with a
// steerable diffusivity and heat source, a CFL time step from a global reduction, a stop at a
// simulation time, a report every 0.01 time units, and a checkpoint hook for "checkpoint now".
//   npx simdeck run -n 4 native-examples/heat2d/steered.ts            (a live status line)
//   npx simdeck run -n 4 --steer native-examples/heat2d/steered.ts    (and a dashboard URL)
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid } from 'simdeck/decomposition';
import { Simulation } from 'simdeck/steer';

const N = 256;                 // grid points per side of the unit square
const h = 1 / N;               // grid spacing
const k = loadKernels([new URL('./heat.c', import.meta.url), new URL('./source.c', import.meta.url)]);

const grid = new Grid(world, { shape: [N, N], ghosts: 1 });
const u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);
const inSquare = (i: number, j: number) => Math.abs(i - N / 2) < N / 8 && Math.abs(j - N / 2) < N / 8;
u.fill((i, j) => (inSquare(i, j) ? 1 : 0));                       // a hot square in the middle
const where = grid.zeros(Float64Array).fill((i, j) => (inSquare(i, j) ? 1 : 0)); // where the source heats

const sim = new Simulation(world, {
  params: {
    diffusivity: { value: 0.1, min: 0.001, max: 1, unit: 'm2/s', description: 'thermal diffusivity' },
    source: { value: 5, min: 0, max: 100, unit: 'K/s', description: 'heating rate inside the square' },
  },
  stop: { time: Number(process.env.HEAT_END_TIME ?? 0.05), wall: '10m' },
  status: true,
});

// CFL: the explicit scheme is stable for dt <= h^2 / (4 D); each rank proposes its bound and the
// loop takes the minimum over ranks (with a safety factor), so every rank steps with the same dt.
sim.timestep(() => (h * h) / (4 * sim.params.diffusivity), { safety: 0.8 });

sim.every({ time: 0.01 }, (s) => {
  const total = u.sum() * h * h, hottest = u.max();               // collective reductions
  if (world.rank === 0) console.log(`t = ${s.time.toFixed(3)}  step ${s.step}  heat ${total.toFixed(5)}  hottest ${hottest.toFixed(4)} K  (D = ${s.params.diffusivity}, source = ${s.params.source} K/s)`);
});

// "checkpoint now" from the dashboard or `simdeck attach`: the whole field and the loop's state,
// written by rank 0 under a temporary name and renamed when complete.
sim.onCheckpoint((s) => {
  const full = u.gather(0);
  if (full === null) return;
  const base = join(process.env.HEAT_CHECKPOINT_DIR ?? '.', `heat2d-step${s.step}`);
  writeFileSync(`${base}.bin.tmp`, full);
  renameSync(`${base}.bin.tmp`, `${base}.bin`);
  writeFileSync(`${base}.json`, JSON.stringify({ ...s.state, shape: [N, N], file: `${base}.bin` }) + '\n');
  console.log(`checkpoint at step ${s.step}: ${base}.bin`);
});

sim.expose({ u, grid });                                           // reachable from `eval`

sim.run((s) => {
  u.exchange();                                                    // ghosts from the neighbours
  k.heat_step!(...u.localShapeWithGhosts, u.data, v.data, (s.params.diffusivity * s.dt) / (h * h));
  [u.data, v.data] = [v.data, u.data];
  k.add_source!(u.data.length, u.data, where.data, s.params.source * s.dt);
});
