// Conformance deck: decompositions that cannot work and calls out of order are typed errors
// whose messages name the problem and what to change. Every rank sees the same error (the
// checks are local arithmetic on options every rank shares), so the job goes on afterwards.
// Any world size.
import assert from 'node:assert/strict';
import { world, ArgumentError, SimdeckError } from 'simdeck';
import {
  Grid, DecompositionError, ExchangeStateError, GhostWidthError, GridMismatchError, OwnershipError, ProcessGridError,
} from 'simdeck/decomposition';
import { okFrom } from './common.js';

const p = world.size, me = world.rank;
const ok = okFrom(me);

/** Asserts that fn throws an instance of cls whose message matches re; returns the error. */
function refuses<E extends Error>(fn: () => unknown, cls: new (...a: any[]) => E, re: RegExp): E {
  let caught: unknown = null;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof cls, `expected ${cls.name} matching ${re}, got ${caught === null ? 'no error' : String(caught)}`);
  assert.ok(caught instanceof SimdeckError, `${cls.name} is a SimdeckError`);
  assert.match((caught as Error).message, re);
  assert.equal((caught as Error).name, cls.name);
  return caught as E;
}

// ------------------------------------------------------------ process grids
const pg = refuses(() => new Grid(world, { shape: [64, 64], procs: [p + 1, 1] }), ProcessGridError,
  new RegExp(`procs \\[${p + 1}, 1\\] multiply to ${p + 1} processes but the communicator has ${p}`));
assert.deepEqual(pg.procs, [p + 1, 1]);
assert.equal(pg.commSize, p);
assert.ok(pg instanceof DecompositionError);
if (p >= 2) {
  refuses(() => new Grid(world, { shape: [1, 1] }), ProcessGridError, /no process grid of \d+ processes fits the shape \[1, 1\]/);
  refuses(() => new Grid(world, { shape: [p - 1 || 1, 50], procs: [p, 0] }), ProcessGridError, /fits the shape/);
}
if (p % 2 === 1 && p > 1) refuses(() => new Grid(world, { shape: [8, 8], procs: [2, 0] }), ProcessGridError, /do not divide|does not divide/);
ok('procs that do not multiply to the communicator size, or do not fit the shape, are ProcessGridErrors');

// ------------------------------------------------------------ ownership
refuses(() => new Grid(world, { shape: [10, 4], ownership: [[...new Array(p - 1).fill(1), 1 + 1], null] }), OwnershipError,
  new RegExp(`ownership\\[0\\] = \\[.*\\] adds up to ${p + 1} points but the shape has 10 along dimension 0`));
const oe = refuses(() => new Grid(world, { shape: [10, 4], ownership: [null, [0, ...new Array(p - 1).fill(1)]] }), OwnershipError,
  /ownership\[1\]\[0\] is 0: every process must own at least one point along dimension 1/);
assert.equal(oe.dim, 1);
refuses(() => new Grid(world, { shape: [10, 4], ownership: [[10], null], procs: [2, 0] }), OwnershipError, /ownership\[0\] lists 1 blocks but procs\[0\] is 2/);
refuses(() => new Grid(world, { shape: [10, 4], ownership: [[10]] }), OwnershipError, /ownership must hold 2 entries/);
ok('ownership ranges that do not add up to the shape are OwnershipErrors naming the dimension');

// ------------------------------------------------------------ ghosts wider than a block
const ge = refuses(() => new Grid(world, { shape: [2 * p], ghosts: 3, periodic: true }), GhostWidthError,
  /the ghost width 3 along dimension 0 is wider than block \d+ along it \(2 points, from \d+\).*Use fewer processes/);
