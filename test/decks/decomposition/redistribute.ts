// Conformance deck: redistribution between decompositions of one global shape. Every pair of
// process grids of the world (on 4 ranks: 1×4, 2×2, 4×1), uneven shapes, custom ownership,
// another ghost width, C ↔ F layouts, dof, 3-D; across communicators (world → a slice of it,
// a subset in reversed order) with the function form and a reused Redistribution plan; and the
// mismatches that must be refused. Each result is compared with the serial field; round trips
// must give back the same bits. Any world size.
import assert from 'node:assert/strict';
import { world } from 'simdeck';
import { Grid, GridMismatchError, Redistribution, redistribute, type DistributedArray, type GridOptions } from 'simdeck/decomposition';
import { f, firstDifference, naturalOffset, okFrom, points } from './common.js';

const p = world.size, me = world.rank;
const ok = okFrom(me);

/** Pseudo-random, full-precision values (a round trip must keep every bit). */
const rnd = (x: readonly number[], c: number) => Math.sin(f(x, c) * 12.9898) * 43758.5453 % 1;

/** Owned points of `a` hold value(x, c); ghosts are not looked at. */
function checkOwned(a: DistributedArray<Float64Array>, value: (x: number[], c: number) => number, what: string): void {
  const g = a.grid;
  for (const x of points(g.start, g.size)) {
    for (let c = 0; c < g.dof; c++) {
      if (!Object.is(a.get(x, c), value(x, c))) assert.fail(`${what}: rank ${me} point [${x}]/${c} holds ${a.get(x, c)}, expected ${value(x, c)}`);
    }
  }
}

function seeded(g: Grid, value: (x: number[], c: number) => number): DistributedArray<Float64Array> {
  const a = g.zeros(Float64Array);
  a.fill((...ix: number[]) => value(ix.slice(0, g.ndim), ix[g.ndim]));
  return a;
}

/** Every ordered factorization of `total` into `n` factors. */
function factorizations(n: number, total = p): number[][] {
  if (n === 1) return [[total]];
  const out: number[][] = [];
  for (let a = 1; a <= total; a++) if (total % a === 0) for (const rest of factorizations(n - 1, total / a)) out.push([a, ...rest]);
  return out;
}

// ------------------------------------------------------------ every pair of process grids, 2-D
const shape2 = [13, 11];
const procs2 = factorizations(2).filter((q) => q.every((x, d) => x <= shape2[d]));
let pairs = 0;
for (const a of procs2) {
  const ga = new Grid(world, { shape: shape2, procs: a, ghosts: 1 });
  const u = seeded(ga, rnd);
  for (const b of procs2) {
    const gb = new Grid(world, { shape: shape2, procs: b, ghosts: 1, stencil: 'box' });
    const v = u.redistribute(gb);
    assert.equal(v.grid, gb);
    checkOwned(v, rnd, `[${a}] → [${b}]`);
    const back = v.redistribute(ga.zeros(Float64Array));
    checkOwned(back, rnd, `[${a}] → [${b}] → [${a}]`);
    pairs++;
  }
}
ok(`redistribute round-trips bit for bit between every pair of ${procs2.length} process grids of ${p} ranks (${procs2.map((q) => q.join('×')).join(', ')}; ${pairs} pairs)`);

// ------------------------------------------------------------ other ownership, ghosts, layout, dof, 3-D
const sizes = Array.from({ length: p }, (_, r) => 1 + ((r * 2) % 3));
const n0 = sizes.reduce((x, y) => x + y, 0);
const variants: [GridOptions, GridOptions][] = [
  [{ shape: [n0, 9], ownership: [sizes, null], ghosts: 1 }, { shape: [n0, 9], ghosts: 0, layout: 'F' }],
  [{ shape: [n0, 9], ghosts: 1, dof: 2, layout: 'F', procs: [1, 0] }, { shape: [n0, 9], ghosts: 1, dof: 2, ownership: [sizes, null], stencil: 'box', periodic: true }],
  [{ shape: [7, 6, 5], ghosts: 1, procs: [p <= 7 ? p : 0, 0, 0] }, { shape: [7, 6, 5], ghosts: 1, layout: 'F', dof: 1 }],
  [{ shape: [7, 6, 5], ghosts: 1, dof: 3, layout: 'F' }, { shape: [7, 6, 5], ghosts: 0, dof: 3, procs: [0, 0, p <= 5 ? p : 0] }],
  [{ shape: [40], ghosts: 2, periodic: true }, { shape: [40], ghosts: 0, ownership: [Array.from({ length: p }, (_, r) => (r === 0 ? 40 - (p - 1) : 1))] }],
];
for (const [oa, ob] of variants) {
  const ga = new Grid(world, oa), gb = new Grid(world, ob);
  const u = seeded(ga, rnd);
  const v = u.redistribute(gb);
  checkOwned(v, rnd, `${String(ga)} → ${String(gb)}`);
  const back = ga.zeros(Float64Array);
  assert.equal(v.redistribute(back), back);
  checkOwned(back, rnd, `${String(gb)} → ${String(ga)}`);
  const whole = v.gather(0);
  if (me === 0) {
    const exp = new Float64Array(gb.shape.reduce((x, y) => x * y, 1) * gb.dof);
    for (const x of points(gb.shape.map(() => 0), gb.shape)) for (let c = 0; c < gb.dof; c++) exp[naturalOffset(gb.shape, gb.layout, gb.dof, x, c)] = rnd(x, c);
    assert.equal(firstDifference(whole!, exp), -1, `${String(gb)}: gathered field`);
  }
}
ok('redistribute between custom ownership, other ghost widths, C and F layouts, dof 2 and 3, 1-D and 3-D');

