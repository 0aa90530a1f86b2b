// The floor of the ping-pong benchmark: the fastest plain Node code we know for the same
// operations, between two Node processes, with no message layer at all. It is what simdeck's
// shared-memory transport could reach at best, printed beside it by pingpong.bench.mjs.
//
//   node test/bench/peers/floor.mjs [-t trials] [-m target_ms] size...
//
// Two processes map one POSIX shared-memory area (simdeck's own koffi bindings, dist/ built).
//   size ≤ 64 KiB: a mailbox per direction: the sender copies the bytes into it and bumps a
//                 sequence word (Atomics.store); the receiver spins on that word
//                 (Atomics.load) and copies the bytes out: one copy in, one copy out, no
//                 header, no matching. A floor for 8 B.
//   larger:       the sender publishes its buffer's address and bumps its word; the receiver
//                 copies it with one process_vm_readv into its own buffer and bumps its word
//                 back (as Open MPI's vader does with CMA); then the roles swap.
// Measured as pingpong.c: warm-up, calibrate K round trips per trial to ~target_ms, `trials`
// trials, per trial elapsed / K / 2; medians. Spins: meant for 2 ranks on 2 cores only.
// Prints one JSON line {impl:'node-floor', results:[{path:'buffer', bytes, half_rtt_us, gbps, trial_us}]}.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const libc = await import(join(root, 'dist', 'src', 'system', 'libc.js'));

const args = process.argv.slice(2);
let trials = 15, targetMs = 30, role = 0, name = '';
const sizes = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-t') trials = Number(args[++i]);
  else if (args[i] === '-m') targetMs = Number(args[++i]);
  else if (args[i] === '--child') { role = 1; name = args[++i]; } else sizes.push(Number(args[i]));
}
const MAILBOX = 64 * 1024;
const AREA = 4096 + 2 * MAILBOX;
// words: [0] seq 0→1, [16] seq 1→0 (own cache lines), [32] pid 0, [33] pid 1, [34] go, [40] K, [41] round, f64[30..31] addresses
let child = null;
if (role === 0) {
  name = `/simdeck-${process.pid}-floor`;
  libc.mapShared(name, AREA, true);
  child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', name, '-t', String(trials), '-m', String(targetMs), ...sizes.map(String)], { stdio: 'inherit' });
}
const m = libc.mapShared(name, AREA, false);
const i32 = new Int32Array(m.buffer), f64 = new Float64Array(m.buffer), u8 = new Uint8Array(m.buffer);
if (role === 1) libc.unlinkShared(name);
libc.allowPeerReads();
i32[32 + role] = process.pid;
const SEQ = [0, 16];
const box = [4096, 4096 + MAILBOX];
const mine = SEQ[role], theirs = SEQ[1 - role];
let seen = 0;

/** Spins until the peer's word moves past what was seen. */
function awaitPeer() {
  const want = seen + 1;
  while (Atomics.load(i32, theirs) - want < 0) { /* spin */ }
  seen = want;
}
// start line
Atomics.add(i32, 34, 1);
while (Atomics.load(i32, 34) < 2) { /* spin */ }
const peerPid = i32[33 - role];

function small(buf) {
  const out = box[role], inn = box[1 - role];
  const n = buf.length;
  const put = () => { for (let k = 0; k < n; k++) u8[out + k] = buf[k]; Atomics.add(i32, mine, 1); };
  const get = () => { awaitPeer(); for (let k = 0; k < n; k++) buf[k] = u8[inn + k]; };
  const putBig = () => { u8.set(buf, out); Atomics.add(i32, mine, 1); };
  const getBig = () => { awaitPeer(); buf.set(u8.subarray(inn, inn + n)); };
  const p = n <= 64 ? put : putBig, g = n <= 64 ? get : getBig;
  return role === 0 ? () => { p(); g(); } : () => { g(); p(); };
}

function large(buf) {
  const myAddr = libc.addressOf(buf);
  f64[30 + role] = myAddr;
  const n = buf.length;
  // sender: publish (address is fixed) and wait for the reader's ack; receiver: read, ack
  const send = () => { Atomics.add(i32, mine, 1); awaitPeer(); };
  const recv = () => {
    awaitPeer();
    const err = libc.readFromProcess(peerPid, myAddr, f64[31 - role], n);
    if (err !== 0) throw new Error(`process_vm_readv failed with errno ${err}`);
    Atomics.add(i32, mine, 1);
  };
  return role === 0 ? () => { send(); recv(); } : () => { recv(); send(); };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };
/** Both sides run the same calibration: rank 0 decides K and writes it to word 40. */
function measure(step) {
  let k = 1;
  const warm = performance.now() + 200;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) step();
    const ms = performance.now() - t0;
    // agree on continuing with a word per round (rank 0 writes, rank 1 reads after the round)
    if (role === 0) {
      const done = ms >= targetMs / 2 && performance.now() > warm;
      if (!done) k = Math.min(1 << 24, Math.ceil(k * Math.max(2, targetMs / Math.max(ms, 0.01))));
      Atomics.store(i32, 40, done ? -k : k);
      Atomics.add(i32, 41, 1);
      if (done) break;
    } else {
      while (Atomics.load(i32, 41) === round) { /* spin */ }
      round++;
      const v = Atomics.load(i32, 40);
      k = Math.abs(v);
      if (v < 0) break;
    }
  }
  const per = [];
  for (let t = 0; t < trials; t++) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) step();
    per.push((performance.now() - t0) / k / 2 * 1000);
  }
  return per;
}
let round = 0;

const results = [];
for (const bytes of sizes) {
  const buf = new Uint8Array(bytes).fill(role + 1);
  const per = measure(bytes <= MAILBOX ? small(buf) : large(buf));
  const us = median(per);
  results.push({ path: 'buffer', bytes, half_rtt_us: us, gbps: bytes / us / 1e3, trial_us: per });
}
if (role === 0) {
  await new Promise((r) => child.on('exit', r));
  console.log(JSON.stringify({ impl: 'node-floor', results }));
}
