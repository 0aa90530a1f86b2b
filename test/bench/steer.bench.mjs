// The steering loop's cost on 2 ranks (shared memory), from test/bench/decks/steer.ts in one job
// with the real steering server on rank 0 and real WebSocket clients in processes of their own:
// per step, a bare `for` loop against Simulation with steering off, on with no client, and on
// with a client receiving status at 10 Hz, on an empty step, on heat2d 512² (the C kernel) and on
// heat2d 512² with a CFL time step (one allreduce per step); the latency from a client's command
// to its application on every rank; the CPU each rank uses while paused. Rounds interleave the
// variants; figures are medians over rounds of the slowest rank's time per step.
//   npx tsc -p . && node test/bench/run.mjs steer      (BENCH_ROUNDS, BENCH_SECONDS to change)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cpuBusy, fmt, markdownTable, median, watchOthersLoad } from './peers.mjs';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const deck = join(import.meta.dirname, 'decks', 'steer.ts');

const before = await cpuBusy();
const others = watchOthersLoad();
const r = spawnSync(process.execPath, [cli, 'run', '--output', 'rank0', '-n', '2', deck], { encoding: 'utf8', cwd: root, env: { ...process.env } });
if (r.status !== 0) { console.error(r.stdout, r.stderr); process.exit(1); }
const res = JSON.parse(r.stdout.trim().split('\n').pop());
const load = others.stop();

// res.results[work][variant] is a list of [wall, cpu] seconds per step, one per round
const pick = (work, v, i) => median(res.results[work][v].map((x) => x[i]));
const WORKS = {
  empty: ['empty step', 'ns', 1e9],
  heat: [`heat2d ${res.n}²`, 'µs', 1e6],
  cfl: [`heat2d ${res.n}² + CFL dt`, 'µs', 1e6],
};
const pct = (x, of) => `${fmt((100 * x) / of)} %`;
function table(i) {
  const rows = [];
  for (const [work, [what, unit, scale]] of Object.entries(WORKS)) {
    const b = pick(work, 'bare', i), off = pick(work, 'off', i), idle = pick(work, 'idle', i), client = pick(work, 'client', i);
    const f = (x) => fmt(x * scale);
    rows.push([`${what} (${res.steps[work]} steps), ${unit}`, f(b), f(off), f(idle), f(client), f(idle - b), f(client - b), pct(idle - b, b), pct(client - b, b)]);
  }
  return markdownTable(['per step', 'bare loop', 'steering off', 'on, no client', 'on, client at 10 Hz',
    'idle − bare', 'client − bare', 'idle − bare, % of a step', 'client − bare, % of a step'], rows);
}
console.log(`Per step, 2 ranks on shared memory, median of ${res.rounds} interleaved rounds of the slowest rank's figure. ` +
  '"bare loop" is a plain `for` loop calling the step (for "+ CFL dt": and `world.allreduce(dt, Op.MIN)`, what a CFL step costs without simdeck\'s loop); ' +
  '"steering off" is `Simulation` with `steer: false` (and `sim.timestep(...)` for the CFL row); "on" is steered by the real steering server ' +
  '(its worker thread on rank 0) with no client, or with a WebSocket client in a process of its own that received ' +
  `${fmt(median(res.clientHz))} status frames per second. Each variant runs about ${fmt(res.seconds)} s per round (the step counts are chosen for that). ` +
  'The heat2d step is `u.exchange()` + `heat_step` (native-examples/heat2d/heat.c through koffi) + swap.');
