// simdeck/io: heat2d 2048x2048 on 2 workers, a dump every 10 steps. The time the workers spend
// per dump when a helper rank writes (2 workers + 1 helper: write() packs the block and sends
// it) against workers that gather and write the same HDF5 themselves (2 ranks, rank 0 gathers
// and writes through h5wasm); both decks call output.prepare({ u }) before the loop (its time is
// shown), and a third variant leaves the buffers to the first writes (no prepare). Then the
// HDF5 write of one field, step by step, in a fresh process: h5wasm as simdeck drives it
// (io-hdf5-steps.mjs) against h5py writing the same array (peers/io_hdf5_steps.py), both
// synced and renamed. Rounds interleave the variants; figures are medians over rounds.
//   npx tsc -p . && node test/bench/run.mjs io      (BENCH_ROUNDS, BENCH_N, BENCH_STEPS to change)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { PEERS_DIR, fmt, markdownTable, median } from './peers.mjs';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const deck = join(root, 'native-examples', 'heat2d', 'dumps.ts');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const N = Number(process.env.BENCH_N ?? 2048);
const STEPS = Number(process.env.BENCH_STEPS ?? 50);
const EVERY = 10;
const log = (...a) => console.error(...a);
const tmp = mkdtempSync(join(tmpdir(), 'simdeck-iobench-'));

function run(helpers, every, prepare = 1) {
  const dir = join(tmp, `h${helpers}-${every}-${prepare}`);
  rmSync(dir, { recursive: true, force: true });
  const n = 2 + helpers;
  const r = spawnSync(process.execPath, [cli, 'run', '--output', 'rank0', '-n', String(n), deck, `dir=${dir}`, `size=${N}`, `steps=${STEPS}`,
    `every=${every}`, 'checkpoint=100000000', 'series=0', `helpers=${helpers}`, `prepare=${prepare}`], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`heat2d dumps failed: ${r.stderr}`);
  const [, loop, prepared, cpu] = /: \d+ steps in ([\d.]+) ms \(output prepared in ([\d.]+) ms, ([\d.]+) ms CPU per dump\)/.exec(r.stdout).map(Number);
  const rep = /at ([\d.]+) MB\/s.*workers spent ([\d.]+) ms per dump, waited ([\d.]+) ms/.exec(r.stdout);
  rmSync(dir, { recursive: true, force: true });
  return { loop, prepared, cpu, writeMBps: Number(rep[1]), perDump: Number(rep[2]), waited: Number(rep[3]) };
}

/** The HDF5 write of one field step by step: simdeck's h5wasm path and h5py's, each in a fresh process. */
function steps() {
  const dir = join(tmp, 'steps');
  mkdirSync(dir, { recursive: true });
  const ours = spawnSync(process.execPath, [join(import.meta.dirname, 'io-hdf5-steps.mjs'), String(N), dir], { encoding: 'utf8', cwd: root });
  if (ours.status !== 0) throw new Error(`io-hdf5-steps failed: ${ours.stderr}`);
  const peer = spawnSync('/usr/bin/python3', [join(PEERS_DIR, 'io_hdf5_steps.py'), String(N), dir], { encoding: 'utf8' });
  if (peer.status !== 0) log(`h5py peer failed: ${peer.stderr}`);
  return { ours: JSON.parse(ours.stdout), h5py: peer.status === 0 ? JSON.parse(peer.stdout) : null };
}

const runs = { helper: [], direct: [], lazy: [], helperBase: [], directBase: [], steps: [] };
const load = [];
for (let round = 0; round < ROUNDS; round++) {
  log(`io ${N}x${N} round ${round + 1}/${ROUNDS}`);
  load.push(loadavg()[0]);
  runs.helper.push(run(1, EVERY));
  runs.direct.push(run(0, EVERY));
  runs.lazy.push(run(1, EVERY, 0));
  runs.helperBase.push(run(1, 1e9));
  runs.directBase.push(run(0, 1e9));
  runs.steps.push(steps());
}
load.push(loadavg()[0]);
rmSync(tmp, { recursive: true, force: true });

const dumps = Math.floor(STEPS / EVERY);
const med = (k, f) => median(runs[k].map(f));
const pct = (a, b) => `${((a / b) * 100).toFixed(1)} %`;
const helperCall = med('helper', (r) => r.perDump), directCall = med('direct', (r) => r.perDump), lazyCall = med('lazy', (r) => r.perDump);
const ratios = runs.helper.map((r, i) => r.perDump / runs.direct[i].perDump);
const helperWall = (med('helper', (r) => r.loop) - med('helperBase', (r) => r.loop)) / dumps;
const directWall = (med('direct', (r) => r.loop) - med('directBase', (r) => r.loop)) / dumps;
const lazyWall = (med('lazy', (r) => r.loop) - med('helperBase', (r) => r.loop)) / dumps;
const mb = (N * N * 8) / 1e6;
console.log(`heat2d ${N}×${N} (${mb.toFixed(1)} MB per dump), ${STEPS} steps, a dump every ${EVERY} steps (${dumps} dumps); ${ROUNDS} rounds, medians.` +
  ` Load average (1 min) on the 2 cores while it ran: ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)}.\n`);
