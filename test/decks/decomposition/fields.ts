// Conformance deck: Grid geometry and every DistributedArray operation (halo exchange,
// split-phase exchange, accumulateGhosts, gather, scatter, gatherRegion, sum/min/max/norm2/dot,
// fill, copy, index conversion) on many decompositions: 1-D, 2-D and 3-D, even and uneven
// splits, custom ownership, C and F layouts, star and box stencils, periodic or not, dof 1 to 3,
// several element types. Each result is compared with the serial computation every rank can do
// from the grid's geometry. Any world size.
import assert from 'node:assert/strict';
import { world, Op } from 'simdeck';
import { Grid, type GridOptions, type DistributedArray } from 'simdeck/decomposition';
import { f, filled, label, naturalOffset, okFrom, outside, points, wrap } from './common.js';

const p = world.size, me = world.rank;
const ok = okFrom(me);

// ------------------------------------------------------------ decompositions to test
const sizes = Array.from({ length: p }, (_, r) => 1 + ((r * 2) % 3)); // custom ownership: 1, 3, 2, 1, 3, ...
const custom = sizes.reduce((a, b) => a + b, 0);
const configs: GridOptions[] = [
  { shape: [23], ghosts: 2 },
  { shape: [23], ghosts: 1, periodic: true, dof: 2 },
  { shape: [2 * p + 1], ghosts: 2, periodic: true, layout: 'F' },
  { shape: [13, 11], ghosts: 1 },
  { shape: [13, 11], ghosts: 1, stencil: 'box' },
  { shape: [13, 11], ghosts: 2, stencil: 'box', periodic: true },
  { shape: [13, 11], ghosts: [1, 2], stencil: 'star', periodic: [true, false], layout: 'F' },
  { shape: [13, 11], ghosts: 1, stencil: 'box', periodic: [false, true], layout: 'F', dof: 3 },
  { shape: [9, 17], ghosts: 1, stencil: 'box', periodic: true, procs: [1, 0] },
  { shape: [17, 9], ghosts: [2, 0], periodic: true, procs: [0, 1] },
  { shape: [custom, 7], ghosts: 1, stencil: 'box', periodic: true, ownership: [sizes, null] },
  { shape: [6, custom], ghosts: 1, stencil: 'star', layout: 'F', ownership: [null, sizes], dof: 2 },
  { shape: [7, 6, 5], ghosts: 1 },
  { shape: [7, 6, 5], ghosts: 1, stencil: 'box', periodic: true },
  { shape: [7, 6, 5], ghosts: 1, stencil: 'box', periodic: [true, false, true], layout: 'F', dof: 2 },
  { shape: [5, 8, 6], ghosts: [0, 1, 2], stencil: 'box', periodic: [false, true, true] },
];
if (p % 2 === 0) configs.push({ shape: [12, 10], ghosts: 1, stencil: 'box', periodic: true, procs: [2, p / 2] });

/** Owned points get f(x, c), ghosts a sentinel; returns the array. */
function seeded<A extends Float64Array | Float32Array | Int32Array>(g: Grid, type: { new(n: number): A; BYTES_PER_ELEMENT: number; name: string }): DistributedArray<A> {
  const a = g.zeros(type);
  a.data.fill(-1);
  a.fill((...ix: number[]) => f(ix.slice(0, g.ndim), ix[g.ndim]));
  return a;
}

/** After an exchange: owned points intact, filled ghosts = f(wrapped index), others still -1. */
function checkHalo(g: Grid, a: DistributedArray<Float64Array | Float32Array | Int32Array>, what: string): void {
  const gc = a.ghostCorners();
  for (const x of points(gc.start, gc.size)) {
    for (let c = 0; c < g.dof; c++) {
      const got = a.get(x, c);
      const owned = outside(x, g.start, g.size) === 0;
      const exp = owned ? f(x, c) : filled(g, x, g.start, g.size) ? f(wrap(g, x)!, c) : -1;
      if (got !== exp) assert.fail(`${what} on ${String(g)}: rank ${me} point [${x}] component ${c} holds ${got}, expected ${exp}`);
    }
  }
}