assert.deepEqual([ge.dim, ge.ghosts, ge.blockSize], [0, 3, 2]);
if (p >= 2) {
  refuses(() => new Grid(world, { shape: [7, 3 * p], ghosts: [1, 4], procs: [1, p] }), GhostWidthError, /ghost width 4 along dimension 1 is wider than block \d+ along it \(3 points/);
  refuses(() => new Grid(world, { shape: [20, 20], ghosts: 2, ownership: [[1, 19 - (p - 2), ...new Array(p - 2).fill(1)], null] }), GhostWidthError, /wider than block 0 along it \(1 points, from 0\)/);
}
// but any ghost width works along an undivided, non-periodic dimension, and exactly a block's width works
new Grid(world, { shape: [3, 4 * p], ghosts: [5, 4], procs: [1, p] });
ok('ghost layers wider than a neighbour\'s block are GhostWidthErrors with the dimension, width and block');

// ------------------------------------------------------------ ranks that disagree
if (p >= 2) {
  refuses(() => new Grid(world, { shape: [16, me === p - 1 ? 17 : 16], ghosts: 1 }), GridMismatchError,
    /ranks passed different options: rank \d+ made Grid\(shape \[16, 1[67]\].* but rank \d+ made Grid\(shape \[16, 1[67]\]/);
}
const g = new Grid(world, { shape: [12, 10], ghosts: 1, periodic: true });
const h = new Grid(world, { shape: [12, 10, 1], ghosts: 1 });
const u = g.zeros(Float64Array);
refuses(() => u.dot(h.zeros(Float64Array) as never), GridMismatchError, /dot: the arrays live on grids with different blocks \(shape \[12, 10, 1\] instead of \[12, 10\]\)/);
refuses(() => u.copy(new Grid(world, { shape: [12, 10], dof: 2 }).zeros(Float64Array)), GridMismatchError, /dof 2 instead of 1/);
refuses(() => u.copy(g.zeros(Float32Array) as never), GridMismatchError, /holds Float32Array but this array Float64Array/);
refuses(() => u.redistribute(h), GridMismatchError, /different global shapes, \[12, 10\] and \[12, 10, 1\]/);
ok('ranks passing different options, and mismatched grids in dot, copy and redistribute, are GridMismatchErrors');

// ------------------------------------------------------------ split-phase order
refuses(() => u.exchangeEnd(), ExchangeStateError, /no exchange is pending on this array; call exchangeBegin\(\) first/);
u.exchangeBegin();
refuses(() => u.exchangeBegin(), ExchangeStateError, /an exchange is already pending on this array; call exchangeEnd\(\) first/);
refuses(() => u.exchange(), ExchangeStateError, /already pending/);
refuses(() => u.accumulateGhosts(), ExchangeStateError, /an exchange is pending/);
refuses(() => { u.data = new Float64Array(u.data.length); }, ExchangeStateError, /call exchangeEnd\(\) before replacing data/);
u.exchangeEnd();
refuses(() => u.exchangeEnd(), ExchangeStateError, /no exchange is pending/);
u.exchange();
ok('exchangeEnd without exchangeBegin, and a second exchange while one is pending, are ExchangeStateErrors');

// ------------------------------------------------------------ malformed arguments
for (const [opts, re] of [
  [{ shape: [0, 4] }, /shape must be 1 to 3 positive integers/],
  [{ shape: [2, 2, 2, 2] }, /shape must be 1 to 3 positive integers/],
  [{ shape: '64x64' }, /shape must be 1 to 3 positive integers/],
  [{ shape: [8], layout: 'X' }, /layout must be 'C' \(row-major\) or 'F'/],
  [{ shape: [8], stencil: 'cross' }, /stencil must be 'star'/],
  [{ shape: [8], dof: 0 }, /dof must be a positive integer/],
  [{ shape: [8, 8], ghosts: [1] }, /ghosts must be an integer ≥ 0 or an array of 2/],
  [{ shape: [8, 8], ghosts: -1 }, /ghosts must be an integer ≥ 0/],
  [{ shape: [8], periodic: 'yes' }, /periodic must be a boolean or an array of 1 booleans/],
  [{ shape: [8], ghost: 1 }, /unknown option 'ghost'; the options are shape, ghosts/],
  [{ shape: [8], procs: [1.5] }, /procs must be an integer ≥ 0/],
] as [object, RegExp][]) refuses(() => new Grid(world, opts as never), ArgumentError, re);
refuses(() => new Grid({} as never, { shape: [4] }), ArgumentError, /comm must be a communicator/);
refuses(() => g.zeros(Array as never), ArgumentError, /pass a typed-array class/);
refuses(() => { u.data = new Float64Array(3); }, ArgumentError, new RegExp(`data must be a Float64Array of ${u.data.length} elements`));
refuses(() => { u.data = new Float32Array(u.data.length) as never; }, ArgumentError, /must be a Float64Array/);
refuses(() => u.localIndex([100, 0]), ArgumentError, /\[100, 0\] is outside this rank's block with ghosts/);
refuses(() => u.localIndex([0]), ArgumentError, /index must be 2 global indices/);
refuses(() => u.get([0, 0], 1), ArgumentError, /component must be from 0 to 0/);
refuses(() => u.globalIndex(-1), ArgumentError, /offset must be from 0 to/);
refuses(() => u.gather(p), ArgumentError, new RegExp(`gather: root must be a rank from 0 to ${p - 1}, got ${p}`));
refuses(() => u.gatherRegion({ start: [5, 0], end: [5, 10] }), ArgumentError, /along dimension 0 the region runs from 5 to 5 \(end excluded\), which is empty/);
refuses(() => u.gatherRegion({}, 0, 0), ArgumentError, /stride must be an integer ≥ 1/);
refuses(() => u.fill('1' as never), ArgumentError, /fill: pass a number or a function of the global index/);
refuses(() => g.zeros(BigInt64Array).norm2(), ArgumentError, /norm2: not defined for BigInt64Array/);
if (me === 0) refuses(() => u.scatter(new Float64Array(5), 0), ArgumentError, /scatter: root must pass the global field as a Float64Array of 120 elements \(\[12, 10\] in C order\)/);
ok('malformed options and arguments are ArgumentErrors that say what to pass');
console.log(`DONE ${me}`);
