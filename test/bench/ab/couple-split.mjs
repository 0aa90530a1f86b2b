// A/B for issue 14 (not part of `npm run bench`): the split design of a linear 1000×1000
// exchange (target shifted by half a spacing) in Node with simdeck's WebAssembly kernels,
// against a redistribution's single copy, two processes, interleaved rep by rep. The C floor
// of the same designs is test/bench/peers/couple_floor.c (variants a, dw, dr).
//   a        the receiver copies the sender's 8 MB with one process_vm_readv (Redistribution.run's copy)
//   split:f  the sender maps target rows [0, f·N) (kernel runCombine: each source row copied
//            into its WebAssembly memory, weighted and combined with the row before) into one
//            hot band of BAND rows and writes each band into the receiver's target with
//            process_vm_writev; meanwhile the receiver reads source rows [f·N, N) K at a time
//            with process_vm_readv straight into its WebAssembly memory, maps them there row by
//            row (runCombine) and copies each finished row into the target (Float64Array.set);
//            done when both are (the sender's last write is followed by a flag it writes into
//            the receiver). split:0 is receiver-fused alone, split:1 the sender pushing alone.
// Not simdeck's exchange: no Comm, no matching, a spin on a flag word (both processes spin, so
// run it with PIN=1 on an otherwise quiet machine: taskset pins the receiver to CPU 0, the
// sender to CPU 1). The last target row and column are not computed (N-1 pairs per axis).
// The first reps are checked bit for bit against the same kernels in one process.
// KERNEL=rows4 (default) maps four target rows per call with runRows4, each source row copied
// into its four row slots first (as simdeck's sender does); KERNEL=combine uses runCombine;
// KERNEL=rows4-inplace has the receiver map its rows with runRows4 where it read them (K rows
// at a time after the rows it still needs, as simdeck's split target does with its chunks).
// The variants' order turns by one each rep, so with one split, half of the splits follow a split
// (the sender's writes then land in lines its own core wrote last); ORDER=fixed runs 'a' before
// every split instead, as in the couple bench, where the exchange always follows a copy of the
// whole target by the target's core. Also printed: each side's CPU per split rep, the sender's
// split into its mapping and its process_vm_writev calls, the receiver's process_vm_readv calls.
//   npm run build && node test/bench/ab/couple-split.mjs     (N, REPS, K, BAND, SPLITS=0.5,0.6, PIN=1, KERNEL, ORDER=fixed)
import { fork, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';

const root = join(import.meta.dirname, '..', '..', '..');
const { addressOf, allowPeerReads, readFromProcess, writeToProcess, threadCpuMs } = await import(join(root, 'dist', 'src', 'system', 'libc.js'));
const { WasmArena, ROWS4_W1 } = await import(join(root, 'dist', 'src', 'couple', 'wasm.js'));

const N = Number(process.env.N ?? 1000), REPS = Number(process.env.REPS ?? 150);
const K = Number(process.env.K ?? 8), BAND = Number(process.env.BAND ?? 32);
const SPLITS = (process.env.SPLITS ?? '0.5,0.6').split(',').map(Number);
const ROWS4 = (process.env.KERNEL ?? 'rows4') !== 'combine';
const INPLACE = process.env.KERNEL === 'rows4-inplace';
const FIXED = process.env.ORDER === 'fixed';
const M = N - 1; // points per row computed, target rows computed
const ROW = N * 8;
const check = (rc, what) => { if (rc !== 0) throw new Error(`${what} failed: errno ${rc}`); };

/** An arena with the weights, a source-row window of `rows` rows, two weighted rows and an output of `outRows` rows. */
function arena(rows, outRows) {
  const a = new WasmArena();
  const w = a.reserve(ROWS4_W1 + ROW);
  const at = { w, w0: w, w1: w + ROWS4_W1, x: a.reserve(rows * ROW), y: a.reserve(2 * ROW), out: a.reserve(outRows * ROW), x4: a.reserve(4 * ROW), wab: a.reserve(64) };
  if (!a.tryOpen()) throw new Error('the WebAssembly kernels are not available');
  a.f64(at.w0, N).fill(0.5); a.f64(at.w1, N).fill(0.5);
  return { a, at, k: a.k, x: a.f64(at.x, rows * N), out: a.f64(at.out, outRows * N), x4: a.f64(at.x4, 4 * N), wab: a.f64(at.wab, 8) };
}
const wy = (i) => [0.5 + 1e-3 * (i % 7), 0.5 - 1e-3 * (i % 7)]; // row weights (not all equal, so a row mix-up shows)
const fillSource = (s) => { for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) s[i * N + j] = Math.sin(i * 0.01) + Math.cos(j * 0.013) * 0.5 + i * 1e-3; };

