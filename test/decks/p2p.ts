// Conformance deck: point-to-point messaging. Runs on any number of ranks and any transport;
// every check compares against values computed locally; prints "OK <check>" lines on rank 0.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  world, ANY_SOURCE, ANY_TAG, PROC_NULL, Status, Request,
  ArgumentError, EncodeError, TruncationError, MessageTypeError,
} from 'simdeck';

const { rank, size } = world;
const next = (rank + 1) % size;
const prev = (rank - 1 + size) % size;
const ok = (name: string) => { if (rank === 0) console.log(`OK ${name}`); };

/** Deterministic pseudo-random bytes: every bit pattern (NaNs, -0, denormals) can occur. */
function pattern<T extends ArrayBufferView>(cls: { new(n: number): T; BYTES_PER_ELEMENT: number }, n: number, seed: number): T {
  const a = new cls(n);
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let x = (seed * 2654435761 + n * 40503 + cls.BYTES_PER_ELEMENT) >>> 0 || 1;
  for (let i = 0; i < bytes.length; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; bytes[i] = x & 0xff; }
  return a;
}
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

// --- every typed-array type, bit for bit, small (eager) and large (single copy), around a ring
const classes = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array] as const;
for (const cls of classes) {
  for (const n of [0, 1, 7, 1000, 50_000]) {
    const mine = pattern(cls as never, n, rank) as ArrayBufferView;
    const got = world.sendrecv(mine, next, 1, prev, 1) as ArrayBufferView;
    assert.equal(got.constructor, cls, `${cls.name} arrives as ${got.constructor.name}`);
    assert.ok(sameBytes(got, pattern(cls as never, n, prev) as ArrayBufferView), `${cls.name}(${n}) bits`);
  }
}
{
  const b = Buffer.from(`buffer from ${rank}`);
  const got = world.sendrecv(b, next, 2, prev, 2);
  assert.ok(Buffer.isBuffer(got));
  assert.equal((got as Buffer).toString(), `buffer from ${prev}`);
}
ok('typed arrays of every element type round-trip bit for bit');

// --- subarray views (non-zero byteOffset), small and large
{
  const base = pattern(Float64Array, 200_000, rank + 100);
  for (const [from, to] of [[3, 103], [1000, 150_000]]) {
    const got = world.sendrecv(base.subarray(from, to), next, 3, prev, 3) as Float64Array;
    assert.ok(got instanceof Float64Array);
    assert.ok(sameBytes(got, pattern(Float64Array, 200_000, prev + 100).subarray(from, to)));
  }
  const odd = pattern(Uint8Array, 999, rank).subarray(1, 998);
  const got = world.sendrecv(odd, next, 3, prev, 3) as Uint8Array;
  assert.ok(sameBytes(got, pattern(Uint8Array, 999, prev).subarray(1, 998)));
}
ok('subarray views keep their window');

// --- objects: nested typed arrays, Map, Date, BigInt, strings, undefined, large objects
{
  const make = (r: number) => ({
    rank: r, name: `rank-${r}`, pi: Math.PI, big: 2n ** 70n + BigInt(r), when: new Date(1e12 + r),
    map: new Map<unknown, unknown>([[1, 'one'], ['k', { deep: [r, new Int16Array([r, -r])] }]]),
    list: [null, undefined, true, 'ü€𝄞', [new Float32Array([r / 3]), { u: new BigUint64Array([BigInt(r)]) }]],
    bulk: Array.from({ length: 20_000 }, (_, i) => i * r),
  });
  const got = world.sendrecv(make(rank), next, 4, prev, 4);
  assert.deepStrictEqual(got, make(prev));
  for (const v of [0, '', 'x'.repeat(100_000), [], {}, null, 1.5, -7n, true]) {
    assert.deepStrictEqual(world.sendrecv(v, next, 4, prev, 4), v);
  }
  assert.equal(world.sendrecv(undefined, next, 4, prev, 4), undefined);
  // small plain values pack without msgpack records (their own encoding code): they still
  // arrive as plain objects with their typed arrays, a Map inside one still arrives as a Map,
  // and the Status still says 'object'
  const st = new Status();
  const small = (r: number) => ({ step: r, name: 'u', values: [1, 2, 3], f: new Float64Array([r / 3]), o: Object.assign(Object.create(null), { k: r }) });
  assert.deepStrictEqual(world.sendrecv(small(rank), next, 4, prev, 4, st), { ...small(prev), o: { k: prev } });
  assert.equal(st.type, 'object');
  assert.equal(st.count(), st.bytes);
  const withMap = (r: number) => ({ m: new Map([['a', r]]), s: new Set([r]), d: new Date(r), deep: [[{ m: new Map([[r, 'x']]) }]] });
  const gotMap = world.sendrecv(withMap(rank), next, 4, prev, 4, st) as ReturnType<typeof withMap>;
  assert.ok(gotMap.m instanceof Map && gotMap.deep[0][0].m instanceof Map);
  assert.deepStrictEqual(gotMap, withMap(prev));
  assert.equal(st.type, 'object');
}
ok('objects with nested typed arrays, Map, Date, BigInt');

