// node test/bench/peers-selftest.mjs: builds the peers and runs each once, quickly (5 trials of
// ~10 ms), printing the numbers as markdown tables, so one can check the peer side by eye.
// Not a benchmark (no .bench.mjs suffix): the real runs use the defaults (15 trials of ~30 ms).
import { cpus } from 'node:os';
import {
  buildPeers, runCPingPong, runMpi4pyPingPong, runCCollectives, runMpi4pyCollectives,
  timeMpi4pyStartup, timeCStartup, markdownTable, fmt, cpuBusy, watchOthersLoad, PINGPONG_SIZES,
} from './peers.mjs';

const quick = { trials: 5, targetMs: 10, warmupMs: 5 };
const t0 = Date.now();
const avail = buildPeers({ force: true });
console.log(`available: ${JSON.stringify(avail)}  (${cpus().length} cores)`);
const before = await cpuBusy();
console.log(`busy before the runs: ${fmt(before?.busy_cores)} of ${cpus().length} cores` +
  `${before && before.busy_cores > 0.2 ? ' -- WARNING: something else is running, numbers will be skewed' : ''}\n`);
const watch = watchOthersLoad();
let section = watchOthersLoad();
// one line per section: other processes' CPU while it ran (the VM may be shared)
function sectionLoad() {
  const o = section.stop();
  section = watchOthersLoad();
  if (!o) return;
  console.log(`(others during this section: ${fmt(o.others_cores)} cores` +
    `${o.others_cores > 0.1 ? ' -- skewed' : ''})\n`);
}

const size = (b) => (b >= 1 << 20 ? `${b / 2 ** 20} MiB` : b >= 1024 ? `${b / 1024} KiB` : `${b} B`);

// ping-pong: one column per peer/path
const pp = [];
for (const mpi of ['openmpi', 'mpich']) {
  const r = await runCPingPong(mpi, PINGPONG_SIZES, quick);
  if (r) pp.push({ label: `C + ${mpi}`, lib: r.library, results: r.results });
}
const py = await runMpi4pyPingPong(PINGPONG_SIZES, quick);
if (py) {
  pp.push({ label: `mpi4py Send/Recv (${py.buffer_kind})`, lib: py.library,
    results: py.results.filter((x) => x.path === 'buffer') });
  pp.push({ label: 'mpi4py send/recv (pickled bytes)', lib: py.library,
    results: py.results.filter((x) => x.path === 'object' && x.object === 'bytes') });
}
if (pp.length) {
  console.log('### Ping-pong, 2 ranks: half round trip µs (GB/s)\n');
  const rows = PINGPONG_SIZES.map((b) => [size(b), ...pp.map((p) => {
    const e = p.results.find((x) => x.bytes === b);
    return e ? `${fmt(e.half_rtt_us)} (${fmt(e.gbps)})` : '—';
  })]);
  console.log(markdownTable(['size', ...pp.map((p) => p.label)], rows));
  if (py) {
    const s = py.results.find((x) => x.object === 'small');
    console.log(`\nmpi4py pickled small object ${JSON.stringify({ step: 1, name: 'u', values: [1, 2, 3] })}` +
      ` (${s.bytes} B pickled): ${fmt(s.half_rtt_us)} µs half round trip`);
  }
  for (const p of pp) console.log(`- ${p.label}: ${p.lib}`);
  console.log();
  sectionLoad();
}

// collectives: one column per peer, 2 and 4 ranks
for (const n of [2, 4]) {
  const cols = [];
  for (const mpi of ['openmpi', 'mpich']) {
    const r = await runCCollectives(mpi, n, quick);
    if (r) cols.push({ label: `C + ${mpi}`, r });
  }
  const pr = await runMpi4pyCollectives(n, quick);
  if (pr) cols.push({ label: 'mpi4py', r: pr });
  if (!cols.length) continue;
  const names = [...new Set(cols.flatMap((c) => c.r.results.map((x) => x.name)))];
  console.log(`### Collectives, ${n} ranks${n > cpus().length ? ' (oversubscribed)' : ''}: µs per call\n`);
  console.log(markdownTable(['collective', ...cols.map((c) => c.label)],
    names.map((nm) => [nm, ...cols.map((c) => c.r.results.find((x) => x.name === nm)?.us ?? null)])));
  console.log();
  sectionLoad();
}

// start-up
const st = [];
for (const mpi of ['openmpi', 'mpich']) {
  const r = await timeCStartup(mpi, 2, 3);
  if (r) st.push([`C + ${mpi} (MPI_Init/Finalize)`, r.median_ms, r.min_ms]);
}
const ps = await timeMpi4pyStartup(2, 3);
if (ps) st.push(["mpi4py (`from mpi4py import MPI`)", ps.median_ms, ps.min_ms]);
if (st.length) {
  console.log('### Job start-up, 2 ranks: wall ms (median of 3)\n');
  console.log(markdownTable(['job', 'median ms', 'min ms'], st));
  console.log();
  sectionLoad();
}
const others = watch.stop();
console.log(`other processes during the runs: ${fmt(others?.others_cpu_s)} CPU-s over ${fmt(others?.wall_s)} s` +
  ` (${fmt(others?.others_cores)} cores)${others && others.others_cores > 0.1 ? ' -- WARNING: numbers are skewed' : ''}`);
console.log(`selftest took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
