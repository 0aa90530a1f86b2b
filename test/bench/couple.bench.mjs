// simdeck/couple: the per-step exchange of a 1000×1000 float64 field through a coupling
// interface against a plain Redistribution of the same field between the same two ranks (one
// rank per component), measured rep by rep in one job (interleaved); and the set-up time of
// routes + weights for interfaces of a million points. Rounds are separate jobs; figures are
// medians over rounds of per-round medians.
//   npx tsc -p . && node test/bench/run.mjs couple      (BENCH_ROUNDS, BENCH_N, BENCH_REPS to change)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { fmt, markdownTable, median } from './peers.mjs';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const deck = join(root, 'test', 'bench', 'decks', 'couple.ts');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const N = Number(process.env.BENCH_N ?? 1000);
// 100 reps per round (the whole bench 7-19 s at load 3-4): with 20, the split's ratio moved between
// 1.50× and 2.01× from one run to the next (load 2.9-4.2); with 100, three runs in which a
// redistribution took 1.04-1.27 ms gave 1.60 / 1.60 / 1.62× (200: 1.58 / 1.65×)
const REPS = Number(process.env.BENCH_REPS ?? 100);
const log = (...a) => console.error(...a);

const runs = [];
const load = [];
for (let round = 0; round < ROUNDS; round++) {
  log(`couple ${N}x${N} round ${round + 1}/${ROUNDS}`);
  load.push(loadavg()[0]);
  const r = spawnSync(process.execPath, [cli, 'run', '--output', 'raw', '-n', '2', deck, String(N), String(REPS)], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`couple bench deck failed: ${r.stderr}`);
  runs.push(JSON.parse(r.stdout.trim().split('\n').pop()));
}
const med = (f) => median(runs.map(f));
const base = med((r) => r.medians.redistribute);
const row = (label, key) => {
  const v = med((r) => r.medians[key]);
  return [label, fmt(v), fmt(base), `${(med((r) => r.medians[key] / r.medians.redistribute)).toFixed(2)}×`];
};
console.log(`${N}×${N} float64 (${(N * N * 8 / 1e6).toFixed(1)} MB) from a source component on 1 rank to a target component on 1 rank; ${REPS} reps per round, ${ROUNDS} rounds (separate jobs), medians. Load average at the start of the rounds: ${load.map((x) => x.toFixed(1)).join(', ')} (2 cores).\n`);
console.log(markdownTable(['ms per step', 'interface exchange', 'Redistribution.run', 'exchange ÷ redistribute'], [
  row('nearest, same grid (weights all 1: a copy)', 'nearest'),
  row('conservative, same grid', 'conservative'),
  row('linear, grid shifted by half a spacing (4 source points per target point)', 'linear'),
  row('linear, the same mapped whole by the source rank (SIMDECK_COUPLE_SPLIT=0)', 'linearWhole'),
  row('linear, the same with the JavaScript kernels (SIMDECK_COUPLE_WASM=0)', 'linearJs'),
]));
console.log('');
const keys = Object.keys(runs[0].setups);
console.log(markdownTable(['set-up, routes + weights (`coupling.connect`), 1+1 ranks', 'ms'], keys.map((k) => [k, fmt(med((r) => r.setups[k]))])));
console.log('\nThe target is an exchange within 1.2× of a redistribution of the same size. A same-grid interface' +
  ' (nearest, or conservative, whose weights are then exactly 1) moves the same bytes with no arithmetic, in one message' +
  ' straight into the target array, and meets it. A real interpolation adds 2 multiply-adds per point and dimension, in a' +
  ' fixed order (separable weights, last dimension first) so that results are bit-identical on any rank counts. Here the' +
  ' source rank holds the target\'s whole footprint, and on shared memory the two ranks split its map: the source rank maps' +
  ' the first 53 % of the target rows (it weights each source row once along the last dimension and combines pairs of them' +
  ' into finished rows, four rows per pass, in C: src/couple/maps.c, AVX2 where the CPU has it; WebAssembly SIMD f64x2 with' +
  ' SIMDECK_NATIVE=0 or no C compiler) and writes each ~256 KiB band of them straight into the' +
  ' target array (process_vm_writev, at the address the target sends first), while the target maps the other rows itself' +
  ' with the same kernels, straight into its array, from raw source rows it reads itself from the source array, 256 KiB at a time, into a small window' +
  ' (process_vm_readv at the address the source rank sends at each exchange; the source rank returns' +
  ' once the target says it has read them). The' +
  ' same expressions on either rank, so the same bits. Each rank then does about half of a job that takes one core about' +
  ' twice a redistribution, both at once; test/bench/peers/couple_floor.c shows that this is the only design that reaches' +
  ' 1.2× on this machine in C (0.94-1.03×; a receiver that copies every finished row stays at 1.3× or more), and' +
  ' test/bench/ab/couple-split.mjs the same with the kernels in Node (1.13-1.43× in runs on this machine). It needs both cores: on a busy machine' +
  ' the rank that waits for the other waits longer (docs/coupling.md). Over MPI the source rank maps the target whole and' +
  ' sends it in bands; the row with SIMDECK_COUPLE_SPLIT=0 is that, on shared memory, timed in the same rounds.' +
  ' (When a target\'s footprint spans several source ranks, the senders send weighted rows and the target combines them,' +
  ' both in C as well: 1.9-2.6x a redistribution from two senders on 2 cores at load 4, test/bench/decks/cmulti.ts; docs/coupling.md.)' +
  ' The row with the JavaScript kernels (SIMDECK_COUPLE_WASM=0) is the same interface timed in the same rounds; with them' +
  ' the source rank weights its rows and the target combines them (two cores share the slower arithmetic).' +
  ' The set-up computes 1-D weights per axis (O(n) per axis for a tensor grid) and one allgather of the blocks;' +
  ' the 1-D case of 10^6 points computes 10^6 weight pairs on the target rank, and most of its time is the first touch' +
  ' (page faults) of the 28 MB of fresh index and weight arrays and the 8 MB footprint, not the loop.');
