// Conformance deck: every collective, every root, objects and several typed-array types, each
// result compared with the same computation done serially on every rank. Any size of world.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { world, Op, Request, ArgumentError, type Comm } from 'simdeck';

const ok = (name: string) => { if (world.rank === 0) console.log(`OK ${name}`); };
const typedKinds = [Float64Array, Float32Array, Int32Array, Uint16Array, BigInt64Array] as const;
type Kind = (typeof typedKinds)[number];

/** Rank r's typed contribution: integer-valued, so every sum is exact whatever the order. */
function contrib(cls: Kind, r: number, n: number): any {
  const a = new cls(n) as any;
  for (let i = 0; i < n; i++) a[i] = cls === BigInt64Array ? BigInt((r + 1) * (i + 3) % 97) : ((r + 1) * (i + 3)) % 97;
  return a;
}
const obj = (r: number) => ({ rank: r, label: `r${r}`, v: new Float64Array([r, r / 2]) });

function checkComm(comm: Comm, tag: string) {
  const p = comm.size, r = comm.rank;
  const ranks = [...Array(p).keys()];
  const concat = Op.create((a: string, b: string) => a + b);

  comm.barrier();
  const ib = comm.ibarrier(); ib.wait();

  for (let root = 0; root < p; root++) {
    // bcast: objects, typed arrays (small and large), Into
    assert.deepStrictEqual(comm.bcast(r === root ? obj(root) : null, root), obj(root));
    for (const cls of typedKinds) {
      for (const n of [1, 7, 20_000]) {
        const got = comm.bcast(r === root ? contrib(cls, root, n) : null, root);
        assert.equal(got.constructor, cls);
        assert.deepStrictEqual(got, contrib(cls, root, n));
      }
    }
    const into = new Int32Array(50);
    comm.bcastInto(r === root ? contrib(Int32Array, root, 50) : into, root);
    if (r !== root) assert.deepStrictEqual(into, contrib(Int32Array, root, 50));
    assert.deepStrictEqual(comm.ibcast(r === root ? [root, 'x'] : null, root).wait(), [root, 'x']);

    // scatter / scatterv / scatterInto
    assert.deepStrictEqual(comm.scatter(r === root ? ranks.map(obj) : null, root), obj(r));
    const counts = ranks.map((k) => k + 1);
    const total = counts.reduce((a, b) => a + b, 0);
    const flat = Float64Array.from({ length: total }, (_, i) => i * 1.5);
    const start = counts.slice(0, r).reduce((a, b) => a + b, 0);
    assert.deepStrictEqual(comm.scatterv(r === root ? flat : null, r === root ? counts : null, root), flat.slice(start, start + r + 1));
    const blocks = Int32Array.from({ length: 3 * p }, (_, i) => i);
    const mine = new Int32Array(3);
    comm.scatterInto(r === root ? blocks : null, mine, root);
    assert.deepStrictEqual(mine, blocks.slice(3 * r, 3 * r + 3));

    // gather / igather / gatherv / gatherInto
    const g = comm.gather(obj(r), root);
    assert.deepStrictEqual(g, r === root ? ranks.map(obj) : null);
    assert.deepStrictEqual(comm.igather(r * 2, root).wait(), r === root ? ranks.map((k) => k * 2) : null);
    for (const cls of typedKinds) {
      const gv = comm.gatherv(contrib(cls, r, r + 2), root);
      if (r === root) {
        const parts = ranks.map((k) => contrib(cls, k, k + 2));
        assert.deepStrictEqual(gv!.counts, ranks.map((k) => k + 2));
        assert.deepStrictEqual(Array.from(gv!.data), parts.flatMap((x: any) => Array.from(x)));
        assert.equal(gv!.data.constructor, cls);
      } else assert.equal(gv, null);
    }
    const gi = comm.gatherInto(contrib(Float32Array, r, 4), r === root ? new Float32Array(4 * p) : null, root);
    if (r === root) assert.deepStrictEqual(Array.from(gi!), ranks.flatMap((k) => Array.from(contrib(Float32Array, k, 4) as Float32Array)));

    // reduce with every op that makes sense, objects and typed arrays
    assert.equal(comm.reduce(r + 1, Op.SUM, root), r === root ? (p * (p + 1)) / 2 : undefined);
    assert.equal(comm.reduce(r + 1, Op.PROD, root), r === root ? ranks.reduce((a, k) => a * (k + 1), 1) : undefined);
    assert.equal(comm.reduce(10 - r, Op.MIN, root), r === root ? 10 - (p - 1) : undefined);
    assert.equal(comm.reduce(r, Op.MAX, root), r === root ? p - 1 : undefined);
    for (const cls of typedKinds) {
      for (const n of [3, 20_000]) {
        const red = comm.reduce(contrib(cls, r, n), Op.SUM, root);
        if (r === root) {
          const exp = contrib(cls, 0, n);
          for (let k = 1; k < p; k++) { const c = contrib(cls, k, n); for (let i = 0; i < n; i++) exp[i] += c[i]; }
          assert.deepStrictEqual(red, exp);
        } else assert.equal(red, undefined);
      }
    }
    // non-commutative user op keeps rank order
    assert.equal(comm.reduce(String.fromCharCode(97 + r), concat, root), r === root ? ranks.map((k) => String.fromCharCode(97 + k)).join('') : undefined);
    const out = new Float64Array(5);
    const ri = comm.reduceInto(contrib(Float64Array, r, 5), r === root ? out : null, Op.MAX, root);
    if (r === root) assert.deepStrictEqual(ri, contrib(Float64Array, p - 1, 5).map((x: number, i: number) => Math.max(...ranks.map((k) => (contrib(Float64Array, k, 5) as Float64Array)[i]))));
  }

  // allgather family
  assert.deepStrictEqual(comm.allgather(obj(r)), ranks.map(obj));
  const agv = comm.allgatherv(contrib(Int32Array, r, r));
  assert.deepStrictEqual(Array.from(agv.data), ranks.flatMap((k) => Array.from(contrib(Int32Array, k, k) as Int32Array)));
  const agi = comm.allgatherInto(contrib(BigInt64Array, r, 2), new BigInt64Array(2 * p));
  assert.deepStrictEqual(Array.from(agi), ranks.flatMap((k) => Array.from(contrib(BigInt64Array, k, 2) as BigInt64Array)));

  // alltoall
  assert.deepStrictEqual(comm.alltoall(ranks.map((k) => `${r}->${k}`)), ranks.map((k) => `${k}->${r}`));
  assert.deepStrictEqual(comm.alltoall(ranks.map((k) => new Int16Array([r, k]))), ranks.map((k) => new Int16Array([k, r])));

  // allreduce: small and large typed arrays (ring), objects, ops, non-commutative, Into, nonblocking
  for (const cls of typedKinds) {
    for (const n of [1, 5, 20_000]) {
      const exp = contrib(cls, 0, n);
      for (let k = 1; k < p; k++) { const c = contrib(cls, k, n); for (let i = 0; i < n; i++) exp[i] += c[i]; }
      const got = comm.allreduce(contrib(cls, r, n), Op.SUM);
      assert.equal(got.constructor, cls);
      assert.deepStrictEqual(got, exp);
      const maxed = comm.allreduce(contrib(cls, r, n), Op.MAX);
      for (let i = 0; i < n; i += 997) assert.equal(maxed[i], ranks.map((k) => contrib(cls, k, n)[i]).reduce((a: any, b: any) => (b > a ? b : a)));
    }
  }
  assert.equal(comm.allreduce(r + 0.5), ranks.reduce((a, k) => a + k + 0.5, 0));
  assert.deepStrictEqual(comm.allreduce([r, 1, 2n ** 60n]), [ranks.reduce((a, b) => a + b, 0), p, 2n ** 60n * BigInt(p)]);
  assert.equal(comm.allreduce(r % 2 === 0, Op.LAND), p === 1);
  assert.equal(comm.allreduce(r === 0, Op.LOR), true);
  assert.equal(comm.allreduce(1 << r % 30, Op.BOR), ranks.reduce((a, k) => a | (1 << k % 30), 0));
  assert.equal(comm.allreduce(0xff ^ (1 << r % 8), Op.BAND), ranks.reduce((a, k) => a & (0xff ^ (1 << k % 8)), 0xff));
  assert.deepStrictEqual(comm.allreduce([(r * 7) % 5, r], Op.MINLOC), ranks.map((k) => [(k * 7) % 5, k]).reduce((a, b) => (b[0] < a[0] ? b : a)));
  assert.deepStrictEqual(comm.allreduce([(r * 7) % 5, r], Op.MAXLOC), ranks.map((k) => [(k * 7) % 5, k]).reduce((a, b) => (b[0] > a[0] ? b : a)));
  const locs = comm.allreduce(new Float64Array([(r * 3) % 4, r, -r, r]), Op.MINLOC);
  assert.deepStrictEqual(Array.from(locs), [Math.min(...ranks.map((k) => (k * 3) % 4)), ranks.find((k) => (k * 3) % 4 === Math.min(...ranks.map((j) => (j * 3) % 4)))!, -(p - 1), p - 1]);
  const matmul = Op.create((a: number[], b: number[]) => [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]]);
  const mats = ranks.map((k) => [1, k + 1, 0, 1 + (k % 2)]);
  const matExp = mats.reduce((a, b) => matmul.apply(a, b) as number[]);
  assert.deepStrictEqual(comm.allreduce(mats[r], matmul), matExp);
  const inplace = contrib(Float64Array, r, 9);
  comm.allreduceInto(inplace, inplace, Op.SUM);
  assert.deepStrictEqual(inplace, ranks.map((k) => contrib(Float64Array, k, 9)).reduce((a: any, b: any) => a.map((x: number, i: number) => x + b[i])));
  for (const n of [9, 20_000]) {
    const expSum = ranks.map((k) => contrib(Int32Array, k, n)).reduce((a: any, b: any) => a.map((x: number, i: number) => x + b[i]));
    const same = contrib(Int32Array, r, n);
    assert.deepStrictEqual(comm.allreduceInto(same, same, Op.SUM), expSum); // in place
    const other = new Int32Array(n + 3);
    comm.allreduceInto(contrib(Int32Array, r, n), other, Op.SUM);
    assert.deepStrictEqual(other.subarray(0, n), expSum);
    assert.deepStrictEqual(Array.from(other.subarray(n)), [0, 0, 0]);
  }
  const reqs = [comm.iallreduce(r), comm.iallreduce(new Float64Array([r, 2])), comm.ibcast('z', p - 1)];
  assert.deepStrictEqual(Request.waitAll(reqs as Request<unknown>[]), [(p * (p - 1)) / 2, new Float64Array([(p * (p - 1)) / 2, 2 * p]), 'z']);

  // scan / exscan, commutative and not
  assert.equal(comm.scan(r + 1), ((r + 1) * (r + 2)) / 2);
  assert.equal(comm.exscan(r + 1), r === 0 ? undefined : (r * (r + 1)) / 2);
  const letters = ranks.map((k) => String.fromCharCode(65 + k));
  assert.equal(comm.scan(letters[r], concat), letters.slice(0, r + 1).join(''));
  assert.equal(comm.exscan(letters[r], concat), r === 0 ? undefined : letters.slice(0, r).join(''));
  assert.deepStrictEqual(comm.scan(contrib(Int32Array, r, 4)), ranks.slice(0, r + 1).map((k) => contrib(Int32Array, k, 4)).reduce((a: any, b: any) => a.map((x: number, i: number) => x + b[i])));

  // reduceScatter: arrays of one value per rank, typed arrays of equal blocks
  assert.equal(comm.reduceScatter(ranks.map((k) => k * 100 + r)), ranks.reduce((a, k) => a + r * 100 + k, 0));
  const blocksIn = Int32Array.from({ length: 2 * p }, (_, i) => i * (r + 1));
  const mineRs = comm.reduceScatter(blocksIn) as Int32Array;
  assert.deepStrictEqual(Array.from(mineRs), [2 * r, 2 * r + 1].map((i) => ranks.reduce((a, k) => a + i * (k + 1), 0)));
  assert.equal(comm.reduceScatter(ranks.map((k) => letters[(k + r) % p]), concat), ranks.map((k) => letters[(r + k) % p]).join(''));

  // bad input
  assert.throws(() => comm.bcast(1, p), ArgumentError);
  assert.throws(() => comm.reduce(1, 'sum' as never), /op must be an Op/);
  if (r === 0) assert.throws(() => comm.scatter(Array(p + 1).fill(1), 0), /one value per rank/);
  assert.throws(() => comm.alltoall(Array(p + 1).fill(1)), /one value per rank/);
  ok(`${tag}: every collective on ${p} ranks matches the serial result`);
}

