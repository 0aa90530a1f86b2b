// The steering loop's cost, measured in one job on 2 ranks (see steer.bench.mjs). Rank 0 opens
// the real steering server (the worker thread `simdeck run --steer` starts); clients are real
// WebSocket clients in processes of their own (test/bench/steer/client.mjs).
//   per step, for three steps (an empty one; heat2d 512² with the C kernel; the same with a CFL
//   time step, i.e. one allreduce per step): a bare `for` loop, Simulation with steering off,
//   steering on with no client, and steering on with a client receiving status at 10 Hz;
//   rounds interleave the variants;
//   the latency from a client's `set` to its application on the last rank (empty and heat2d);
//   the CPU each rank uses while paused (a client paused the run for 2 s).
// Prints one JSON line on rank 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { world, Op } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid } from 'simdeck/decomposition';
import { Simulation, openSteering, type SteeringLink } from 'simdeck/steer';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Seconds a bare loop of each step runs per round (the step counts are chosen from it). */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const N = Number(process.env.BENCH_STEER_N ?? 512);
const clientScript = new URL('../steer/client.mjs', import.meta.url).pathname;

let link: SteeringLink | null = null;
let wsUrl = '';
const dir = world.rank === 0 ? mkdtempSync(join(tmpdir(), 'simdeck-steerbench-')) : '';
if (world.rank === 0) {
  link = await openSteering([]);
  wsUrl = link.url.replace(/^http:/, 'ws:').replace('/?token=', '/ws?token=');
}
const steer = () => (world.rank === 0 ? link! : true);

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);
function waitFile(path: string, what: string, seconds = 30): void {
  const end = Date.now() + seconds * 1000;
  while (!existsSync(path)) {
    if (Date.now() > end) throw new Error(`steer bench: no ${what} after ${seconds} s (${path})`);
    sleep(5);
  }
}
let nClients = 0;
/** Rank 0: starts a client process; returns it once the server's hello reached it. */
function startClient(mode: string, extra: string[] = []): { child: ChildProcess; file: string } {
  const file = join(dir, `client${++nClients}.json`);
  const child = spawn(process.execPath, [clientScript, mode, wsUrl, file, ...extra], { stdio: ['ignore', 'inherit', 'inherit'] });
  waitFile(`${file}.ready`, 'client connection');
  return { child, file };
}
function readJson<T>(file: string): T {
  waitFile(file, 'client result');
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

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
/** What a CFL rule proposes on each rank (a constant: the cost measured is the reduction's). */
const cflLocal = () => 0.2 + world.rank * 1e-3;

interface Work { step: () => void; cfl: boolean }
const works: Record<string, Work> = {
  empty: { step: emptyStep, cfl: false },
  heat: { step: heatStep, cfl: false },
  cfl: { step: heatStep, cfl: true },
};

/** [wall, CPU] seconds per step, each the slowest rank's (CPU: the process's, all threads). */
function timed(fn: () => void, steps: number): [number, number] {
  world.barrier();
  const t = performance.now();
  const c = process.cpuUsage();
  fn();
  const cpu = process.cpuUsage(c);
  const wall = (performance.now() - t) / 1000 / steps;
  const r = world.allreduce(Float64Array.from([wall, (cpu.user + cpu.system) / 1e6 / steps]), Op.MAX) as Float64Array;
  return [r[0]!, r[1]!];
}

function bare(w: Work, steps: number): void {
  if (w.cfl) {
    let dt = 0;
    for (let i = 0; i < steps; i++) { dt = 0.8 * (world.allreduce(cflLocal(), Op.MIN) as number); w.step(); }
    sink += dt;
  } else {
    for (let i = 0; i < steps; i++) w.step();
  }
}

function simulation(w: Work, steps: number, steering: boolean): Simulation {
  const sim = new Simulation(world, { stop: { steps }, report: false, steer: steering ? steer() : false, log: false });
  if (w.cfl) sim.timestep(cflLocal, { safety: 0.8 });
  return sim;
}

// step counts: about SECONDS of a bare loop each (rank 0's measure)
const steps: Record<string, number> = {};
for (const [name, w] of Object.entries(works)) {
  const probe = name === 'empty' ? 1_000_000 : 50;
  bare(w, probe);
  const [wall] = timed(() => bare(w, probe), probe);
  steps[name] = world.bcast(Math.max(10, Math.round(SECONDS / wall)), 0);
}

const VARIANTS = ['bare', 'off', 'idle', 'client'] as const;
/** results[work][variant]: per round [wall, CPU, rank 0's steer timer] seconds per step. */
const results: Record<string, Record<string, number[][]>> = {};
const clientHz: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, w] of Object.entries(works)) {
    const n = steps[name]!;
    for (const variant of VARIANTS) {
      let figures: number[];
      if (variant === 'bare') figures = [...timed(() => bare(w, n), n), 0];
      else {
        const sim = simulation(w, n, variant !== 'off');
        const client = variant === 'client' && world.rank === 0 ? startClient('stream') : null;
        if (variant === 'client') world.barrier();
        figures = timed(() => sim.run(w.step), n);
        // rank 0's own steering work (its `steer` timer: polling, the control message, statuses), per step
        figures.push((sim.timers.local().find((t) => t.name === 'steer')?.mean ?? 0) / n);
        if (client !== null) {
          client.child.kill('SIGTERM');
          const got = readJson<{ frames: number; seconds: number }>(client.file);
          clientHz.push(got.frames / Math.max(got.seconds, 1e-3));
        }
      }
      ((results[name] ??= {})[variant] ??= []).push(figures);
    }
  }
}

