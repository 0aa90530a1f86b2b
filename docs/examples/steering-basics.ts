// The simulation loop in a few lines: a cooling law integrated on every rank, a time step from
// a global minimum, a report every 0.25 time units (landed on exactly), a steerable parameter,
// and a stop at a simulation time.
//   npx simdeck run -n 2 docs/examples/steering-basics.ts
import { world, Op } from 'simdeck';
import { Simulation } from 'simdeck/steer';

const sim = new Simulation(world, {
  params: { k: { value: 2, min: 0, max: 10, unit: '1/s', description: 'cooling rate' } },
  stop: { time: 1 },
  report: false,                       // no timer table at the end (its timings vary run to run)
});

// each rank holds one body, cooling at rate k toward 0; the hotter the body, the smaller its stable step
let T = 100 * (world.rank + 1);
sim.timestep(() => 0.5 / (sim.params.k * (1 + T / 100)), { safety: 0.8, max: 0.1 });

sim.every({ time: 0.25 }, (s) => {
  const hottest = world.allreduce(T, Op.MAX);   // any collective works in a hook
  if (world.rank === 0) console.log(`t = ${s.time}  step ${s.step}  dt = ${s.dt.toFixed(5)}  hottest ${hottest.toFixed(3)}`);
});

sim.run((s) => {
  T -= s.dt * s.params.k * T;          // explicit Euler
});
if (world.rank === 0) console.log(`stopped: ${sim.stopReason} at step ${sim.step}, t = ${sim.time}`);
