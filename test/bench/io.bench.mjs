// simdeck/io: heat2d 2048x2048 on 2 workers, a dump every 10 steps. The time the workers spend
// per dump when a helper rank writes (2 workers + 1 helper: write() packs the block and sends
// it) against workers that gather and write the same HDF5 themselves (2 ranks, rank 0 gathers
// and writes through h5wasm); and the helper's HDF5 write throughput (h5wasm, fsync, rename)
// against h5py writing the same array (also synced and renamed). Rounds interleave the
// variants; figures are medians over rounds.
//   npx tsc -p . && node test/bench/run.mjs io      (BENCH_ROUNDS, BENCH_N, BENCH_STEPS to change)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, markdownTable, median } from './peers.mjs';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const deck = join(root, 'native-examples', 'heat2d', 'dumps.ts');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const N = Number(process.env.BENCH_N ?? 2048);
const STEPS = Number(process.env.BENCH_STEPS ?? 50);
const EVERY = 10;
const log = (...a) => console.error(...a);
const tmp = mkdtempSync(join(tmpdir(), 'simdeck-iobench-'));

function run(helpers, every) {
  const dir = join(tmp, `h${helpers}-${every}`);
  rmSync(dir, { recursive: true, force: true });
  const n = 2 + helpers;
  const r = spawnSync(process.execPath, [cli, 'run', '--output', 'rank0', '-n', String(n), deck, `dir=${dir}`, `size=${N}`, `steps=${STEPS}`,
    `every=${every}`, 'checkpoint=100000000', 'series=0', `helpers=${helpers}`], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`heat2d dumps failed: ${r.stderr}`);
  const loop = Number(/: \d+ steps in ([\d.]+) ms/.exec(r.stdout)[1]);
  const rep = /at ([\d.]+) MB\/s.*workers spent ([\d.]+) ms per dump, waited ([\d.]+) ms/.exec(r.stdout);
  rmSync(dir, { recursive: true, force: true });
  return { loop, writeMBps: Number(rep[1]), perDump: Number(rep[2]), waited: Number(rep[3]) };
}

const H5PY = `
import sys, os, time, numpy as np, h5py
n = int(sys.argv[1]); d = sys.argv[2]
a = np.arange(n * n, dtype=np.float64).reshape(n, n)
rates = []
for k in range(4):
    final = os.path.join(d, 'f%d.h5' % k); part = os.path.join(d, '.f%d.h5.partial' % k)
    t = time.perf_counter()
    with h5py.File(part, 'w') as f:
        f.create_dataset('u', data=a)
    fd = os.open(part, os.O_RDWR); os.fsync(fd); os.close(fd); os.rename(part, final)
    rates.append(a.nbytes / 1e6 / (time.perf_counter() - t))
    os.remove(final)
print(sorted(rates)[len(rates) // 2])
`;

function h5py() {
  const r = spawnSync('/usr/bin/python3', ['-c', H5PY, String(N), tmp], { encoding: 'utf8' });
  if (r.status !== 0) { log(`h5py peer failed: ${r.stderr}`); return null; }
  return Number(r.stdout.trim());
}

const runs = { helper: [], direct: [], helperBase: [], directBase: [], h5py: [] };
for (let round = 0; round < ROUNDS; round++) {
  log(`io ${N}x${N} round ${round + 1}/${ROUNDS}`);
  runs.helper.push(run(1, EVERY));
  runs.direct.push(run(0, EVERY));
  runs.helperBase.push(run(1, 1e9));
  runs.directBase.push(run(0, 1e9));
  const p = h5py();
  if (p !== null) runs.h5py.push(p);
}
rmSync(tmp, { recursive: true, force: true });

const dumps = Math.floor(STEPS / EVERY);
const med = (k, f) => median(runs[k].map(f));
const helperCall = med('helper', (r) => r.perDump), directCall = med('direct', (r) => r.perDump);
const helperWall = (med('helper', (r) => r.loop) - med('helperBase', (r) => r.loop)) / dumps;
const directWall = (med('direct', (r) => r.loop) - med('directBase', (r) => r.loop)) / dumps;
const mb = (N * N * 8) / 1e6;
console.log(`heat2d ${N}×${N} (${mb.toFixed(1)} MB per dump), ${STEPS} steps, a dump every ${EVERY} steps (${dumps} dumps); ${ROUNDS} rounds, medians.\n`);
console.log(markdownTable(['ms per dump, on the workers', '2 workers + 1 helper', '2 workers writing themselves', 'helper ÷ themselves'], [
  ['inside `write()` (slowest worker)', fmt(helperCall), fmt(directCall), `${((helperCall / directCall) * 100).toFixed(1)} %`],
  ['loop time added per dump (wall)', fmt(helperWall), fmt(directWall), `${((helperWall / directWall) * 100).toFixed(1)} %`],
  ['waited for buffer space, whole run', fmt(med('helper', (r) => r.waited)), '—', ''],
]));
console.log('');
const helperRate = med('helper', (r) => r.writeMBps);
const peer = runs.h5py.length ? median(runs.h5py) : null;
console.log(markdownTable(['HDF5 write of one 2048² float64 field (synced, renamed)', 'MB/s'], [
  ['simdeck helper (h5wasm)', fmt(helperRate)],
  ['h5py (libhdf5, Debian)', peer === null ? '—' : fmt(peer)],
  ['simdeck ÷ h5py', peer === null ? '—' : (helperRate / peer).toFixed(2)],
]));
console.log(`\nThe target is "inside write()" with a helper ≤ 10 % of writing themselves. "Loop time added" also counts` +
  ' what the helper takes from the workers on this 2-core machine (3 processes on 2 cores) and is noisy.' +
  ' This session shared the machine with 7 other engineers\' builds and tests: absolute figures are noisy, the ratios within one run are what count.' +
  ' With few dumps, the time inside `write()` is mostly page faults on the workers\' fresh block buffers (16 MiB each; on this VM first-touching 16 MiB took 250-290 ms in a plain `node` at load 20), which later dumps avoid by reusing the buffers.');
