// The steering loop's cost, measured in one job on 2 ranks (see steer.bench.mjs): per-step cost
// of a bare `for` loop, of Simulation with steering off, and with steering on and no client (an
// idle link: the real server when it is installed, else a ScriptedLink), on an empty step and on
// heat2d; rounds interleave the variants. Then the latency from a command to its application on
// every rank, and the CPU each rank uses while paused. Prints one JSON line on rank 0.
import { world, Op } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid } from 'simdeck/decomposition';
import { Simulation, ScriptedLink, openSteering, type SteeringLink } from 'simdeck/steer';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const EMPTY_STEPS = Number(process.env.BENCH_EMPTY_STEPS ?? 200_000);
const HEAT_STEPS = Number(process.env.BENCH_HEAT_STEPS ?? 200);
const N = 512;

let linkKind = 'ScriptedLink';
let link: SteeringLink | null = null;
if (world.rank === 0) {
  try { link = await openSteering([]); linkKind = 'server'; } catch { link = new ScriptedLink(); }
}
linkKind = world.bcast(linkKind, 0);
const idle = () => (world.rank === 0 ? link! : true);

const k = loadKernels(new URL('../../../native-examples/heat2d/heat.c', import.meta.url));
const grid = new Grid(world, { shape: [N, N], ghosts: 1 });
const u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);
u.fill((i, j) => (Math.abs(i - N / 2) < N / 8 && Math.abs(j - N / 2) < N / 8 ? 1 : 0));
const heatStep = () => {
  u.exchange();
  k.heat_step!(...u.localShapeWithGhosts, u.data, v.data, 0.2);
  [u.data, v.data] = [v.data, u.data];
};
let sink = 0;
const emptyStep = () => { sink++; };

/** Seconds per step, the slowest rank's: [wall, CPU] (CPU time is what others' load disturbs least). */
function timed(fn: () => void, steps: number): [number, number] {
  world.barrier();
  const t = performance.now();
  const c = process.cpuUsage();
  fn();
  const cpu = process.cpuUsage(c);
  const wall = (performance.now() - t) / 1000 / steps;
  return world.allreduce(Float64Array.from([wall, (cpu.user + cpu.system) / 1e6 / steps]), Op.MAX) as unknown as [number, number];
}

function variants(step: () => void, steps: number): Record<string, () => void> {
  return {
    bare: () => { for (let i = 0; i < steps; i++) step(); },
    off: () => { new Simulation(world, { stop: { steps }, report: false, steer: false }).run(step); },
    idle: () => { new Simulation(world, { stop: { steps }, report: false, steer: idle(), log: false }).run(step); },
  };
}
const results: Record<string, Record<string, number[][]>> = { empty: { bare: [], off: [], idle: [] }, heat: { bare: [], off: [], idle: [] } };
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(variants(emptyStep, EMPTY_STEPS))) results.empty![name]!.push([...timed(fn, EMPTY_STEPS)]);
  for (const [name, fn] of Object.entries(variants(heatStep, HEAT_STEPS))) results.heat![name]!.push([...timed(fn, HEAT_STEPS)]);
}

// latency: rank 0 queues a command at a known wall time; every rank notes when onChange runs
function latency(step: () => void, label: string): number[] {
  const sends: number[] = [];
  const applied: number[] = [];
  const scripted = world.rank === 0 ? new ScriptedLink() : null;
  const sim = new Simulation(world, { params: { a: 0 }, stop: { steps: 1e9 }, report: false, steer: scripted ?? true, log: false });
  let sent = 0;
  sim.onChange((c) => {
    applied.push(performance.timeOrigin + performance.now());
  });
  let next = performance.now() + 5;
  sim.every({ steps: 1 }, () => {
    if (world.rank !== 0) return;
    if (sent < 20 && performance.now() >= next) {
      sends.push(performance.timeOrigin + performance.now());
      scripted!.send({ kind: 'set', name: 'a', value: ++sent });
      next = performance.now() + 3 + Math.random() * 2;
    }
    if (sent === 20 && applied.length === 20) scripted!.send({ kind: 'stop' });
  });
  sim.run(step);
  const all = world.gather(applied, 0);
  void label;
  if (all === null) return [];
  return sends.map((t, i) => Math.max(...all.map((a) => a[i]!)) - t); // ms until the last rank applied it
}
const latencyEmpty = latency(emptyStep, 'empty');
const latencyHeat = latency(heatStep, 'heat');

// CPU while paused: pause for 2 s of wall time, measure each rank's CPU time meanwhile
let pausedCpu: number[] | null = null;
{
  const scripted = world.rank === 0 ? new ScriptedLink({ onWait: (l) => { if (performance.now() - t0 > 2000) l.send({ kind: 'resume' }); } }) : null;
  let t0 = 0;
  let cpu0 = 0, cpu = 0;
  const sim = new Simulation(world, { stop: { steps: 20 }, report: false, steer: scripted ?? true, log: false, syncInterval: 0 });
  sim.every({ steps: 10 }, (s) => {
    if (s.step === 10) { const c = process.cpuUsage(); cpu0 = c.user + c.system; t0 = performance.now(); if (scripted) scripted.send({ kind: 'pause' }); }
  });
  sim.every({ steps: 11 }, () => { const c = process.cpuUsage(); cpu = (c.user + c.system - cpu0) / 1e6 / ((performance.now() - t0) / 1000); });
  sim.run(emptyStep);
  pausedCpu = world.gather(cpu, 0);
}

if (world.rank === 0) {
  console.log(JSON.stringify({ linkKind, rounds: ROUNDS, emptySteps: EMPTY_STEPS, heatSteps: HEAT_STEPS, n: N, results, latencyEmpty, latencyHeat, pausedCpu, sink: sink > 0 }));
}
link?.close();