console.log(markdownTable(['ms per dump, on the workers', '2 workers + 1 helper', '2 workers writing themselves', 'helper ÷ themselves', '1 helper, no prepare()', 'no prepare ÷ themselves'], [
  ['inside `write()` (slowest worker)', fmt(helperCall), fmt(directCall), `${pct(helperCall, directCall)} (per round: ${ratios.map((x) => `${(x * 100).toFixed(1)}`).join(', ')} %)`, fmt(lazyCall), pct(lazyCall, directCall)],
  ['… of it on a CPU (the process\'s CPU time; no fsync or gather waits, no waits for a core)', fmt(med('helper', (r) => r.cpu)), fmt(med('direct', (r) => r.cpu)), pct(med('helper', (r) => r.cpu), med('direct', (r) => r.cpu)), fmt(med('lazy', (r) => r.cpu)), pct(med('lazy', (r) => r.cpu), med('direct', (r) => r.cpu))],
  ['loop time added per dump (wall)', fmt(helperWall), fmt(directWall), pct(helperWall, directWall), fmt(lazyWall), pct(lazyWall, directWall)],
  ['`prepare()` before the loop, once', fmt(med('helper', (r) => r.prepared)), fmt(med('direct', (r) => r.prepared)), '', '—', ''],
  ['waited for buffer space, whole run', fmt(med('helper', (r) => r.waited)), '—', '', fmt(med('lazy', (r) => r.waited)), ''],
]));
console.log('');
const st = (k) => median(runs.steps.map((s) => s.ours[k]));
const peerRuns = runs.steps.filter((s) => s.h5py !== null);
const py = (k) => (peerRuns.length ? median(peerRuns.map((s) => s.h5py[k])) : null);
const rate = (ms) => (ms === null ? '—' : fmt(mb / (ms / 1000)));
console.log(markdownTable([`HDF5 write of one ${N}² float64 field, ms (fresh process, medians of 5 files per round)`, 'simdeck (h5wasm)', 'h5py (libhdf5, Debian)'], [
  ['first file, cold heap (before reserveHeap)', fmt(st('cold')), '—'],
  ['reserveHeap: grow and fault in h5wasm\'s heap, once', fmt(st('heap')), '—'],
  ['open the partial file', fmt(st('open')), fmt(py('open'))],
  ['create_dataset (h5wasm: copy into its heap, then one pwrite)', fmt(st('create')), fmt(py('create'))],
  ['… of which the copy into the heap', fmt(st('copy')), '—'],
  ['close (metadata)', fmt(st('close')), fmt(py('close'))],
  ['fsync, rename, fsync of the directory', fmt(st('sync')), fmt(py('sync'))],
  ['whole file, open to sync, warm', fmt(st('total')), fmt(py('total'))],
  ['MB/s, warm', rate(st('total')), rate(py('total'))],
  ['simdeck\'s writeContent (with attributes), warm, MB/s', rate(st('whole')), '—'],
  ['floor: Node writeSync + fsync of the bytes, MB/s', rate(st('raw')), '—'],
]));
const pyTotal = py('total');
console.log(`\nsimdeck ÷ h5py, warm: ${pyTotal === null ? '—' : (pyTotal / st('total')).toFixed(2)} of h5py's MB/s; the helper in the heat2d runs above wrote at ${fmt(med('helper', (r) => r.writeMBps))} MB/s (sharing the 2 cores with both workers).`);
console.log(`\nThe target is "inside write()" with a helper ≤ 10 % of writing themselves. Where the time went (profiled): with fresh buffers it was mostly first-touch page faults (~20 µs per 4 KiB page on this Firecracker VM, 16 MiB ≈ 300 ms). Buffers of 4 MiB and more are made with huge pages advised (src/io/memory.ts), faulted in once and reused; \`prepare()\` makes them before the loop; a helper receives whole-row blocks in place. Per-phase CPU timers then showed that packing the block takes 3-4 ms of CPU for 16 MiB, and that the rest of the CPU row was write() faulting in a new 16 MiB send buffer (about 85 ms of CPU) whenever the helper had not yet pulled the previous dump's — the helper lagged while it faulted in a fresh 32 MiB array for each dump past the two prepared. Now each worker has two send buffers per field and waits (back-pressure) rather than make a third; the helper's thread gives a dump's arrays back as soon as HDF5 has the data, and the helper makes the next dump's arrays ahead, between dumps. What is left inside \`write()\` is the pack and, on a loaded machine, waiting for a core meanwhile (3 processes on 2 cores). The helper was the one taking that core: per-thread CPU clocks around its writer's phases showed HDF5's write of a kept 33.6 MB file costing 90-155 ms of CPU per dump in these runs (18-28 ms in the fresh-process table below, whose files are deleted at once): every dump's pwrite took page-cache pages fresh to the guest, each a fault in the host. A helper now drops each dump's pages once the file is synced (posix_fadvise DONTNEED) and its prepare() readies a dump's worth, so the next dump reuses them: 13-30 ms of CPU for most dumps of traced runs at load 7-9 (other engineers' jobs), up to 100 ms and more when other processes took the freed pages first. It also pulls a dump's blocks only once every worker has sent its header (after packing), not while the other worker still packs. The HDF5 gap to h5py was h5wasm's heap: the first files grew it and faulted in fresh pages (the cold row); warm, h5wasm copies the field into its heap and HDF5 writes it with one pwrite, as h5py does. "Loop time added" also counts what the helper takes from the workers on this 2-core machine and is noisy. On a shared machine absolute figures are noisy (the load line above says how busy it was): the ratios within one run are what count.`);
