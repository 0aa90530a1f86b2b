// A/B of simdeck's MPI transport between two builds (issue 9: the buffering rule, commit 52ad20d,
// against its parent b11ddcd). Not part of `npm run bench`: it needs two checked-out, built trees.
//   node test/bench/ab/mpi-buffering.mjs BEFORE_ROOT AFTER_ROOT [rounds]
// Each round runs, for each MPI, the ping-pong and collectives decks of both trees one after the
// other (order alternating by round); prints a markdown table of the median over rounds of each
// run's median, and after ÷ before.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const [before, after, roundsArg] = process.argv.slice(2);
if (!before || !after) {
  console.error('usage: node test/bench/ab/mpi-buffering.mjs BEFORE_ROOT AFTER_ROOT [rounds]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 5);
const SIZES = ['8', '1024', '65536', '1048576', '4194304'];
const COLLECTIVES = ['barrier', 'bcast_8B', 'allreduce_8B', 'allreduce_1MiB', 'allgather_8B'];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

function runDeck(root, mpi, deck, args) {
  const r = spawnSync(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'run', '--transport', 'mpi', '--mpi', mpi,
    '--output', 'rank0', '-n', '2', join(root, 'test', 'bench', 'decks', deck), ...args], { encoding: 'utf8', cwd: root, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${root} ${deck} on ${mpi} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()).results;
}

/** One row per case: key → { before: [...], after: [...] } of µs figures. */
const cases = new Map();
function record(key, which, us) {
  if (!cases.has(key)) cases.set(key, { before: [], after: [] });
  cases.get(key)[which].push(us);
}
const loads = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? [['before', before], ['after', after]] : [['after', after], ['before', before]];
  for (const mpi of ['openmpi', 'mpich']) {
    for (const [which, root] of order) {
      loads.push(loadavg()[0]);
      for (const r of runDeck(root, mpi, 'pingpong.ts', SIZES)) {
        record(`${mpi} pingpong ${r.path} ${r.bytes ?? r.object}`, which, r.half_rtt_us);
      }
      for (const r of runDeck(root, mpi, 'collectives.ts', COLLECTIVES)) record(`${mpi} ${r.name}`, which, r.us);
    }
  }
  process.stderr.write(`round ${round + 1}/${rounds} done\n`);
}
const fmt = (x) => (x >= 1000 ? x.toExponential(2) : x.toPrecision(3));
console.log(`Rounds: ${rounds}; 1-minute load average during the run: median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)}.\n`);
console.log('| case | before µs | after µs | after ÷ before |\n|---|---|---|---|');
for (const [key, { before: b, after: a }] of cases) {
  console.log(`| ${key} | ${fmt(median(b))} | ${fmt(median(a))} | ${(median(a) / median(b)).toFixed(2)} |`);
}
