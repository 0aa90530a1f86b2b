// The real simulation loop (simdeck/steer's Simulation) for the steering server's end-to-end tests:
// steerable parameters of every kind, a checkpoint hook, a live plot and a metrics panel; every
// rank prints each change it applied and each checkpoint with the step, so tests can compare ranks.
//   args: [steps] [ms per step]
import { Op, world } from 'simdeck';
import { Simulation, publishMetrics, publishPlot } from 'simdeck/steer';
import { picture } from './picture.js';

const steps = Number(process.argv[2] ?? 1_000_000);
const msPerStep = Number(process.argv[3] ?? 20);
const sim = new Simulation(world, {
  params: {
    alpha: { value: 0.1, min: 0, max: 0.25, unit: 'm2/s', description: 'diffusivity' },
    iterations: { value: 3, type: 'integer', min: 1, max: 100 },
    source: { value: true },
    scheme: { value: 'upwind', choices: ['upwind', 'central'] },
  },
  stop: { steps },
  report: false,
});
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let x = 0;
sim.timestep(() => 0.01);
sim.onChange((c) => console.log(`APPLIED ${c.step} ${c.name}=${c.value}`));
sim.onCheckpoint((s) => console.log(`CHECKPOINT ${s.step}`));

sim.every({ steps: 10 }, (s) => {
  const total = world.allreduce(x, Op.SUM);
  if (world.rank === 0) {
    publishPlot({ name: 'T', step: s.step, time: s.time, png: picture(s.step, s.params.alpha) });
    publishMetrics({ panel: 'field', values: { 'sum of x': Number(total.toPrecision(6)), ranks: world.size } });
  }
});
sim.run((s) => {
  for (let i = 0; i < s.params.iterations; i++) x += s.params.alpha * Math.sin(s.step + i + world.rank) * (s.params.source ? 1 : 0.5);
  if (msPerStep > 0) Atomics.wait(sleeper, 0, 0, msPerStep);
});
console.log(`DONE ${sim.step} ${sim.stopReason}`);