// ------------------------------------------------------------ across communicators
if (p >= 2) {
  const rest = world.slice(1);                       // every rank but 0
  const ga = new Grid(world, { shape: [11, 9], ghosts: 1 });
  const gb = rest ? new Grid(rest, { shape: [11, 9], ghosts: 1, layout: 'F' }) : null;
  const u = seeded(ga, rnd);
  const v = gb ? gb.zeros(Float64Array) : null;
  redistribute(u, v, world);
  if (v) checkOwned(v, rnd, 'world → world.slice(1)');
  const back = ga.zeros(Float64Array);
  redistribute(v, back, world);
  checkOwned(back, rnd, 'world.slice(1) → world');
  // a reusable plan, run several times with different data
  const plan = new Redistribution(gb, ga, world);
  for (let k = 1; k <= 3; k++) {
    if (v) v.fill((i: number, j: number) => rnd([i, j], 0) * k);
    const out = ga.zeros(Float64Array);
    plan.run(v, out);
    checkOwned(out, (x, c) => rnd(x, c) * k, `plan run ${k}`);
  }
  plan.free();
  // the same processes in reversed order: the method form maps the ranks by groups
  const rev = world.subset(Array.from({ length: p }, (_, r) => p - 1 - r))!;
  const gr = new Grid(rev, { shape: [11, 9], ghosts: 1, procs: [1, p] });
  const w = u.redistribute(gr);
  checkOwned(w, rnd, 'world → reversed world');
  checkOwned(w.redistribute(ga), rnd, 'reversed world → world');
  ok('redistribute across communicators: world → world.slice(1) and back, a reused plan, a reversed subset');
  // a target on other processes needs the function form
  if (gb && rest!.size > 1) {
    const only = new Grid(rest!, { shape: [11, 9] });
    const other = rest!.slice(0, 1);
    const tiny = other ? new Grid(other, { shape: [11, 9] }) : null;
    if (tiny) assert.throws(() => only.zeros(Float64Array).redistribute(tiny), (e: unknown) => e instanceof GridMismatchError && /lives on other processes/.test((e as Error).message));
  }
}

// ------------------------------------------------------------ mismatches are refused
{
  const g = new Grid(world, { shape: [12, 8] });
  const u = g.zeros(Float64Array);
  for (const [o, re] of [
    [{ shape: [12, 9] }, /different global shapes, \[12, 8\] and \[12, 9\]/],
    [{ shape: [12, 8, 1] }, /different global shapes/],
    [{ shape: [12, 8], dof: 2 }, /1 and 2 components per point/],
  ] as [GridOptions, RegExp][]) {
    const h = new Grid(world, o);
    assert.throws(() => u.redistribute(h), (e: unknown) => e instanceof GridMismatchError && re.test((e as Error).message));
    assert.throws(() => new Redistribution(g, h, world), (e: unknown) => e instanceof GridMismatchError && re.test((e as Error).message));
  }
  const h = new Grid(world, { shape: [12, 8], procs: [1, p] });
  assert.throws(() => redistribute(u, h.zeros(Float32Array) as never, world), (e: unknown) => e instanceof GridMismatchError && /Float64Array, Float32Array|Float32Array, Float64Array/.test((e as Error).message));
  if (p > 1) assert.throws(() => u.dot(h.zeros(Float64Array)), (e: unknown) => e instanceof GridMismatchError && /different blocks/.test((e as Error).message));
}
ok('mismatched shapes, dof and element types are GridMismatchErrors naming the difference');
console.log(`DONE ${me}`);