// --- zero-byte messages
{
  const st = new Status();
  const got = world.sendrecv(new Uint8Array(0), next, 5, prev, 5, st);
  assert.ok(got instanceof Uint8Array && got.length === 0);
  assert.equal(st.bytes, 0);
  assert.equal(st.source, prev);
  assert.equal(st.tag, 5);
}
ok('zero-byte messages');

// --- ordering: per pair, mixed sizes and tags, never overtaken
if (size > 1) {
  const N = 120;
  const sizeOf = (i: number) => (i % 10 === 3 ? 70_000 : i % 7); // some take the large-message path
  const reqs: Request[] = [];
  for (let i = 0; i < N; i++) {
    const msg = new Int32Array(Math.max(1, sizeOf(i))).fill(i);
    reqs.push(world.isend(msg, next, 10 + (i % 3)));
  }
  for (let i = 0; i < N; i++) {
    const st = new Status();
    const got = world.recv(prev, ANY_TAG, st) as Int32Array;
    assert.equal(got[0], i, 'message order');
    assert.equal(st.tag, 10 + (i % 3));
    assert.equal(got.length, Math.max(1, sizeOf(i)));
  }
  Request.waitAll(reqs);
  // With a specific tag, later messages of other tags wait their turn.
  world.send('a', next, 20); world.send('b', next, 21); world.send('c', next, 20);
  assert.equal(world.recv(prev, 21), 'b');
  assert.equal(world.recv(prev, 20), 'a');
  assert.equal(world.recv(prev, 20), 'c');
}
ok('messages between a pair are not overtaken');

// --- ANY_SOURCE fairness: with several senders' backlogs waiting, receives take them in turn
if (size > 2) {
  const M = 200;
  // Rank 0 must not touch simdeck until every backlog is complete: senders say so with files.
  if (rank === 0) {
    const dir = mkdtempSync(join(tmpdir(), 'simdeck-fair-'));
    for (let r = 1; r < size; r++) world.send(dir, r, 29);
    const deadline = Date.now() + 60_000;
    while (readdirSync(dir).length < size - 1 && Date.now() < deadline) { /* no simdeck call meanwhile */ }
    const done = readdirSync(dir).length;
    rmSync(dir, { recursive: true });
    assert.equal(done, size - 1, 'every sender posts its backlog while rank 0 stays out of simdeck');
    const order: number[] = [];
    for (let i = 0; i < M * (size - 1); i++) order.push((world.recv(ANY_SOURCE, 30) as number[])[0]);
    for (let k = 1; k <= M; k++) {
      const window = order.slice(0, k * (size - 1));
      for (let r = 1; r < size; r++) assert.equal(window.filter((s) => s === r).length, k, `round ${k}: ${order.slice(0, 12)}`);
    }
  } else {
    // isend: a blocking send may wait for the receiver once its buffer share is used up (on
    // MPI after a few credits), and rank 0 calls nothing until every backlog is complete.
    const dir = world.recv(0, 29) as string;
    const sends: Request[] = [];
    for (let i = 0; i < M; i++) sends.push(world.isend([rank, i], 0, 30));
    writeFileSync(join(dir, `sent-${rank}`), '');
    Request.waitAll(sends);
  }
}
ok('ANY_SOURCE receives are fair');

