// Task farm throughput: simdeck's Pool on 2 ranks (rank 0 schedules and works) next to
// mpi4py.futures (MPIPoolExecutor, 2 workers + its master), Dask distributed (LocalCluster,
// 2 single-threaded worker processes) and ipyparallel (2 engines), all in this one run:
//  - no-op tasks: tasks per second (start-up not timed; each side warms up with a small map);
//  - 10 ms tasks (a sleep): efficiency = (tasks x 10 ms / 2 workers) / wall time;
//  - external commands: 2,000 runs of /bin/true against GNU `parallel -j2`.
// Sizes can be lowered for a quick look: FARM_BENCH_NOOP, FARM_BENCH_PEER_NOOP, FARM_BENCH_SLEEP, FARM_BENCH_CMD.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildPeers, fmt, markdownTable, mpiLaunch, PYTHON, watchOthersLoad } from './peers.mjs';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const deck = join(import.meta.dirname, 'decks', 'farm.ts');
const peerScript = join(import.meta.dirname, 'peers', 'farm_peers.py');
const NOOP = Number(process.env.FARM_BENCH_NOOP ?? 200_000);
const PEER_NOOP = Number(process.env.FARM_BENCH_PEER_NOOP ?? 2_000);
const SLEEP = Number(process.env.FARM_BENCH_SLEEP ?? 200);
const CMD = Number(process.env.FARM_BENCH_CMD ?? 2_000);
const MS = 10;

function lastJson(r, what) {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop());
}

function simdeck(kind, n, ...rest) {
  const r = spawnSync(process.execPath, [cli, 'run', '--output', 'rank0', '-n', '2', deck, kind, String(n), ...rest], { encoding: 'utf8', timeout: 1_800_000 });
  return lastJson(r, `simdeck farm ${kind}`);
}

function python(peer, kind, n) {
  const args = [peerScript, peer, kind, String(n), String(MS)];
  let r;
  if (peer === 'mpi4py') {
    const { cmd, args: la } = mpiLaunch('openmpi', 3);
    r = spawnSync(cmd, [...la, PYTHON, '-m', 'mpi4py.futures', ...args], { encoding: 'utf8', timeout: 1_800_000 });
  } else {
    r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 1_800_000 });
  }
  if (r.error || r.status !== 0) {
    process.stderr.write(`farm bench: ${peer} ${kind} failed: ${r.error?.message ?? r.stderr.split('\n').slice(-3).join(' ')}\n`);
    return null;
  }
  return lastJson(r, `${peer} ${kind}`);
}

function gnuParallel(n) {
  const t = performance.now();
  const r = spawnSync('sh', ['-c', `seq ${n} | parallel -j2 /bin/true`], { encoding: 'utf8', timeout: 1_800_000 });
  if (r.error || r.status !== 0) { process.stderr.write(`farm bench: GNU parallel failed or is missing (apt-get install parallel)\n`); return null; }
  const seconds = (performance.now() - t) / 1000;
  return { seconds, tasks_per_s: n / seconds };
}

const avail = buildPeers();
const load = watchOthersLoad();
const peers = ['mpi4py', 'dask', 'ipyparallel'];
const sdNoop = simdeck('noop', NOOP);
const sdSleep = simdeck('sleep', SLEEP, String(MS));
const noop = {}, sleep = {};
for (const p of peers) {
  if (p === 'mpi4py' && !avail.mpi4py) { noop[p] = sleep[p] = null; continue; }
  noop[p] = python(p, 'noop', PEER_NOOP);
  sleep[p] = python(p, 'sleep', SLEEP);
}
const sdCmd = simdeck('cmd', CMD);
const gp = gnuParallel(CMD);
const l = load.stop();

const efficiency = (r) => (r ? (r.tasks * MS / 1000 / 2) / r.seconds : null);
const names = { mpi4py: 'mpi4py.futures MPIPoolExecutor', dask: 'Dask distributed LocalCluster', ipyparallel: 'ipyparallel load-balanced view' };
const rows = [['simdeck Pool (2 ranks)', fmt(sdNoop.tasks_per_s), '1×', `${fmt(100 * efficiency(sdSleep))} %`]];
for (const p of peers) {
  const n = noop[p], s = sleep[p];
  rows.push([names[p], n ? fmt(n.tasks_per_s) : '—', n ? `${fmt(sdNoop.tasks_per_s / n.tasks_per_s)}×` : '—', s ? `${fmt(100 * efficiency(s))} %` : '—']);
}
console.log(`Two workers each: simdeck's 2 ranks (rank 0 schedules and works), mpi4py.futures' 2 workers (plus its`);
console.log(`master), Dask's and ipyparallel's 2 worker processes. No-op: simdeck maps ${NOOP} tasks (best of 3), the`);
console.log(`peers ${PEER_NOOP}; start-up is not timed. Efficiency: ${SLEEP} tasks of ${MS} ms, ideal time / wall time.\n`);
console.log(markdownTable(['farm', 'no-op tasks/s', 'simdeck ÷ this', `${MS} ms tasks: efficiency`], rows));
console.log(`\nExternal commands: ${CMD} runs of \`/bin/true\`, 2 at a time:\n`);
console.log(markdownTable(['runner', 'commands/s', 'seconds', 'ratio'], [
  ['simdeck `pool.map(() => run(\'/bin/true\'))`, 2 ranks', fmt(sdCmd.tasks_per_s), fmt(sdCmd.seconds), gp ? `${fmt(sdCmd.tasks_per_s / gp.tasks_per_s)}×` : '—'],
  ['GNU `parallel -j2 /bin/true`', gp ? fmt(gp.tasks_per_s) : '—', gp ? fmt(gp.seconds) : '—', '1×'],
]));
console.log(`\nOther processes used ${fmt(l.others_cores)} cores on average during this benchmark (0 = quiet machine).`);
console.log('On a busy machine every process start and every 10 ms sleep takes longer for all sides alike: compare the');
console.log('ratios within this run, not the absolute figures across runs.');
