// Live plots of the 2-D heat equation (docs/graphics.md). Every 100 steps: a heat map of the
// temperature (reduced in parallel to 256x256 before it travels to rank 0) and a profile along
// the centre line; a time series of two diagnostics (global reductions) drawn every 200 steps.
// Rank 0's render worker writes numbered PNG files and an index.html gallery into the directory
// given (default plots/heat2d), and pushes each frame to the steering dashboard when one runs.
//   npx simdeck run -n 2 native-examples/heat2d/plots.ts [directory]
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid } from 'simdeck/decomposition';
import { LivePlots } from 'simdeck/graphics';

const dir = process.argv[2] ?? 'plots/heat2d';
const k = loadKernels(new URL('./heat.c', import.meta.url));

const N = 512, steps = 400, alpha = 0.2;            // alpha = D dt / dx²
const dx = 1 / N, dt = (alpha * dx * dx) / 1e-4;    // a 1 m square, diffusivity 1e-4 m²/s
const grid = new Grid(world, { shape: [N, N], ghosts: 1 });
const u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);
u.fill((i, j) => (Math.abs(i - N / 2) < N / 8 && Math.abs(j - N / 2) < N / 8 ? 1 : 0)); // a hot square

const plots = new LivePlots(world, { dir, every: { steps: 100 }, queue: 16, timeUnit: 's', title: 'heat2d' });
for (let step = 0; ; step++) {
  const s = { step, time: step * dt };
  plots.heatmap('temperature', u, s, {
    size: 256, title: 'Temperature', label: 'T', unit: 'K', colormap: 'magma',
    extent: [0, 1, 0, 1], xlabel: 'x [m]', ylabel: 'y [m]',
  });
  plots.profile('centre line', u, s, { axis: 0, at: [0, N / 2], extent: [0, 1], xlabel: 'x [m]', ylabel: 'T [K]' });
  if (step % 10 === 0) {
    plots.series('diagnostics', s, { 'total heat [K m²]': u.sum() * dx * dx, 'sum of T² [K² m²]': u.dot(u) * dx * dx }, { every: { steps: 200 } });
  }
  if (step === steps) break;
  u.exchange();
  k.heat_step(...u.localShapeWithGhosts, u.data, v.data, alpha);
  [u.data, v.data] = [v.data, u.data];
}
const st = plots.close();
if (world.rank === 0) {
  console.log(`heat2d ${N}x${N} on ${world.size} ranks, ${steps} steps: ${st.frames} frames made, ${st.drawn} drawn, ${st.skipped} skipped`);
  console.log(`gallery: ${dir}/index.html`);
  console.log(`graphics on the critical path: ${st.perFrameMs.toFixed(1)} ms per frame`);
}