// --- a message handed to send() never waits at its sender while the sender stays out of simdeck
// (MPI: rank 0 has spent its credits towards rank 1 on isends, so the send must hand over the queue)
if (size > 1) {
  const K = 40; // more than any credit count
  if (rank === 0) {
    const dir = mkdtempSync(join(tmpdir(), 'simdeck-handover-'));
    world.send(dir, 1, 31);
    for (let i = 0; i < K; i++) world.isend(i, 1, 32);
    world.send('last', 1, 33);
    const deadline = Date.now() + 30_000;
    while (readdirSync(dir).length === 0 && Date.now() < deadline) { /* no simdeck call meanwhile */ }
    const done = readdirSync(dir).length;
    rmSync(dir, { recursive: true });
    assert.equal(done, 1, 'rank 1 got every message while rank 0 stayed out of simdeck');
  } else if (rank === 1) {
    const dir = world.recv(0, 31) as string;
    for (let i = 0; i < K; i++) assert.equal(world.recv(0, 32), i);
    assert.equal(world.recv(0, 33), 'last');
    writeFileSync(join(dir, 'received'), '');
  }
}
ok('a sent message never waits for its sender\'s next call');

// --- nonblocking: isend/irecv with waitAll, waitAny, test
{
  const recvs: Request[] = [];
  const sends: Request[] = [];
  for (let r = 0; r < size; r++) recvs.push(world.irecv(r, 40));
  for (let r = 0; r < size; r++) sends.push(world.isend({ from: rank, to: r, pad: new Float64Array(r === next ? 20_000 : 3) }, r, 40));
  const values = Request.waitAll(recvs) as { from: number; to: number }[];
  values.forEach((v, r) => { assert.equal(v.from, r); assert.equal(v.to, rank); });
  Request.waitAll(sends);

  const pending = Array.from({ length: size }, (_, r) => world.irecv(r, 41));
  for (let r = 0; r < size; r++) world.send(rank * 1000 + r, r, 41);
  const seen = new Set<number>();
  for (let k = 0; k < size; k++) {
    const st = new Status();
    const { index, value } = Request.waitAny(pending, st);
    assert.ok(!seen.has(index));
    seen.add(index);
    assert.equal(value, index * 1000 + rank);
    assert.equal(st.source, index);
  }
  assert.equal(Request.waitAny(pending).index, -1);

  const r = world.irecv(prev, 42);
  world.send('ping', next, 42);
  while (!r.test()) { /* poll */ }
  assert.equal(r.value, 'ping');
  const into = new Float64Array(8);
  const ri = world.irecvInto(into, prev, 43);
  world.isend(new Float64Array([prev + 0.5, 2]), next, 43).wait();
  const st = ri.wait();
  assert.equal(st.bytes, 16);
  assert.equal(into[1], 2);
}
ok('isend/irecv with waitAll, waitAny and test');

// --- probe / iprobe and Status
{
  assert.equal(world.iprobe(ANY_SOURCE, 99_999), false);
  world.send({ hello: rank }, next, 50);
  const st = world.probe(prev, 50);
  assert.equal(st.source, prev);
  assert.equal(st.tag, 50);
  assert.equal(st.type, 'object');
  assert.ok(st.bytes > 0);
  const st2 = new Status();
  assert.equal(world.iprobe(prev, 50, st2), true);
  assert.equal(st2.bytes, st.bytes);
  assert.deepStrictEqual(world.recv(prev, 50), { hello: prev });
  world.send(new Float32Array(10), next, 51);
  const st3 = world.probe(ANY_SOURCE, 51);
  assert.equal(st3.type, 'Float32Array');
  assert.equal(st3.count(4), 10);
  world.recv(st3.source, 51);
}
ok('probe and iprobe');

