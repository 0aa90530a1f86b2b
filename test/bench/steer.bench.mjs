// The steering loop's cost on 2 ranks (shared memory), from test/bench/decks/steer.ts in one job:
// per step, a bare `for` loop against Simulation with steering off and with steering on and no
// client (idle link), on an empty step and on heat2d 512x512; the latency from a command to its
// application on every rank; the CPU each rank uses while the run is paused. Rounds interleave
// the variants; figures are medians over rounds of the slowest rank's time per step.
//   npx tsc -p . && node test/bench/run.mjs steer      (BENCH_ROUNDS to change)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fmt, markdownTable, median, watchOthersLoad } from './peers.mjs';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const deck = join(import.meta.dirname, 'decks', 'steer.ts');

const others = watchOthersLoad();
const r = spawnSync(process.execPath, [cli, 'run', '--output', 'rank0', '-n', '2', deck], { encoding: 'utf8', cwd: root, env: { ...process.env } });
if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
const res = JSON.parse(r.stdout.trim().split('\n').pop());
const load = others.stop();

const ns = (s) => s * 1e9;
// results[key][variant] is a list of [wall, cpu] seconds per step, one per round
const pick = (key, v, i) => median(res.results[key][v].map((x) => x[i]));
const row = (what, key, unit, i) => {
  const b = pick(key, 'bare', i), off = pick(key, 'off', i), idle = pick(key, 'idle', i);
  const conv = unit === 'ns' ? ns : (s) => s * 1e6;
  return [what, fmt(conv(b)), fmt(conv(off)), fmt(conv(idle)), fmt(conv(off - b)), fmt(conv(idle - off)), `${fmt(((idle - off) / off) * 100)} %`];
};
const headers = ['', 'bare `for` loop', 'Simulation, steering off', 'steering on, idle', 'loop: off − bare', 'steering: idle − off', 'idle − off, % of a step'];
console.log(`Per step, 2 ranks on shared memory, median of ${res.rounds} interleaved rounds of the slowest rank's figure. ` +
  `"idle" is steering on with no client, through ${res.linkKind === 'server' ? 'the steering server' : 'an in-process ScriptedLink (the steering server was not installed on this branch)'}. ` +
  'CPU time per step (user + system, the process\'s) is what other processes\' load disturbs least; wall time follows.');
console.log('');
console.log('CPU time per step:');
console.log('');
console.log(markdownTable(headers, [
  row(`empty step (${res.emptySteps} steps), ns`, 'empty', 'ns', 1),
  row(`heat2d ${res.n}² (${res.heatSteps} steps), µs`, 'heat', 'us', 1),
]));
console.log('');
console.log('Wall time per step:');
console.log('');
console.log(markdownTable(headers, [
  row(`empty step (${res.emptySteps} steps), ns`, 'empty', 'ns', 0),
  row(`heat2d ${res.n}² (${res.heatSteps} steps), µs`, 'heat', 'us', 0),
]));
console.log('');
const q = (xs) => `${fmt(median(xs))} ms (max ${fmt(Math.max(...xs))} ms)`;
console.log(`Latency from a command queued on rank 0 to its application on the last rank, median of ${res.latencyEmpty.length}: ` +
  `empty step ${q(res.latencyEmpty)}; heat2d ${q(res.latencyHeat)}. Agreement points are scheduled about 10 ms apart (syncInterval), ` +
  'so a command waits for the next one.');
console.log('');
console.log(`CPU while paused (CPU seconds per wall second, over 2 s): ${res.pausedCpu.map((c, i) => `rank ${i} ${fmt(c)}`).join(', ')}. ` +
  'Rank 0 sleeps in the link; the others wait in a bcast, whose wait mode is the transport\'s (it spins when ranks ≤ cores).');
if (load !== null) console.log(`\nOther processes kept ${fmt(load.others_cores)} of the machine's cores busy during the run (${fmt(load.wall_s)} s): the absolute figures are noisy; compare within the run.`);
