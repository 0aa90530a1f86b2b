// A steered 2-rank Simulation whose LivePlots publish a heat map to the dashboard every 5 steps,
// for test/steer-server/liveplot.test.ts: the field is a ramp along x that slides one cell per
// step (u = ((i + step) mod 64) / 64 on a 64 x 64 grid, colour range [0, 1]), so every frame
// of the plot differs from the last and the colour at any cell is known from the frame's step.
//   args: [steps] [ms per step]
import { world } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { LivePlots } from 'simdeck/graphics';
import { Simulation } from 'simdeck/steer';

const steps = Number(process.argv[2] ?? 1_000_000);
const msPerStep = Number(process.argv[3] ?? 20);
const N = 64;
const grid = new Grid(world, { shape: [N, N], ghosts: 1 });
const u = grid.zeros(Float64Array);
const plots = new LivePlots(world, { dir: null, every: { steps: 5 }, timeUnit: 's' });
const sim = new Simulation(world, { stop: { steps }, report: false });
const sleeper = new Int32Array(new SharedArrayBuffer(4));
sim.timestep(() => 0.01);
sim.run((s) => {
  u.fill((i) => ((i + s.step) % N) / N);
  plots.heatmap('T', u, s, { title: 'sliding ramp', range: [0, 1], colormap: 'viridis' });
  if (msPerStep > 0) Atomics.wait(sleeper, 0, 0, msPerStep);
});
const st = plots.close();
console.log(`DONE ${sim.step} ${sim.stopReason} ${st.drawn} drawn`);
