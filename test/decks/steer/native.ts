// A compiled loop (C, or Fortran with argument 'fortran') steered through the callback of
// Simulation.runNative: a parameter change, a pause and a stop sent by a link on rank 0 reach the
// compiled loop at the same step on every rank. Prints OK lines on rank 0.
import { createHash } from 'node:crypto';
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Simulation, ScriptedLink } from 'simdeck/steer';

const fortran = process.argv.includes('fortran');
const lang = fortran ? 'Fortran' : 'C';
const src = new URL(`../../../native-examples/steered-loop/${fortran ? 'relax.f90' : 'relax.c'}`, import.meta.url);
const k = loadKernels(src);
const run = fortran ? k.relax_run_f! : k.relax_run!;

let waited = 0;
const link = new ScriptedLink({ onWait: (l) => { waited++; l.send({ kind: 'resume' }); } });
const sim = new Simulation(world, {
  params: { rate: { value: 0.5, min: 0, max: 10 }, target: { value: 300 } },
  stop: { time: 100 }, steer: world.rank === 0 ? link : true, log: false, report: false, syncInterval: 0,
});
const hooks: number[] = [];
sim.every({ steps: 50 }, (s) => {
  hooks.push(s.step);
  if (world.rank !== 0) return;
  if (s.step === 100) link.send({ kind: 'set', name: 'rate', value: 2 });
  if (s.step === 150) link.send({ kind: 'pause' });
  if (s.step === 300) link.send({ kind: 'stop' });
});
const u = Float64Array.from({ length: 100 }, (_, i) => 200 + world.rank * 10 + (i % 7));
const seen = new Float64Array(10_000);
let returned = -1;
const reason = sim.runNative((steer) => { returned = run(u.length, u, 0.01, seen.length, seen, steer) as number; });
const firstNew = seen.findIndex((r) => r === 2);
const mine = { firstNew, before: seen[firstNew - 1], after: seen.subarray(firstNew, returned).every((r) => r === 2), returned, step: sim.step, reason, hooks: hooks.join(',') };
const all = world.allgather(JSON.stringify(mine));
const expected = JSON.stringify({ firstNew: 100, before: 0.5, after: true, returned: 300, step: 300, reason: 'steering', hooks: '50,100,150,200,250,300' });
if (world.rank === 0) {
  const ok = all.every((a) => a === expected);
  console.log(ok ? `OK ${lang}: a parameter change and a stop reach the compiled loop at the same step on every rank` : `FAIL ${lang}: ${all.join(' | ')}`);
  console.log(waited === 1 ? `OK ${lang}: a pause holds the compiled loop until resumed` : `FAIL ${lang}: waited ${waited}`);
}
const sums = world.gather(Buffer.from(u.buffer).toString('base64'), 0);
if (world.rank === 0) console.log(`fields ${createHash('sha256').update(sums!.join('')).digest('hex').slice(0, 16)}`);
