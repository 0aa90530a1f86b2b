// graphics benchmark deck (test/bench/graphics.bench.mjs): heat2d on an N x N Grid, with live
// heat maps down-selected to 512 x 512 at a cadence, or none. Prints one JSON line on rank 0:
// the loop's wall time (slowest rank), and LivePlots' figures (slowest rank).
//   simdeck run --output rank0 -n 2 test/bench/decks/graphics.ts <none|steps:N|budget:B> [N] [steps] [dir]
// (env BENCH_QUEUE: the render queue's capacity, default LivePlots' own)
import { world, Op } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid } from 'simdeck/decomposition';
import { LivePlots, type Every } from 'simdeck/graphics';

const [mode = 'none', nArg = '2048', stepsArg = '500', dir = 'plots-bench'] = process.argv.slice(2);
const N = Number(nArg), steps = Number(stepsArg), alpha = 0.2;
const k = loadKernels(new URL('../../../native-examples/heat2d/heat.c', import.meta.url));
const grid = new Grid(world, { shape: [N, N], ghosts: 1 });
const u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);
u.fill((i, j) => (Math.abs(2 * i - N) < N / 4 && Math.abs(2 * j - N) < N / 4 ? 1 : 0));
const [nx, ny] = u.localShapeWithGhosts;
const every: Every | null = mode === 'none' ? null : mode.startsWith('steps:') ? { steps: Number(mode.slice(6)) } : { budget: Number(mode.slice(7)) };
// BENCH_QUEUE: the render queue's capacity (default: LivePlots' own)
const queue = process.env.BENCH_QUEUE === undefined ? undefined : Number(process.env.BENCH_QUEUE);
const plots = every === null ? null : new LivePlots(world, { dir, every, queue, publish: false, timeUnit: 's' });
const opts = { size: 512, title: 'Temperature', label: 'T', unit: 'K', extent: [0, 1, 0, 1] as [number, number, number, number], colormap: 'magma' as const };

world.barrier();
const t0 = performance.now();
for (let step = 0; step < steps; step++) {
  u.exchange();
  k.heat_step(nx, ny, u.data, v.data, alpha);
  [u.data, v.data] = [v.data, u.data];
  plots?.heatmap('T', u, { step: step + 1, time: (step + 1) * 1e-3 }, opts);
}
const loop = performance.now() - t0;
const st = plots?.stats();
const mine = Float64Array.of(loop, st?.perFrameMs ?? 0, st?.share ?? 0, st?.criticalMs ?? 0, st?.medianFrameMs ?? 0, st?.setupMs ?? 0);
world.allreduceInto(mine, mine, Op.MAX);
const fin = plots?.close();
if (world.rank === 0) {
  console.log(JSON.stringify({ mode, loop_ms: mine[0], frame_ms: mine[1], share: mine[2], critical_ms: mine[3], median_frame_ms: mine[4], setup_ms: mine[5], setup_render_cpu_ms: fin?.setupRenderCpuMs ?? 0, frames: fin?.frames ?? 0, drawn: fin?.drawn ?? 0, skipped: fin?.skipped ?? 0, raised: fin?.raised ?? 0, render_ms: fin?.renderMs ?? 0, render_cpu_ms: fin?.renderCpuMs ?? 0, cost_share: Math.max(mine[2], fin?.costShare ?? 0) }));
}
