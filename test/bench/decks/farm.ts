// The farm benchmark's simdeck side (see farm.bench.mjs): on every rank of the job,
//   noop N       map a function that returns its argument over N items (3 rounds, best kept)
//   sleep N MS   map a task that sleeps MS ms over N items
//   cmd N        map a task that runs /bin/true over N items
// Rank 0 prints one JSON line: {kind, tasks, seconds, tasks_per_s}.
import { world } from 'simdeck';
import { Pool, run } from 'simdeck/farm';

const [kind, countArg, msArg = '10'] = process.argv.slice(2);
const n = Number(countArg);
const ms = Number(msArg);
const nap = new Int32Array(new SharedArrayBuffer(4));

function noop(x: number) { return x; }
function sleeper(t: number) { Atomics.wait(nap, 0, 0, t); return t; }
function truth() { return run('/bin/true').code; }

const pool = new Pool(world);
pool.map(noop, Array.from({ length: 100 }, (_, i) => i), { progress: false }); // warm-up, as for the peers
let best = Infinity;
const rounds = kind === 'noop' ? 3 : 1;
for (let round = 0; round < rounds; round++) {
  const t = performance.now();
  if (kind === 'noop') pool.map(noop, Array.from({ length: n }, (_, i) => i), { progress: false });
  else if (kind === 'sleep') pool.map(sleeper, new Array<number>(n).fill(ms), { progress: false });
  else if (kind === 'cmd') {
    const codes = pool.map(truth, Array.from({ length: n }, (_, i) => i), { progress: false });
    if (world.rank === 0 && codes!.some((c) => c !== 0)) throw new Error('/bin/true failed');
  } else throw new Error(`unknown kind ${kind}: use noop, sleep or cmd`);
  best = Math.min(best, (performance.now() - t) / 1000);
}
if (world.rank === 0) console.log(JSON.stringify({ kind, tasks: n, seconds: best, tasks_per_s: n / best }));