// --- recvInto: fills the caller's buffer; truncation and type errors leave the message queued
{
  world.send(new Float64Array([1, 2, 3]), next, 60);
  const small = new Float64Array(2);
  assert.throws(() => world.recvInto(small, prev, 60), TruncationError);
  assert.throws(() => world.recvInto(new Int32Array(10), prev, 60), MessageTypeError);
  const big = new Float64Array(5);
  const st = world.recvInto(big, prev, 60);
  assert.deepStrictEqual(Array.from(big), [1, 2, 3, 0, 0]);
  assert.equal(st.bytes, 24);
  const large = pattern(Float64Array, 30_000, rank);
  world.isend(large, next, 61);
  const dest = new Float64Array(40_000);
  world.recvInto(dest.subarray(5, 30_005), prev, 61);
  assert.ok(sameBytes(dest.subarray(5, 30_005), pattern(Float64Array, 30_000, prev)));
  assert.throws(() => world.recvInto([1, 2] as never, prev, 62), ArgumentError);
  // Buffer and Uint8Array carry the same bytes: either receives the other.
  world.send(Buffer.from('abc'), next, 63);
  const u = new Uint8Array(8);
  assert.equal(world.recvInto(u, prev, 63).bytes, 3);
  assert.equal(Buffer.from(u.subarray(0, 3)).toString(), 'abc');
  world.send(new Float64Array(6), next, 64);
  assert.equal(world.probe(prev, 64).count(), 6);
  assert.equal(world.recvInto(new Float64Array(6), prev, 64).count(), 6);
}
ok('recvInto, truncation and type mismatch');

// --- PROC_NULL and sends to self
{
  world.send('nothing', PROC_NULL);
  const st = new Status();
  assert.equal(world.recv(PROC_NULL, ANY_TAG, st), undefined);
  assert.equal(st.source, PROC_NULL);
  world.send({ me: rank }, rank, 70);
  assert.deepStrictEqual(world.recv(rank, 70), { me: rank });
  const big = pattern(Float64Array, 100_000, 7);
  const req = world.isend(big, rank, 71);
  assert.ok(sameBytes(world.recv(rank, 71) as Float64Array, big));
  req.wait();
}
ok('PROC_NULL and messages to self');

// --- bad input: typed errors that say what to change
{
  const expectError = (fn: () => unknown, cls: new (...a: never[]) => Error, text: RegExp) => {
    assert.throws(fn, (e: unknown) => e instanceof cls && text.test((e as Error).message), `${cls.name} ${text}`);
  };
  expectError(() => world.send(1, size), ArgumentError, /dest must be a rank from 0 to/);
  expectError(() => world.send(1, -3), ArgumentError, /dest must be a rank/);
  expectError(() => world.send(1, 0.5), ArgumentError, /dest must be a rank/);
  expectError(() => world.send(1, '0' as never), ArgumentError, /dest must be a rank/);
  expectError(() => world.isend(1, size + 5), ArgumentError, /dest must be a rank/);
  expectError(() => world.send(1, 0, -1), ArgumentError, /tag must be an integer/);
  expectError(() => world.send(1, 0, 1.5), ArgumentError, /tag must be an integer/);
  expectError(() => world.send(1, 0, ANY_TAG), ArgumentError, /tag must be an integer/);
  expectError(() => world.recv(size), ArgumentError, /source must be a rank/);
  expectError(() => world.recv(0, -5), ArgumentError, /tag must be/);
  expectError(() => world.probe(size + 1), ArgumentError, /source must be a rank/);
  expectError(() => world.send(() => 1, 0), EncodeError, /function cannot be sent/);
  expectError(() => world.send(Symbol('s'), 0), EncodeError, /symbol cannot be sent/);
  expectError(() => world.send({ nested: { f() { return 1; } } }, 0), EncodeError, /function cannot be sent/);
  expectError(() => world.send({ s: Symbol('x') }, 0), EncodeError, /symbols cannot be sent/);
  expectError(() => Request.waitAll('x' as never), ArgumentError, /array of Request/);
}
ok('bad input raises typed errors');

// --- deck arguments
assert.deepStrictEqual(process.argv.slice(2), ['alpha', '--beta=2']);
ok('process.argv holds the deck arguments');

console.log(`DONE rank ${rank}`);
