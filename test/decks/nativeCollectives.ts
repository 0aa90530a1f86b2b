// Conformance deck for the transports' native collectives (shared-memory areas, MPI's own):
// barrier, bcast, bcastInto, allreduce/allreduceInto with every native operator and element
// type, allgatherInto, in long mixed sequences with changing roots, around the size where the
// native path hands over to messages, interleaved with point-to-point traffic and pending
// nonblocking collectives, on world, split and dup'ed communicators and past the number of
// shared areas; every result compared with the serial computation. Any size of world.
import assert from 'node:assert/strict';
import { world, Op, type Comm } from 'simdeck';

const ok = (name: string) => { if (world.rank === 0) console.log(`OK ${name}`); };
const KINDS = [Float64Array, Float32Array, Int32Array, Int8Array, Uint16Array, BigInt64Array, BigUint64Array] as const;
const OPS = [Op.SUM, Op.PROD, Op.MAX, Op.MIN] as const;

/** Rank r's contribution: small integers, so every result is exact in any order. */
function contrib(cls: (typeof KINDS)[number], r: number, n: number, salt: number): any {
  const a = new cls(n) as any;
  const big = cls === BigInt64Array || cls === BigUint64Array;
  for (let i = 0; i < n; i++) { const v = ((r + 1) * (i + salt + 1)) % 5 + 1; a[i] = big ? BigInt(v) : v; }
  return a;
}

function serial(op: Op, values: any[]): any {
  const out = values[0].slice();
  for (let k = 1; k < values.length; k++) {
    for (let i = 0; i < out.length; i++) {
      const a = out[i], b = values[k][i];
      out[i] = op === Op.SUM ? a + b : op === Op.PROD ? a * b : op === Op.MAX ? (b > a ? b : a) : (b < a ? b : a);
    }
  }
  return out;
}

function checkComm(comm: Comm, label: string, rounds: number) {
  const p = comm.size, r = comm.rank;
  const ranks = [...Array(p).keys()];
  for (let k = 0; k < rounds; k++) {
    comm.barrier();
    const root = k % p;
    // bcast of objects: small (native), and past 1 KiB (messages), same call
    const small = { k, s: 'x'.repeat(k % 7), root };
    assert.deepEqual(comm.bcast(r === root ? small : null, root), small);
    if (k % 5 === 0) {
      const big = { k, s: 'y'.repeat(1000 + k) };
      assert.deepEqual(comm.bcast(r === root ? big : null, root), big);
    }
    // bcastInto: typed arrays below and above the native size
    for (const n of [1, 127, 128, 129, 1000]) {
      const buf = new Float64Array(n);
      if (r === root) for (let i = 0; i < n; i++) buf[i] = i * 0.5 + k;
      assert.equal(comm.bcastInto(buf, root), buf);
      for (let i = 0; i < n; i++) assert.equal(buf[i], i * 0.5 + k);
    }
    // allreduce / allreduceInto: every native operator and element type, in place too
    const cls = KINDS[k % KINDS.length];
    const op = OPS[k % OPS.length];
    for (const n of [1, 3, 64, 129, 300]) {
      if (cls.BYTES_PER_ELEMENT * n > 1200 && k % 3 !== 0) continue;
      const mine = contrib(cls, r, n, k);
      const want = serial(op, ranks.map((q) => contrib(cls, q, n, k)));
      assert.deepEqual(comm.allreduce(mine, op), want, `allreduce ${cls.name} ${op.name} ${n}`);
      const out = new cls(n + 2) as any;
      comm.allreduceInto(mine, out, op);
      assert.deepEqual(out.subarray(0, n), want);
      const inPlace = mine.slice();
      comm.allreduceInto(inPlace, inPlace, op);
      assert.deepEqual(inPlace, want);
      assert.deepEqual(mine, contrib(cls, r, n, k), 'the send buffer is left alone');
    }
    // large reductions and gathers, where MPI's own collectives take over (64 KiB and up)
    if (k % 4 === 0) {
      const n = 9000 + k; // 72 KB of doubles
      const bop = OPS[(k / 4) % OPS.length];
      const mine = Float64Array.from({ length: n }, (_, i) => ((r + 1) * (i + k)) % 7);
      const want = serial(bop, ranks.map((q) => Float64Array.from({ length: n }, (_, i) => ((q + 1) * (i + k)) % 7)));
      const out = new Float64Array(n);
      comm.allreduceInto(mine, out, bop);
      assert.deepEqual(out, want, `allreduceInto Float64Array ${n} ${bop.name}`);
      const m = 17000 + k; // 68 KB of int32 per rank
      const res = new Int32Array(m * p);
      comm.allgatherInto(Int32Array.from({ length: m }, (_, i) => r * 100000 + i), res);
      for (let q = 0; q < p; q++) for (let i = 0; i < m; i += 97) assert.equal(res[q * m + i], q * 100000 + i);
      assert.equal(res[p * m - 1], (p - 1) * 100000 + m - 1);
    }
    // numbers
    assert.equal(comm.allreduce(r + k, Op.SUM), p * k + (p * (p - 1)) / 2);
    assert.equal(comm.allreduce(r * 1.5 - k, Op.MAX), (p - 1) * 1.5 - k);
    assert.equal(comm.allreduce(r + 1, Op.PROD), ranks.reduce((a, q) => a * (q + 1), 1));
    // allgatherInto: blocks below and above the native size
    for (const n of [1, 2, 200]) {
      const res = new Int32Array(n * p);
      comm.allgatherInto(Int32Array.from({ length: n }, (_, i) => r * 1000 + i + k), res);
      for (let q = 0; q < p; q++) for (let i = 0; i < n; i++) assert.equal(res[q * n + i], q * 1000 + i + k);
    }
    // a nonblocking collective pending across native ones, and point-to-point traffic
    const ib = comm.iallreduce(r, Op.SUM);
    if (p > 1) {
      const right = (r + 1) % p, left = (r - 1 + p) % p;
      const req = comm.isend({ k, from: r }, right, 7);
      comm.barrier();
      assert.deepEqual(comm.recv(left, 7), { k, from: left });
      req.wait();
    }
    assert.equal(ib.wait(), (p * (p - 1)) / 2);
  }
  ok(`native collectives on ${label}`);
}

checkComm(world, 'world', 40);
const half = world.split(world.rank % 2, -world.rank);
checkComm(half!, 'a split communicator (reversed order)', 8);
const dup = world.dup();
checkComm(dup, 'a dup of world', 8);
// More communicators than shared areas: later ones fall back to messages, on every rank alike.
const many: Comm[] = [];
for (let i = 0; i < 20; i++) many.push(world.dup());
for (const [i, c] of many.entries()) assert.equal(c.allreduce(i + c.rank, Op.SUM), world.size * i + (world.size * (world.size - 1)) / 2);
for (const c of many.reverse()) { c.barrier(); assert.equal(c.bcast(c.rank === 0 ? 'z' : null, 0), 'z'); }
ok('more communicators than shared areas');
world.barrier();
