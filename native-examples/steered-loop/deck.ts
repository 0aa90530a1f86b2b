// A C (or, with RELAX=fortran, Fortran) solver that keeps its own time loop, steered from the
// deck: the loop calls back once per step, which runs the hooks below and applies steering
// (`simdeck run --steer`: change rate or target, pause, stop) at the same step on every rank.
//   npx simdeck run -n 2 native-examples/steered-loop/deck.ts
//   npx simdeck run -n 2 --steer native-examples/steered-loop/deck.ts    (then open the URL it prints)
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Simulation } from 'simdeck/steer';

const fortran = process.env.RELAX === 'fortran';
const k = loadKernels(new URL(fortran ? './relax.f90' : './relax.c', import.meta.url));
const run = fortran ? k.relax_run_f! : k.relax_run!;

const sim = new Simulation(world, {
  params: {
    rate: { value: 0.5, min: 0, max: 10, unit: '1/s', description: 'relaxation rate' },
    target: { value: 300, min: 0, max: 1000, unit: 'K', description: 'temperature the points relax to' },
  },
  stop: { time: 10 },
  report: false,
});
// this rank's points start at different temperatures
const u = Float64Array.from({ length: 1000 }, (_, i) => 200 + world.rank * 10 + (i % 7));
const maxSteps = 100_000;
const seen = new Float64Array(maxSteps);
sim.every({ steps: 250 }, (s) => {
  const mean = world.allreduce(u.reduce((a, b) => a + b, 0)) / (u.length * world.size);
  if (world.rank === 0) console.log(`step ${s.step}  t = ${s.time.toFixed(2)}  mean temperature ${mean.toFixed(3)} K`);
});
const reason = sim.runNative((steer) => run(u.length, u, 0.01, maxSteps, seen, steer));
if (world.rank === 0) console.log(`${fortran ? 'Fortran' : 'C'} loop ended at step ${sim.step} (${reason})`);
