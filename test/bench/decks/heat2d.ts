// heat2d benchmark deck (test/bench/heat2d.bench.mjs): the algorithm of
// test/bench/peers/heat2d_mpi.c on a simdeck Grid. An N x N field on the world's ranks (2 ranks:
// slabs of rows, the Grid's choice), one ghost layer, heat_step from native-examples/heat2d/heat.c.
// Measured as the C peer measures: `trials` trials, each the slowest rank's time / calls, median;
// the four variants' trials interleave (step, overlap, kernel, halo, step, ...).
//   step:    u.exchange() + heat_step + swap
//   overlap: u.exchangeBegin(), heat_step on the rows that need no ghosts, u.exchangeEnd(),
//            heat_step on the two edge rows (through a 3-row scratch block), swap
//   kernel:  heat_step + swap alone
//   halo:    u.exchange() alone
//   simdeck run --output rank0 -n 2 test/bench/decks/heat2d.ts [-n N] [-t T] [-k K] [-w W] [-h H]
import { world, Op } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid } from 'simdeck/decomposition';

const opt = { n: 2048, t: 15, k: 20, w: 20, h: 2000 } as Record<string, number>;
const argv = process.argv.slice(2);
for (let i = 0; i + 1 < argv.length; i += 2) opt[argv[i].replace(/^-/, '')] = Number(argv[i + 1]);
const N = opt.n, alpha = 0.2;

const k = loadKernels(new URL('../../../native-examples/heat2d/heat.c', import.meta.url));
const grid = new Grid(world, { shape: [N, N], ghosts: 1 });
if (world.size > 1 && grid.procs[1] !== 1) throw new Error(`the overlap variant needs slabs of rows, got procs ${grid.procs}`);
const u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);
u.fill((i, j) => (Math.abs(2 * i - N) < N / 4 && Math.abs(2 * j - N) < N / 4 ? 1 : 0));
const [nx, ny] = u.localShapeWithGhosts;
const tmp = new Float64Array(3 * ny);
const heat = k.heat_step;

function step(): void {
  u.exchange();
  heat(nx, ny, u.data, v.data, alpha);
  [u.data, v.data] = [v.data, u.data];
}
function overlap(): void {
  u.exchangeBegin();
  const a = u.data, b = v.data;
  heat(nx - 2, ny, a.subarray(ny), b.subarray(ny), alpha);          // rows 2 .. nx-3 need no ghosts
  u.exchangeEnd();
  heat(3, ny, a, tmp, alpha);                                      // row 1
  b.set(tmp.subarray(ny, 2 * ny), ny);
  heat(3, ny, a.subarray((nx - 3) * ny), tmp, alpha);              // row nx-2
  b.set(tmp.subarray(ny, 2 * ny), (nx - 2) * ny);
  [u.data, v.data] = [v.data, u.data];
}
function kernel(): void {
  heat(nx, ny, u.data, v.data, alpha);
  [u.data, v.data] = [v.data, u.data];
}
function halo(): void {
  u.exchange();
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
/** One trial: `calls` calls of f; the slowest rank's µs per call. */
function trial(f: () => void, calls: number): number {
  world.barrier();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) f();
  const ms = world.allreduce(performance.now() - t0, Op.MAX) as number;
  return ms * 1000 / calls;
}

for (let i = 0; i < opt.w; i++) step();
// the variants' trials interleave, so that the machine's drift over the run reaches them alike
const variants = { step: [step, opt.k], overlap: [overlap, opt.k], kernel: [kernel, opt.k], halo: [halo, opt.h] } as const;
const trials: Record<keyof typeof variants, number[]> = { step: [], overlap: [], kernel: [], halo: [] };
for (let t = 0; t < opt.t; t++) for (const [name, [f, calls]] of Object.entries(variants)) trials[name as keyof typeof variants].push(trial(f, calls));
const of = (name: keyof typeof variants) => ({ us: median(trials[name]), trial_us: trials[name] });
const result = {
  impl: 'simdeck', transport: 'shm', nranks: world.size, n: N, procs: grid.procs, trials: opt.t, steps_per_trial: opt.k, halo_calls: opt.h, warmup: opt.w,
  step: of('step'), overlap: of('overlap'), kernel: of('kernel'), halo: of('halo'),
  total: 0,
};
result.total = u.sum();
if (world.rank === 0) console.log(JSON.stringify(result));
