// graphics benchmark deck, paired blocks (test/bench/graphics.bench.mjs): heat2d on an N x N Grid
// whose loop alternates blocks of B steps with a live heat map every 50 steps ("on") and blocks
// without any plot call ("off"), in the order on off off on (so a slow drift of the machine's speed
// weighs on both alike). Adjacent blocks see the same machine, so their difference is the
// graphics' whole cost (critical path, render thread, caches) with far less noise than two
// separate runs. Frames fall mid-interval (steps 25, 75, ... of an "on" block) so the last
// frame's rendering ends inside its own block. The first pair warms up (plan, overlay, compiling)
// and is not reported. Prints one JSON line on rank 0: each block's wall time (slowest rank).
//   simdeck run --output rank0 -n 2 test/bench/decks/graphicsPaired.ts [N] [blockSteps] [pairs] [dir]
import { world, Op } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid } from 'simdeck/decomposition';
import { LivePlots } from 'simdeck/graphics';

const [nArg = '2048', blockArg = '500', pairsArg = '8', dir = 'plots-bench'] = process.argv.slice(2);
const N = Number(nArg), B = Number(blockArg), pairs = Number(pairsArg), alpha = 0.2;
const k = loadKernels(new URL('../../../native-examples/heat2d/heat.c', import.meta.url));
const grid = new Grid(world, { shape: [N, N], ghosts: 1 });
const u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);
u.fill((i, j) => (Math.abs(2 * i - N) < N / 4 && Math.abs(2 * j - N) < N / 4 ? 1 : 0));
const [nx, ny] = u.localShapeWithGhosts;
const plots = new LivePlots(world, { dir, every: { steps: 50 }, publish: false, timeUnit: 's' });
const opts = { size: 512, title: 'Temperature', label: 'T', unit: 'K', extent: [0, 1, 0, 1] as [number, number, number, number], colormap: 'magma' as const };

let step = 0;
function block(on: boolean): number {
  world.barrier();
  const t0 = performance.now();
  for (let s = 0; s < B; s++) {
    u.exchange();
    k.heat_step(nx, ny, u.data, v.data, alpha);
    [u.data, v.data] = [v.data, u.data];
    step++;
    if (on) plots.heatmap('T', u, { step: s + 25, time: step * 1e-3 }, opts);
  }
  const t = Float64Array.of(performance.now() - t0);
  world.allreduceInto(t, t, Op.MAX);
  return t[0];
}
const on: number[] = [], off: number[] = [];
for (let p = 0; p <= pairs; p++) {
  // pair p: on off (p even) or off on (p odd): on off off on on off ...
  const first = p % 2 === 0;
  const a = block(first), b = block(!first);
  if (p === 0) continue; // warm-up
  on.push(first ? a : b);
  off.push(first ? b : a);
}
const fin = plots.close();
if (world.rank === 0) console.log(JSON.stringify({ block_steps: B, on_ms: on, off_ms: off, frames: fin.frames, drawn: fin.drawn, skipped: fin.skipped }));
