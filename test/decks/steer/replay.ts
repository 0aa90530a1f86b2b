// Runs physics.ts's model with no replay option: under `SIMDECK_REPLAY=LOG` (what
// `simdeck run --replay LOG` sets) it replays the log; prints the result's bits.
import { world } from 'simdeck';
import { Simulation } from 'simdeck/steer';
import { PARAMS, bits, physics } from './physics.js';

const sim = new Simulation(world, { params: PARAMS, stop: { steps: 1000 }, dt: 0.01, report: process.argv.includes('--report') });
const x = physics(sim);
const all = world.gather(bits(x), 0);
if (all !== null) console.log(`result ${all.every((b) => b === all[0]) ? all[0] : 'ranks differ'} at step ${sim.step} (${sim.stopReason})`);
