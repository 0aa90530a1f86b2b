// Start-up: an empty job at 1, 2, 4 and 8 ranks, simdeck on shared memory and on Open MPI, next
// to mpi4py at the same counts (`mpirun -np N python3 -c 'from mpi4py import MPI'`, and an mpi4py
// hello that prints rank and size). Wall time of the whole command, median of REPEATS runs taken
// round-robin (every command once, then again), so a slow phase of the machine falls on all of
// them. The bundle cache is warm (an untimed run first), as for any deck run twice. Then the
// file-system calls per rank (scripts/startup-strace.mjs) when strace is installed.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fmt, markdownTable, median, mpiLaunch, PYTHON, watchOthersLoad } from './peers.mjs';
import { traceJob, worstNonReader } from '../../scripts/startup-strace.mjs';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const empty = join(import.meta.dirname, 'decks', 'empty.ts');
const COUNTS = [1, 2, 4, 8];
const REPEATS = Number(process.env.STARTUP_REPEATS ?? 7);
const HELLO = 'from mpi4py import MPI; c = MPI.COMM_WORLD; print(c.rank, c.size)';

const has = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const mpi4py = has(PYTHON, ['-c', 'import mpi4py']);
const openmpi = has('mpirun', ['--version']);

function commands(n) {
  const out = [
    { key: 'shm', label: `\`simdeck run -n ${n} empty.ts\``, cmd: process.execPath, args: [cli, 'run', '-n', String(n), empty] },
  ];
  if (openmpi) out.push({ key: 'ompi', label: `\`simdeck run --mpi openmpi -n ${n} empty.ts\``, cmd: process.execPath, args: [cli, 'run', '--mpi', 'openmpi', '-n', String(n), empty] });
  if (mpi4py) {
    const { cmd, args } = mpiLaunch('openmpi', n);
    out.push({ key: 'py', label: `\`mpirun -np ${n} python3 -c 'from mpi4py import MPI'\``, cmd, args: [...args, PYTHON, '-c', 'from mpi4py import MPI'] });
    out.push({ key: 'pyhello', label: `mpi4py hello, ${n} ranks`, cmd, args: [...args, PYTHON, '-c', HELLO] });
  }
  return out;
}

function time(c) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c.cmd, c.args, { encoding: 'utf8', timeout: 120_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.cmd} ${c.args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

const load = watchOthersLoad();
const results = [];
for (const n of COUNTS) {
  const cs = commands(n);
  for (const c of cs) time(c); // warm: bundle cache, page cache, MPI's plugins
  const runs = cs.map(() => []);
  for (let i = 0; i < REPEATS; i++) cs.forEach((c, k) => runs[k].push(time(c)));
  results.push({ n, rows: cs.map((c, k) => ({ ...c, ms: median(runs[k]) })) });
}
const others = load.stop();

console.log(`Start-up of an empty job, wall time of the whole command (median of ${REPEATS}, round-robin; bundle cache warm). ` +
  'Ratios are simdeck ÷ `from mpi4py import MPI` at the same rank count.\n');
const rows = [];
for (const { n, rows: rs } of results) {
  const py = rs.find((r) => r.key === 'py')?.ms ?? NaN;
  for (const r of rs) rows.push([String(n), r.label, fmt(r.ms), Number.isFinite(py) ? `${fmt(r.ms / py)}×` : '—']);
}
console.log(markdownTable(['ranks', 'command', 'ms', 'ratio to mpi4py'], rows));
const two = results.find((x) => x.n === 2)?.rows ?? [];
const ratio2 = (two.find((r) => r.key === 'shm')?.ms ?? NaN) / (two.find((r) => r.key === 'py')?.ms ?? NaN);
console.log(`\nEmpty 2-rank job on shared memory: ${fmt(ratio2)}× mpi4py's start-up (target ≤ 0.6×).`);
console.log(`\nOther processes used ${fmt(others.others_cores)} cores on average during this benchmark (0 = quiet machine).`);

if (has('strace', ['-V'])) {
  console.log('\nFile-system calls on the project\'s and the user\'s files per rank (strace, `node scripts/startup-strace.mjs`; ' +
    'hello deck: every rank joins the world; the reader is the launcher on shared memory, world rank 0 under MPI):\n');
  const hello = join(import.meta.dirname, 'decks', 'hello.ts');
  const trows = [];
  for (const transport of openmpi ? ['shm', 'mpi'] : ['shm']) {
    for (const n of [4, 8]) {
      const job = traceJob({ transport, ranks: n, deck: hello });
      const reader = job.ranks.find((r) => r.rank === job.readerRank);
      trows.push([transport === 'shm' ? 'shared memory' : 'Open MPI', String(n), String(worstNonReader(job)),
        reader ? String(reader.path) : `launcher: ${job.launcher?.path ?? '—'}`,
        String(Math.max(...job.ranks.map((r) => r.all)))]);
    }
  }
  console.log(markdownTable(['transport', 'ranks', 'calls on project/user files, worst non-reader rank', 'reader', 'all file/descriptor calls of a rank (system files included)'], trows));
}