console.log('\nWall time per step:\n');
console.log(table(0));
console.log('\nCPU time per step (user + system of each rank\'s process, all its threads: on rank 0 that includes the server\'s thread):\n');
console.log(table(1));
const idleNs = (pick('empty', 'idle', 0) - pick('empty', 'bare', 0)) * 1e9;
const heatPct = (100 * (pick('heat', 'client', 0) - pick('heat', 'bare', 0))) / pick('heat', 'bare', 0);
const heatWorkPct = (100 * pick('heat', 'client', 2)) / pick('heat', 'client', 0);
console.log('');
console.log(markdownTable(['target', 'measured', 'met'], [
  ['idle steering ≤ 1 µs per step over the bare loop (empty step)', `${fmt(idleNs)} ns`, idleNs <= 1000 ? 'yes' : 'no'],
  [`client at 10 Hz ≤ 1 % of a heat2d ${res.n}² step (wall, client − bare)`, `${fmt(heatPct)} %`, heatPct <= 1 ? 'yes' : 'no'],
  [`the same, rank 0's steering work (its \`steer\` timer, below)`, `${fmt(heatWorkPct)} %`, heatWorkPct <= 1 ? 'yes' : 'no'],
]));
const spread = (work, v) => { const xs = res.results[work][v].map((x) => x[0] * 1e6); return `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))} µs`; };
console.log(`\nA wall-time difference is resolved only if it exceeds the spread between rounds: the bare heat2d step took ${spread('heat', 'bare')} ` +
  `per round in this run, with a client ${spread('heat', 'client')}.`);

// rank 0's own steering work per step (its `steer` timer): measured inside the run on the rank
// that does it, apart from any waiting, so other processes' load shifts it little
const workRows = [];
for (const [work, [what, unit, scale]] of Object.entries(WORKS)) {
  const f = (v) => `${fmt(pick(work, v, 2) * scale)} ${unit} (${fmt((100 * pick(work, v, 2)) / pick(work, v, 0))} %)`;
  workRows.push([what, f('idle'), f('client')]);
}
console.log('\nRank 0\'s own steering work per step (the loop\'s `steer` timer: polling the link, filling the control message, building and handing over statuses; ' +
  'waiting for the other rank is not in it), and in % of the wall time per step:\n');
console.log(markdownTable(['per step', 'on, no client', 'on, client at 10 Hz'], workRows));

// What a watching client costs the job in CPU, from the empty step (no messages, so no waiting
// inflates CPU time): the extra CPU seconds per second of run, mostly the server thread's
const extraCpu = (pick('empty', 'client', 1) - pick('empty', 'idle', 1)) / pick('empty', 'client', 0);
console.log(`\nWith a client watching, the job used ${fmt(100 * extraCpu)} % of a core more than with steering on and no client ` +
  '(empty step, CPU time of the slowest rank\'s process over wall time: building the status on rank 0\'s main thread, encoding and sending it on the server thread). ' +
  'On a machine with a core per rank that is the most a client can take from a step.');
console.log('');
const q = (xs) => `${fmt(median(xs))} ms (max ${fmt(Math.max(...xs))} ms)`;
console.log(`Latency from a \`set\` sent by a WebSocket client to its application on the last rank, median of ${res.latencyEmpty.length}: ` +
  `empty step ${q(res.latencyEmpty)}; heat2d ${q(res.latencyHeat)}. Agreement points are about 10 ms apart (syncInterval), ` +
  'and a command posted at one is applied at the next step.');
console.log('');
console.log(`CPU while paused by a client for 2 s (CPU seconds per wall second, the process's, all threads): ${res.pausedCpu.map((c, i) => `rank ${i} ${fmt(c)}`).join(', ')}. ` +
  'Rank 0 sleeps in the steering link; the others sleep in the broadcast that brings its next control message.');
const busy = before ? `${fmt(before.busy_cores)} of ${before.cores} cores busy just before` : 'load unknown';
console.log(`\nMachine load: ${busy}; other processes used ${load ? fmt(load.others_cores) : '—'} cores on average during the run (${load ? fmt(load.wall_s) : '—'} s).`);
if (load && load.others_cores > 0.2) console.log('**Warning: the machine was shared during this run; the absolute figures are skewed: compare within the run.**');