/**
 * Target rows [r0, r1) from source rows fetched by `rowAt(i)` (the byte offset in the arena of
 * source row i, which it makes available), each finished row handed to `done(i, outByteOffset)`.
 */
function mapRows(A, r0, r1, rowAt, outAt, done) {
  const { k, at } = A;
  let slot = 0;
  k.runRow(rowAt(r0), at.w0, at.w1, at.y, M); // y[0] = row r0 weighted
  for (let i = r0; i < r1; i++) {
    const [wa, wb] = wy(i);
    const o = outAt(i);
    k.runCombine(rowAt(i + 1), at.w0, at.w1, at.y + (1 - slot) * ROW, at.y + slot * ROW, o, wa, wb, M);
    slot = 1 - slot;
    done(i, o);
  }
}

/**
 * mapRows with runRows4 (simdeck's kernel when both axes have the source's spacing, shifted):
 * source row i given as a view by `rowOf(i)`, copied into the kernel's four dense row slots (as the
 * sender of simdeck does), four target rows per call at `outAt(i)` (ROW apart), the rest with
 * runCombine; `done(i, n, outByteOffset)` per group of n finished rows. The same bits as mapRows.
 */
function mapRows4(A, r0, r1, rowOf, outAt, done) {
  const { k, at } = A, xs = N;
  A.x4.set(rowOf(r0), 0);
  let ya = at.y, yb = at.y + ROW;
  k.runRow(at.x4, at.w0, at.w1, ya, M);
  let i = r0;
  for (; i + 4 <= r1; i += 4) {
    for (let r = 0; r < 4; r++) { A.x4.set(rowOf(i + 1 + r), r * xs); const [wa, wb] = wy(i + r); A.wab[2 * r] = wa; A.wab[2 * r + 1] = wb; }
    const o = outAt(i);
    k.runRows4(at.x4, ROW, at.w, ya, o, ROW, at.wab, M);
    done(i, 4, o);
  }
  for (; i < r1; i++) {
    A.x4.set(rowOf(i + 1), 0);
    const [wa, wb] = wy(i), o = outAt(i);
    k.runCombine(at.x4, at.w0, at.w1, yb, ya, o, wa, wb, M);
    [ya, yb] = [yb, ya];
    done(i, 1, o);
  }
}

