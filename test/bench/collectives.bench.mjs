// Collectives on 2 and 4 ranks: simdeck on shared memory next to C + Open MPI, C + MPICH and
// mpi4py in this one run; simdeck with its collective areas (the default) and with messages only
// (SIMDECK_NATIVE_COLLECTIVES=0); the floor (the collective area called directly,
// decks/collectivesFloor.ts); and the cost of simdeck's collective-mismatch check.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildPeers, fmt, markdownTable, runCCollectives, runMpi4pyCollectives, watchOthersLoad } from './peers.mjs';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const NAMES = ['barrier', 'bcast_8B', 'bcast_1MiB', 'allreduce_8B', 'allreduce_1MiB', 'allgather_8B', 'allgather_1MiB'];
const OBJECTS = ['bcast_obj_small', 'allreduce_obj_8B', 'allgather_obj_8B'];

function simdeck(n, names, env = {}, deck = 'collectives.ts') {
  const r = spawnSync(process.execPath, [cli, 'run', '--output', 'rank0', '-n', String(n), join(import.meta.dirname, 'decks', deck), ...names],
    { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`simdeck collectives failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
const us = (res, name, path) => res?.results.find((x) => x.name === name && (path === undefined || x.path === path))?.us;

buildPeers();
const loadAtStart = loadavg()[0];
const load = watchOthersLoad();
const FLOORED = ['barrier', 'bcast_8B', 'allreduce_8B'];
for (const n of [2, 4]) {
  const sd = simdeck(n, [...NAMES, ...OBJECTS]);
  const msg = simdeck(n, [...NAMES, ...OBJECTS], { SIMDECK_NATIVE_COLLECTIVES: '0' });
  const floor = simdeck(n, [], {}, 'collectivesFloor.ts');
  const ompi = await runCCollectives('openmpi', n);
  const mpich = await runCCollectives('mpich', n);
  const py = await runMpi4pyCollectives(n);
  const rows = [...NAMES, ...OBJECTS].map((name) => {
    const s = us(sd, name);
    const isObj = OBJECTS.includes(name);
    const o = isObj ? undefined : us(ompi, name);
    const m = isObj ? undefined : us(mpich, name);
    const q = us(py, name, isObj ? 'object' : 'buffer');
    const f = FLOORED.includes(name) ? us(floor, name) : undefined;
    return [name, fmt(s), fmt(us(msg, name)), fmt(f), fmt(o), fmt(m), fmt(q), o ? fmt(s / o) + '×' : '—', f && o ? fmt(f / o) + '×' : '—', q ? fmt(s / q) + '×' : '—'];
  });
  console.log(`### ${n} ranks${n > 2 ? ' (more ranks than the 2 cores: every implementation is oversubscribed)' : ''}\n`);
  console.log('µs per call, median of 15 trials (slowest rank). Buffer forms: `bcastInto`, `allreduceInto`, `allgatherInto` on');
  console.log('Float64Arrays for simdeck, `MPI_Bcast`/`MPI_Allreduce`/`MPI_Allgather` for C, `Bcast`/`Allreduce`/`Allgather` for');
  console.log('mpi4py; `_obj_` rows are object forms (`bcast`, `allreduce`, `allgather` of plain values; mpi4py pickles).');
  console.log('*simdeck shm*: the default, small collectives through the communicator\'s collective area; *messages*: the same');
  console.log('calls with `SIMDECK_NATIVE_COLLECTIVES=0`; *floor*: the collective area called directly, without the Comm layer');
  console.log('(the fastest this design does from Node); for bcast_8B, which has no native form, the transport\'s trySend/tryRecv');
  console.log('called directly (the root writes into each rank\'s ring and goes on).\n');
  console.log(markdownTable(['collective', 'simdeck shm', 'messages', 'floor', 'C + Open MPI', 'C + MPICH', 'mpi4py', 'simdeck ÷ C+OMPI', 'floor ÷ C+OMPI', 'simdeck ÷ mpi4py'], rows));
  if (n === 2) {
    const on = simdeck(2, ['allreduce_8B', 'barrier', 'bcast_8B']);
    const off = simdeck(2, ['allreduce_8B', 'barrier', 'bcast_8B'], { SIMDECK_COLLECTIVE_CHECK: '0' });
    console.log('\nCost of the collective-mismatch check (2 ranks, µs per call):\n');
    console.log(markdownTable(['collective', 'check on (default)', 'check off', 'difference'],
      ['allreduce_8B', 'barrier', 'bcast_8B'].map((name) => [name, fmt(us(on, name)), fmt(us(off, name)), fmt(us(on, name) - us(off, name))])));
  }
  console.log('');
}
const l = load.stop();
console.log(`1-minute load average ${loadAtStart.toFixed(2)} when the benchmark started; other processes used ${fmt(l.others_cores)} cores on average during this benchmark (0 = quiet machine).`);
