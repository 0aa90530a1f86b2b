// Ping-pong and start-up: simdeck on its shared-memory transport next to C + Open MPI, C + MPICH
// and mpi4py, all measured in this one run with the same method (see decks/pingpong.ts).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  buildPeers, fmt, markdownTable, median, PINGPONG_SIZES, runCPingPong, runMpi4pyPingPong, timeMpi4pyStartup, watchOthersLoad,
} from './peers.mjs';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

function simdeckJson(deck, n, args) {
  const r = spawnSync(process.execPath, [cli, 'run', '--output', 'rank0', '-n', String(n), join(import.meta.dirname, 'decks', deck), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`simdeck ${deck} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** The Node floor (peers/floor.mjs): plain Node processes on shared memory, no message layer. */
function nodeFloor(sizes) {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, 'peers', 'floor.mjs'), ...sizes.map(String)], { encoding: 'utf8', timeout: 300000 });
  if (r.status !== 0) { process.stderr.write(`node floor failed: ${r.stderr}\n`); return null; }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function timeSimdeckStartup(n, repeats) {
  const runs = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [cli, 'run', '-n', String(n), join(import.meta.dirname, 'decks', 'empty.ts')]);
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error('empty deck failed');
  }
  return { median_ms: median(runs), runs_ms: runs };
}

buildPeers();
const load = watchOthersLoad();
const sd = simdeckJson('pingpong.ts', 2, PINGPONG_SIZES.map(String));
const ompi = await runCPingPong('openmpi');
const mpich = await runCPingPong('mpich');
const py = await runMpi4pyPingPong();
const floor = nodeFloor(PINGPONG_SIZES);

const at = (res, bytes, path = 'buffer') => res?.results.find((x) => x.path === path && x.bytes === bytes);
const rows = PINGPONG_SIZES.map((bytes) => {
  const s = at(sd, bytes);
  const o = at(ompi, bytes);
  const m = at(mpich, bytes);
  const p = at(py, bytes);
  const f = at(floor, bytes);
  const latency = bytes <= 1024;
  const v = (x) => (x ? (latency ? fmt(x.half_rtt_us) : fmt(x.gbps)) : '—');
  const ratio = (x) => (x ? (latency ? fmt(s.half_rtt_us / x.half_rtt_us) : fmt(s.gbps / x.gbps)) + '×' : '—');
  const label = bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`;
  const floorRatio = f && o ? (latency ? fmt(f.half_rtt_us / o.half_rtt_us) : fmt(f.gbps / o.gbps)) + '×' : '—';
  return [label, latency ? 'µs, half round trip' : 'GB/s', v(s), v(o), v(m), v(p), v(f), ratio(o), ratio(p), floorRatio];
});
const so = sd.results.find((x) => x.path === 'object');
const po = py?.results.find((x) => x.path === 'object' && x.object === 'small');
rows.push(['small object `{step, name, values}`', 'µs, half round trip', fmt(so.half_rtt_us), '—', '—',
  po ? fmt(po.half_rtt_us) : '—', '—', '—', po ? fmt(so.half_rtt_us / po.half_rtt_us) + '×' : '—', '—']);

const sdStart = timeSimdeckStartup(2, 7);
const pyStart = await timeMpi4pyStartup(2, 7);

console.log('Two ranks on two cores; `send` + `recvInto` of a Uint8Array for simdeck, `MPI_Send`/`MPI_Recv` for C,');
console.log('`Send`/`Recv` of a buffer and pickled `send`/`recv` for mpi4py (Open MPI). Latency ratios: lower is');
console.log('better; bandwidth ratios: higher is better. "Node floor" (test/bench/peers/floor.mjs) is plain Node with no');
console.log('message layer: up to 64 KiB a copy into a shared mailbox and a spun-on sequence word, larger sizes one');
console.log('`process_vm_readv` per message (as Open MPI\'s CMA path); the best a Node transport could do here.\n');
console.log(markdownTable(['message', 'unit', 'simdeck shm', 'C + Open MPI', 'C + MPICH', 'mpi4py', 'Node floor', 'simdeck ÷ C+OMPI', 'simdeck ÷ mpi4py', 'floor ÷ C+OMPI'], rows));
console.log('\nStart-up of an empty 2-rank job (median of 7 wall times):\n');
console.log(markdownTable(['command', 'ms', 'ratio'], [
  ['`simdeck run -n 2 empty.ts`', fmt(sdStart.median_ms), pyStart ? fmt(sdStart.median_ms / pyStart.median_ms) + '×' : '—'],
  ["`mpirun -np 2 python3 -c 'from mpi4py import MPI'`", pyStart ? fmt(pyStart.median_ms) : '—', '1×'],
]));
const l = load.stop();
console.log(`\nOther processes used ${fmt(l.others_cores)} cores on average during this benchmark (0 = quiet machine).`);
