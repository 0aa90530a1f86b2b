// Ping-pong between ranks 0 and 1, measured the way the C and mpi4py peers measure it: warm up,
// calibrate K round trips per trial to ~targetMs, run T trials, report medians of the per-trial
// half round trip. Rank 0 prints one JSON line.
//   simdeck run -n 2 pingpong.ts [--trials T] [--target-ms M] size...
import { world } from 'simdeck';

const argv = process.argv.slice(2);
let trials = 15;
let targetMs = 30;
let warmupMs = 300;
const sizes: number[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--trials') trials = Number(argv[++i]);
  else if (argv[i] === '--target-ms') targetMs = Number(argv[++i]);
  else if (argv[i] === '--warmup-ms') warmupMs = Number(argv[++i]);
  else sizes.push(Number(argv[i]));
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const me = world.rank;
const peer = 1 - me;

function roundTrips(k: number, step: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < k; i++) step();
  return performance.now() - t0;
}

/**
 * Runs `step` (one round trip on rank 0, its mirror on rank 1) for T calibrated trials, after a
 * warm-up long enough for V8 to finish compiling the path (its compiler threads otherwise
 * compete with the two spinning ranks for the two cores).
 */
function measure(step: () => void): number[] {
  const warmUntil = performance.now() + warmupMs;
  let warm = 0;
  for (;;) {
    const more = me === 0 ? performance.now() < warmUntil || warm < 1000 : (world.recv(0, 97) as boolean);
    if (me === 0) world.send(more, 1, 97);
    if (!more) break;
    for (let i = 0; i < 100; i++) step();
    warm += 100;
  }
  let k = 1;
  // Warm up and calibrate on rank 0; rank 1 learns each K from rank 0.
  for (;;) {
    const kk = me === 0 ? k : (world.recv(0, 99) as number);
    if (me === 0) world.send(k, 1, 99);
    if (kk < 0) break;
    const ms = roundTrips(kk, step);
    if (me === 0) {
      if (ms >= targetMs / 2 || k >= 1 << 24) { world.send(-k, 1, 99); break; }
      k = Math.min(1 << 24, Math.ceil(k * Math.max(2, (targetMs / Math.max(ms, 0.01)))));
    }
  }
  const K = me === 0 ? k : 0;
  const kAll = me === 0 ? (world.send(K, 1, 98), K) : (world.recv(0, 98) as number);
  const perTrial: number[] = [];
  for (let t = 0; t < trials; t++) perTrial.push((roundTrips(kAll, step) / kAll / 2) * 1000);
  return perTrial;
}

const results: object[] = [];
for (const bytes of sizes) {
  const buf = new Uint8Array(bytes);
  const trialUs = measure(me === 0
    ? () => { world.send(buf, peer, 1); world.recvInto(buf, peer, 1); }
    : () => { world.recvInto(buf, peer, 1); world.send(buf, peer, 1); });
  const us = median(trialUs);
  results.push({ path: 'buffer', bytes, half_rtt_us: us, gbps: bytes / us / 1e3, trial_us: trialUs });
}
const small = { step: 1, name: 'u', values: [1, 2, 3] };
const objUs = measure(me === 0
  ? () => { world.send(small, peer, 2); world.recv(peer, 2); }
  : () => { world.recv(peer, 2); world.send(small, peer, 2); });
results.push({ path: 'object', object: 'small', half_rtt_us: median(objUs), trial_us: objUs });
if (me === 0) console.log(JSON.stringify({ impl: 'simdeck', transport: world.transport.name, results }));