if (process.argv[2] === 'sender') {
  allowPeerReads();
  const src = new Float64Array(N * N);
  fillSource(src);
  const A = arena(1, BAND);
  const ctl = new Int32Array(4); // [seq, split rows, 0, 0], written by the receiver
  let target = 0, rpid = 0, rctl = 0, last = 0;
  // per split rep: process CPU, and the main thread's CPU in the mapping and in the writes
  const scpu = [], smaps = [], spushes = [];
  let smap = 0, spush = 0;
  const flag = new Int32Array(1);
  process.on('message', (m) => {
    ({ target, rpid, rctl } = m);
    process.send({ src: addressOf(src), pid: process.pid, ctl: addressOf(ctl) });
    // serve reps until told to stop (seq < 0)
    for (;;) {
      let seq;
      while ((seq = Atomics.load(ctl, 0)) === last);
      if (seq < 0) {
        const md = (x) => { const y = x.slice(10).sort((a, b) => a - b); return y[y.length >> 1].toFixed(3); };
        console.log(`sender CPU per split rep (ms, median): ${md(scpu)}, of which mapping ${md(smaps)}, process_vm_writev ${md(spushes)}`);
        break;
      }
      last = seq;
      const S = Atomics.load(ctl, 1);
      const c0 = process.cpuUsage();
      for (let b0 = 0; b0 < S; b0 += BAND) {
        const b1 = Math.min(S, b0 + BAND);
        const q0 = threadCpuMs();
        if (ROWS4) mapRows4(A, b0, b1, (i) => src.subarray(i * N, i * N + N), (i) => A.at.out + (i - b0) * ROW, () => {});
        else mapRows(A, b0, b1, (i) => { A.x.set(src.subarray(i * N, i * N + N)); return A.at.x; }, (i) => A.at.out + (i - b0) * ROW, () => {});
        const q1 = threadCpuMs();
        check(writeToProcess(rpid, addressOf(A.out), target + b0 * ROW, (b1 - b0) * ROW), 'process_vm_writev');
        smap += q1 - q0; spush += threadCpuMs() - q1;
      }
      const c1 = process.cpuUsage(c0); scpu.push((c1.user + c1.system) / 1000); smaps.push(smap); spushes.push(spush); smap = 0; spush = 0;
      flag[0] = seq;
      check(writeToProcess(rpid, addressOf(flag), rctl, 4), 'process_vm_writev (flag)');
    }
    process.exit(0);
  });
} else {
  allowPeerReads();
  if (process.env.PIN === '1') execFileSync('taskset', ['-pc', '0', String(process.pid)]);
  const target = new Float64Array(N * N), ref = new Float64Array(N * N), src = new Float64Array(N * N);
  fillSource(src);
  // the reference: the same kernels over the whole source in one process
  {
    const R = arena(N, 1);
    R.x.set(src);
    mapRows(R, 0, M, (i) => R.at.x + i * ROW, () => R.at.out, (i) => ref.set(R.out.subarray(0, N), i * N));
    for (let i = 0; i < N; i++) ref[i * N + M] = 0;
  }
  const A = arena(K + 4, 4);
  // the receiver's rows S..M with runRows4 where they were read: source rows first.. in A.x, read
  // K at a time after the ones still needed (copied to the front)
  const mapRows4InPlace = (S) => {
    const { k, at } = A;
    let first = S, held = 0;
    const have = (i1) => {
      // source rows up to i1 (inclusive) in the window
      while (first + held <= i1) {
        const keep = Math.min(held, 4);
        if (keep > 0) A.x.copyWithin(0, (held - keep) * N, held * N);
        first += held - keep; held = keep;
        const want = Math.min(K, N - (first + held));
        const q0 = threadCpuMs();
        check(readFromProcess(peer.pid, addressOf(A.x) + held * ROW, peer.src + (first + held) * ROW, want * ROW), 'process_vm_readv');
        rreadAcc += threadCpuMs() - q0;
        held += want;
      }
    };
    const xAt = (i) => at.x + (i - first) * ROW;
    let ya = at.y, yb = at.y + ROW;
    have(S);
    k.runRow(xAt(S), at.w0, at.w1, ya, M);
    let i = S;
    for (; i + 4 <= M; i += 4) {
      have(i + 4);
      for (let r = 0; r < 4; r++) { const [wa, wb] = wy(i + r); A.wab[2 * r] = wa; A.wab[2 * r + 1] = wb; }
      k.runRows4(xAt(i + 1), ROW, at.w, ya, at.out, ROW, at.wab, M);
      target.set(A.out.subarray(0, 4 * N), i * N);
    }
    for (; i < M; i++) {
      have(i + 1);
      const [wa, wb] = wy(i);
      k.runCombine(xAt(i + 1), at.w0, at.w1, yb, ya, at.out, wa, wb, M);
      [ya, yb] = [yb, ya];
      target.set(A.out.subarray(0, N), i * N);
    }
  };
  const ctl = new Int32Array(4); // [done seq], written by the sender
  const child = fork(new URL(import.meta.url).pathname, ['sender'], { stdio: 'inherit' });
  if (process.env.PIN === '1') execFileSync('taskset', ['-pc', '1', String(child.pid)]);
  const peer = await new Promise((res) => { child.once('message', res); child.send({ target: addressOf(target), rpid: process.pid, rctl: addressOf(ctl) }); });
  const go = new Int32Array(2);
  let seq = 0;
  const start = (S) => { go[0] = ++seq; go[1] = S; check(writeToProcess(peer.pid, addressOf(go), peer.ctl, 8), 'process_vm_writev (go)'); };
  const now = () => performance.now();

  const variants = [['a', null], ...SPLITS.map((f) => [`split:${f}`, Math.round(f * M)])];
  const times = variants.map(() => []);
  // per split rep: the receiver's process CPU until its rows are mapped, and its main thread's in process_vm_readv
  const rcpu = [], rreads = [];
  var rreadAcc = 0, rc0 = null;
  for (let rep = -3; rep < REPS; rep++) {
    for (let vi = 0; vi < variants.length; vi++) {
      const v = FIXED ? vi : (vi + Math.max(0, rep)) % variants.length, [name, S] = variants[v];
      target.fill(0, 0, 8); target.fill(0, (M - 1) * N, (M - 1) * N + 8);
      const t0 = now();
      if (S === null) check(readFromProcess(peer.pid, addressOf(target), peer.src, N * ROW), 'process_vm_readv');
      else {
        start(S);
        rc0 = process.cpuUsage();
        rreadAcc = 0;
        // source rows S..M in windows of K + 1 rows (the last one kept), read straight into the arena
        let first = S, held = 0;
        const rowAt = (i) => {
          if (i >= first + held) {
            if (held > 0) { A.x.copyWithin(0, (held - 1) * N, held * N); first += held - 1; held = 1; }
            const want = Math.min(K, N - (first + held));
            check(readFromProcess(peer.pid, addressOf(A.x) + held * ROW, peer.src + (first + held) * ROW, want * ROW), 'process_vm_readv');
            held += want;
          }
          return A.at.x + (i - first) * ROW;
        };
        if (S < M && INPLACE) mapRows4InPlace(S);
        else if (S < M && ROWS4) mapRows4(A, S, M, (i) => { const b = rowAt(i) - A.at.x; return A.x.subarray(b / 8, b / 8 + N); }, () => A.at.out, (i, n) => target.set(A.out.subarray(0, n * N), i * N));
        else if (S < M) mapRows(A, S, M, rowAt, () => A.at.out, (i) => target.set(A.out.subarray(0, N), i * N));
        const c = process.cpuUsage(rc0);
        if (rep >= 0) { rcpu.push((c.user + c.system) / 1000); rreads.push(rreadAcc); }
        const tq = performance.now();
        while (Atomics.load(ctl, 0) !== seq) if (performance.now() - tq > 10000) throw new Error('the sender did not finish in 10 s (gone?)');
      }
      const t1 = now();
      if (rep >= 0) times[v].push(t1 - t0);
      if (rep < 1) {
        const want = S === null ? src : ref;
        for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) if (!Object.is(target[i * N + j], want[i * N + j])) throw new Error(`${name}: target[${i}][${j}] differs`);
      }
    }
  }
  if (rcpu.length > 0) {
    const md = (x) => { const y = [...x].sort((a, b) => a - b); return y[y.length >> 1].toFixed(3); };
    console.log(`receiver CPU per split rep (ms, median) until its rows are mapped: ${md(rcpu)}, of which process_vm_readv ${md(rreads)}${INPLACE ? '' : ' (counted with KERNEL=rows4-inplace only)'}`);
  }
  go[0] = -1; writeToProcess(peer.pid, addressOf(go), peer.ctl, 4);
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
  const q = (xs, f) => [...xs].sort((a, b) => a - b)[Math.floor(f * xs.length)];
  const base = med(times[0]);
  console.log(`N=${N} reps=${REPS} K=${K} band=${BAND} rows, kernel ${INPLACE ? 'runRows4, the receiver in place' : ROWS4 ? 'runRows4' : 'runCombine'}${process.env.PIN === '1' ? ', pinned' : ''}, load ${loadavg()[0].toFixed(2)}`);
  console.log('variant      median    min      p25      p75     /a');
  variants.forEach(([name], v) => console.log(`${name.padEnd(10)} ${med(times[v]).toFixed(3).padStart(7)}  ${q(times[v], 0).toFixed(3).padStart(7)}  ${q(times[v], 0.25).toFixed(3).padStart(7)}  ${q(times[v], 0.75).toFixed(3).padStart(7)}  ${(med(times[v]) / base).toFixed(2).padStart(5)}`));
}