let exchanges = 0;
for (const o of configs) {
  const g = new Grid(world, o);
  const tag = `${label(o)} as ${String(g)}`;

  // ---------------------------------------------------------- geometry
  assert.equal(g.procs.reduce((x, y) => x * y, 1), p, tag);
  const owners = new Map<string, number>();
  for (let r = 0; r < p; r++) {
    const b = g.blockOf(r);
    assert.deepEqual(g.coordsOf(r).map((c, d) => g.offsets[d][c]), b.start, tag);
    assert.equal(g.rankOf(g.coordsOf(r)), r, tag);
    for (const x of points(b.start, b.size)) {
      const k = x.join(',');
      assert.ok(!owners.has(k), `${tag}: point ${k} owned twice`);
      owners.set(k, r);
      assert.equal(g.ownerOf(x), r, `${tag}: ownerOf(${k})`);
    }
  }
  assert.equal(owners.size, g.shape.reduce((x, y) => x * y, 1), `${tag}: every point owned`);
  const u = seeded(g, Float64Array);
  const cor = u.corners(), gcor = u.ghostCorners();
  assert.deepEqual(cor, g.blockOf(me));
  assert.deepEqual(gcor.start, cor.start.map((s, d) => s - g.ghosts[d]));
  assert.deepEqual([...u.localShape], cor.size);
  assert.deepEqual([...u.localShapeWithGhosts], gcor.size);
  assert.deepEqual([...u.globalShape], o.shape);
  assert.equal(u.data.length, gcor.size.reduce((x, y) => x * y, 1) * g.dof);
  // localIndex is a bijection onto data, in the layout's order, and globalIndex inverts it
  const seen = new Uint8Array(u.data.length);
  let prev = -1;
  const order = g.layout === 'C' ? [...points(gcor.start, gcor.size)] : [...points([...gcor.start].reverse(), [...gcor.size].reverse())].map((x) => x.reverse());
  for (const x of order) {
    for (let c = 0; c < g.dof; c++) {
      const i = u.localIndex(x, c);
      assert.equal(i, prev + 1, `${tag}: localIndex follows ${g.layout} order`);
      prev = i;
      seen[i]++;
      assert.deepEqual(u.globalIndex(i), x);
    }
  }
  assert.ok(seen.every((s) => s === 1));
  assert.throws(() => u.localIndex(gcor.start.map((s) => s - 1)), /outside this rank's block/);

  // ---------------------------------------------------------- halo exchange, three ways
  u.exchange();
  checkHalo(g, u, 'exchange');
  const v = seeded(g, Float64Array);
  v.exchangeBegin();
  v.exchangeEnd();
  checkHalo(g, v, 'exchangeBegin/End');
  // swapped buffers (the time-stepping pattern) keep working, twice round
  for (let k = 0; k < 2; k++) {
    [u.data, v.data] = [v.data, u.data];
    u.data.fill(-1, 0, u.data.length); u.fill((...ix: number[]) => f(ix.slice(0, g.ndim), ix[g.ndim]));
    u.exchange();
    checkHalo(g, u, 'exchange after swapping data');
  }
  // two arrays in flight at once
  const w1 = seeded(g, Float32Array), w2 = seeded(g, Int32Array);
  w1.exchangeBegin(); w2.exchangeBegin();
  w2.exchangeEnd(); w1.exchangeEnd();
  checkHalo(g, w1, 'Float32Array exchange overlapped with another');
  checkHalo(g, w2, 'Int32Array exchange');
  exchanges++;

  // ---------------------------------------------------------- accumulateGhosts
  const gval = (r: number, x: readonly number[], c: number) => (r + 1) * 1000 + x.reduce((acc, xi, d) => acc + (xi + 3) * (d + 2), 0) * 4 + c;
  const acc = g.zeros(Float64Array);
  for (const x of points(gcor.start, gcor.size)) {
    const inside = outside(x, g.start, g.size) === 0;
    for (let c = 0; c < g.dof; c++) acc.set(x, inside ? f(x, c) : gval(me, x, c), c);
  }
  const expect = new Map<string, number>();
  for (let r = 0; r < p; r++) {
    const b = g.blockOf(r);
    const gs = b.start.map((s, d) => s - g.ghosts[d]), gz = b.size.map((s, d) => s + 2 * g.ghosts[d]);
    for (const x of points(gs, gz)) {
      if (!filled(g, x, b.start, b.size)) continue;
      const y = wrap(g, x)!;
      if (!u.owns(y)) continue;
      for (let c = 0; c < g.dof; c++) {
        const k = `${y.join(',')}/${c}`;
        expect.set(k, (expect.get(k) ?? 0) + gval(r, x, c));
      }
    }
  }
  acc.accumulateGhosts();
  for (const x of points(gcor.start, gcor.size)) {
    const inside = outside(x, g.start, g.size) === 0;
    for (let c = 0; c < g.dof; c++) {
      const exp = inside ? f(x, c) + (expect.get(`${x.join(',')}/${c}`) ?? 0) : gval(me, x, c);
      if (acc.get(x, c) !== exp) assert.fail(`accumulateGhosts on ${tag}: rank ${me} point [${x}]/${c} holds ${acc.get(x, c)}, expected ${exp}`);
    }
  }

  // ---------------------------------------------------------- gather, scatter, gatherRegion
  const total = g.shape.reduce((x, y) => x * y, 1) * g.dof;
  const serial = new Float64Array(total);
  for (const x of points(new Array(g.ndim).fill(0), g.shape)) for (let c = 0; c < g.dof; c++) serial[naturalOffset(g.shape, g.layout, g.dof, x, c)] = f(x, c);
  for (const root of new Set([0, p - 1])) {
    const got = u.gather(root);
    if (me === root) assert.deepEqual(got, serial, `${tag}: gather to ${root}`);
    else assert.equal(got, null);
    const i32 = w2.gather(root);
    if (me === root) assert.deepEqual(i32, Int32Array.from(serial), `${tag}: Int32Array gather`);
  }
  const s = g.zeros(Float64Array);
  s.data.fill(-7);
  const scattered = Float64Array.from(serial, (x) => x * 3 + 1);
  s.scatter(me === p - 1 ? scattered : null, p - 1);
  for (const x of points(gcor.start, gcor.size)) {
    for (let c = 0; c < g.dof; c++) {
      const exp = outside(x, g.start, g.size) === 0 ? scattered[naturalOffset(g.shape, g.layout, g.dof, x, c)] : -7;
      if (s.get(x, c) !== exp) assert.fail(`scatter on ${tag}: rank ${me} point [${x}]/${c} holds ${s.get(x, c)}, expected ${exp}`);
    }
  }
  assert.deepEqual(s.gather(0) ?? scattered, scattered, `${tag}: scatter then gather round-trips`);
  const regions = [
    { region: {}, stride: 2 },
    { region: { start: g.shape.map((n) => Math.floor(n / 3)), end: g.shape.map((n) => Math.max(Math.floor(n / 3) + 1, n - 1)) }, stride: g.shape.map((_, d) => d + 1) },
    { region: { start: g.shape.map((n) => n - 1) }, stride: 5 },
  ];
  for (const { region, stride } of regions) {
    const shape = g.regionShape(region, stride);
    const got = u.gatherRegion(region, 0, stride);
    if (me !== 0) { assert.equal(got, null); continue; }
    const st = region.start ?? g.shape.map(() => 0);
    const sd = Array.isArray(stride) ? stride : g.shape.map(() => stride as number);
    const exp = new Float64Array(shape.reduce((x, y) => x * y, 1) * g.dof);
    for (const y of points(shape.map(() => 0), shape)) {
      const x = y.map((yi, d) => st[d] + yi * sd[d]);
      for (let c = 0; c < g.dof; c++) exp[naturalOffset(shape, g.layout, g.dof, y, c)] = f(x, c);
    }
    assert.deepEqual(got, exp, `${tag}: gatherRegion ${JSON.stringify({ region, stride })}`);
  }

  // ---------------------------------------------------------- reductions, identical on every rank
  const vals = Array.from(serial);
  const sumExp = vals.reduce((a, b) => a + b, 0);
  const sqExp = vals.reduce((a, b) => a + b * b, 0);
  assert.equal(u.sum(), sumExp, `${tag}: sum`);
  assert.equal(u.min(), Math.min(...vals));
  assert.equal(u.max(), Math.max(...vals));
  assert.equal(u.norm2(), Math.sqrt(sqExp));
  assert.equal(u.dot(s), vals.reduce((a, b) => a + b * (b * 3 + 1), 0), `${tag}: dot`);
  assert.equal(w1.sum(), sumExp, `${tag}: Float32Array sum`);
  assert.equal(w2.max(), Math.max(...vals), `${tag}: Int32Array max`);
  const neg = u.copy();
  neg.fill((...ix: number[]) => -f(ix.slice(0, g.ndim), ix[g.ndim]) / 8);
  assert.equal(neg.min(), -Math.max(...vals) / 8);
  assert.equal(neg.max(), -Math.min(...vals) / 8);
  // random floats: every rank gets the same bits, close to the serial sum
  const rnd = (x: readonly number[], c: number) => Math.sin(f(x, c) * 12.9898) * 43758.5453 % 1;
  const fr = g.zeros(Float64Array).fill((...ix: number[]) => rnd(ix.slice(0, g.ndim), ix[g.ndim]));
  const sums = world.allgather([fr.sum(), fr.norm2(), fr.dot(u), fr.min(), fr.max()]);
  assert.ok(sums.every((x) => x.every((v, k) => Object.is(v, sums[0][k]))), `${tag}: reductions are identical on every rank`);
  let fs = 0;
  for (const x of points(new Array(g.ndim).fill(0), g.shape)) for (let c = 0; c < g.dof; c++) fs += rnd(x, c);
  assert.ok(Math.abs(sums[0][0] - fs) < 1e-9 * Math.max(1, Math.abs(fs)), `${tag}: float sum ${sums[0][0]} vs serial ${fs}`);
  // NaN anywhere makes min and max NaN everywhere
  if (me === p - 1) fr.set(g.start, NaN);
  assert.ok(Number.isNaN(fr.min()) && Number.isNaN(fr.max()), `${tag}: NaN propagates`);

  // ---------------------------------------------------------- fill and copy
  const c1 = u.copy();
  assert.notEqual(c1.data, u.data);
  assert.deepEqual(c1.data, u.data);
  const narrow = new Grid(world, { ...o, ghosts: 0, stencil: 'box' });
  const c2 = u.copy(narrow.zeros(Float64Array));
  assert.deepEqual(c2.gather(0), u.gather(0));
  assert.equal(c2.dot(c2), u.dot(u));
  const filledConst = g.zeros(Float64Array).fill(2.5);
  assert.equal(filledConst.sum(), 2.5 * total);
  assert.equal(filledConst.data.filter((x) => x === 2.5).length, g.size.reduce((x, y) => x * y, 1) * g.dof, 'fill leaves ghosts alone');
  world.barrier();
}
ok(`geometry, index conversion and ownership on ${configs.length} decompositions of ${p} ranks`);
ok(`exchange, exchangeBegin/End, swapped data and overlapped arrays fill exactly the right ghosts (${exchanges} decompositions)`);
ok('accumulateGhosts adds every ghost into its owner');
ok('gather to first and last rank, scatter, gatherRegion with strides match the serial field');
ok('sum, min, max, norm2, dot match the serial values and are identical on every rank; NaN propagates');
ok('fill and copy (same grid and a grid without ghosts)');

// ---------------------------------------------------------- other element types on one grid
{
  const g = new Grid(world, { shape: [11, 10], ghosts: 1, stencil: 'box', periodic: true, dof: 2 });
  for (const T of [Float32Array, Int32Array, Uint16Array, Int8Array] as const) {
    const a = g.zeros(T as unknown as typeof Float32Array);
    a.data.fill(-1 as never);
    a.fill((i: number, j: number, c: number) => ((i * 10 + j) * 2 + c) % 100);
    a.exchange();
    const gc = a.ghostCorners();
    for (const x of points(gc.start, gc.size)) {
      const y = wrap(g, x)!;
      for (let c = 0; c < 2; c++) assert.equal(a.get(x, c), ((y[0] * 10 + y[1]) * 2 + c) % 100, `${T.name} exchange`);
    }
    const got = a.gather(0);
    if (me === 0) {
      assert.equal(got!.constructor, T);
      assert.deepEqual(Array.from(got!), Array.from({ length: 220 }, (_, k) => k % 100));
    }
    assert.equal(a.sum(), Array.from({ length: 220 }, (_, k) => k % 100).reduce((x, y) => x + y, 0));
  }
  const big = g.zeros(BigInt64Array);
  big.fill((i: number, j: number, c: number) => BigInt(i * 1000 + j) * 10n ** 12n + BigInt(c));
  big.exchange();
  assert.equal(big.get([g.start[0] - 1, g.start[1] - 1], 1), BigInt(((g.start[0] + 10) % 11) * 1000 + ((g.start[1] + 9) % 10)) * 10n ** 12n + 1n);
  let bs = 0n;
  for (let i = 0; i < 11; i++) for (let j = 0; j < 10; j++) for (let c = 0; c < 2; c++) bs += BigInt(i * 1000 + j) * 10n ** 12n + BigInt(c);
  assert.equal(big.sum(), bs);
  assert.equal(big.max(), 10009n * 10n ** 12n + 1n);
  assert.equal(big.min(), 0n);
  assert.equal(world.allreduce(1, Op.SUM), p);
}
ok('Float32Array, Int32Array, Uint16Array, Int8Array and BigInt64Array fields exchange, gather and reduce');
console.log(`DONE ${me}`);