/** Latency: a client sends `set a=1..20`; every rank notes when each is applied. Milliseconds to the last rank. */
function latency(step: () => void): number[] {
  const count = 20;
  const applied: number[] = [];
  const sim = new Simulation(world, { params: { a: 0 }, stop: { steps: 1e12 }, report: false, steer: steer(), log: false });
  sim.onChange(() => { applied.push(performance.timeOrigin + performance.now()); });
  const client = world.rank === 0 ? startClient('latency', [String(count)]) : null;
  sim.run(step);
  const all = world.gather(applied, 0);
  if (client === null || all === null) return [];
  const { sends } = readJson<{ sends: number[] }>(client.file);
  return sends.map((t, i) => Math.max(...all.map((a) => a[i]!)) - t);
}
const latencyEmpty = latency(emptyStep);
const latencyHeat = latency(heatStep);

// CPU while paused: a client pauses the run for 2 s and then stops it; each rank measures its CPU
// time between its last step and the stop.
const PAUSE_MS = 2000;
let pausedCpu: number[] | null = null;
{
  const sim = new Simulation(world, { stop: { steps: 1e12 }, report: false, steer: steer(), log: false });
  let cpu0 = 0, t0 = 0, cpu = 0;
  const mark = () => { const c = process.cpuUsage(); cpu0 = c.user + c.system; t0 = performance.now(); };
  sim.on('afterStep', mark);
  sim.on('stop', () => { const c = process.cpuUsage(); cpu = (c.user + c.system - cpu0) / 1e6 / ((performance.now() - t0) / 1000); });
  const client = world.rank === 0 ? startClient('pause', [String(PAUSE_MS)]) : null;
  sim.run(() => { sleep(1); });
  if (client !== null) readJson(client.file);
  pausedCpu = world.gather(cpu, 0);
}

if (world.rank === 0) {
  console.log(JSON.stringify({ rounds: ROUNDS, seconds: SECONDS, steps, n: N, results, clientHz, latencyEmpty, latencyHeat, pausedCpu, sink: sink > 0 }));
  link!.close();
  rmSync(dir, { recursive: true, force: true });
}