checkComm(world, 'world');
// The same on a split communicator and a dup, whose traffic must not mix with world's.
const half = world.split(world.rank % 2, world.size - world.rank)!;
const dup = world.dup();
const tagged = world.irecv(world.rank, 4242);
world.send('p2p stays apart', world.rank, 4242);
checkComm(half, 'split');
checkComm(dup, 'dup');
assert.equal(tagged.wait(), 'p2p stays apart');

// A root that broadcasts more small values than any flow-control credit count allows and then
// stays out of simdeck: every value still reaches every rank (none waits at the root for its
// next call), which the others prove with files while the root only watches the directory.
if (world.size > 1) {
  const K = 40;
  const dir = world.bcast(world.rank === 0 ? mkdtempSync(join(tmpdir(), 'simdeck-bcast-')) : null, 0) as string;
  for (let i = 0; i < K; i++) assert.equal(world.bcast(world.rank === 0 ? i : null, 0), i);
  if (world.rank === 0) {
    const deadline = Date.now() + 30_000;
    while (readdirSync(dir).length < world.size - 1 && Date.now() < deadline) { /* no simdeck call meanwhile */ }
    const got = readdirSync(dir).length;
    rmSync(dir, { recursive: true });
    assert.equal(got, world.size - 1, 'every rank received every bcast while the root stayed out of simdeck');
  } else {
    writeFileSync(join(dir, `got-${world.rank}`), '');
  }
}
ok('a root that stays out of simdeck after its bcasts holds none of them back');
console.log(`DONE ${world.rank}`);
