// Fuzz deck: thousands of random bad calls over the public API, interleaved with good exchanges.
// Every bad call must throw a SimdeckError before any side effect: nothing sent, nothing taken
// off the queue. Each round, every rank sends numbered messages around a ring and tries bad
// receives on the message waiting for it before taking it; a peer checks every message it
// expected by sequence number, so a message lost, duplicated or sent by a refused call shows.
//
//   npx simdeck run -n 3 test/decks/fuzz.ts [seed] [bad calls per rank]
//
// Seeded and reproducible: the seed (default 1) is printed. Collective bad calls are drawn from
// a generator every rank shares (all ranks make the same bad call, and all refuse it);
// point-to-point and local bad calls from one per rank. Prints per-rank counts, then `OK` lines
// on rank 0 once every rank agrees.
import {
  world, ANY_SOURCE, ANY_TAG, PROC_NULL, Comm, Group, Op, Request, Status, SimdeckError, dimsCreate,
} from 'simdeck';
import { Grid, DistributedArray, Redistribution, redistribute, splitEven, chooseProcs } from 'simdeck/decomposition';

const seed = Number(process.argv[2] ?? process.env.SIMDECK_FUZZ_SEED ?? 1);
const target = Number(process.argv[3] ?? 5000);
const { rank, size } = world;
const right = (rank + 1) % size;
const left = (rank - 1 + size) % size;

/** xorshift32: a small, seedable generator. */
function generator(s: number): () => number {
  let x = (s >>> 0) || 0x9e3779b9;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 0x100000000; };
}
const mine = generator(seed * 7919 + rank * 104729 + 1);   // this rank's own choices
const shared = generator(seed * 15485863 + 7);              // the same on every rank
const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

// ------------------------------------------------------------ bad values

// Made once: a detached array stays detached, a frozen Status frozen.
const DETACHED = (() => { const a = new Float64Array(4); structuredClone(a.buffer, { transfer: [a.buffer] }); return a; })();
const detached = (): Float64Array => DETACHED;
const FROZEN_STATUS = Object.freeze(new Status());
const READ_ONLY_STATUS = (() => { const s = new Status(); Object.defineProperty(s, 'tag', { value: 0, writable: false }); return s; })();
const frozenStatus = (): Status => FROZEN_STATUS;
const readOnlyStatus = (): Status => READ_ONLY_STATUS;
const badRanks = (): unknown[] => [-3, size, size + 7, 1.5, NaN, Infinity, -Infinity, '0', null, {}, [0], 2 ** 31, 2 ** 53, -0.5, true, 1n];
const badTags = (): unknown[] => [-2, -5, 1.5, NaN, 2 ** 31, 2 ** 40, 'x', null, {}, Infinity, 0.1, 1n];
const badStatuses = (): unknown[] => [5, 'x', {}, [], frozenStatus(), readOnlyStatus(), true, 1n, () => 0, new Map()];
const badBuffers = (): unknown[] => [[1, 2], 'abc', 3, {}, new DataView(new ArrayBuffer(8)), detached(), new ArrayBuffer(8), null, true];
const unsendable = (): unknown[] => [() => 1, Symbol('s'), detached(), { f() { return 1; } }, [1, () => 2], { deep: { er: Symbol('x') } }];
const badOps = (): unknown[] => ['SUM', 0, null, {}, (a: number, b: number) => a + b, Op, 'max', [Op.SUM]];
const badCounts = (): unknown[] => [0, NaN, 'x', -1, 0.5, Infinity, null, {}, 2 ** 40];
const badGroups = (): unknown[] => [null, {}, [0], world, 'group', 3];
const badRankLists = (): unknown[] => [[size], [-1], [0.5], 'x', null, [NaN], [0, 0], {}];

/** Any value at all, for calls with random arguments. */
const JUNK: readonly unknown[] = [
  undefined, null, 0, -1, 1, 2, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, 1n, '', 'x', '0', true, false, {}, [], [0],
  [0, 0], [1, 2, 3], [-1, 99], [NaN, 0], [Symbol('s')], [Object.create(null)], Symbol('s'), () => 0, new Float64Array(2),
  DETACHED, new Status(), FROZEN_STATUS, world, world.group, Op.SUM, new Map(), Object.create(null), { start: [Symbol('s')] },
  { shape: [Object.create(null)] }, [[1], [2]], new Array(3), 'C', 'F',
];

// ------------------------------------------------------------ counting

let bad = 0, typed = 0;
const untyped: string[] = [];
const accepted: string[] = [];
const byClass = new Map<string, number>();

let junkCalls = 0, junkValid = 0;

/** Calls a local method with random arguments: it may succeed (valid by chance) but must not throw anything but a SimdeckError. */
function junk(name: string, call: (...args: unknown[]) => unknown): void {
  junkCalls++;
  const args = Array.from({ length: Math.floor(mine() * 4) }, () => pick(mine, JUNK));
  try { call(...args); junkValid++; } catch (e) {
    if (e instanceof SimdeckError) return;
    const err = e as Error;
    untyped.push(`${name}(${args.map((a) => (typeof a === 'symbol' ? 'symbol' : Array.isArray(a) ? `Array(${a.length})` : typeof a === 'object' && a !== null ? (a.constructor?.name ?? 'null-proto') : String(a))).join(', ')}): ` +
      `${err?.constructor?.name ?? typeof err}: ${err?.message ?? String(err)} @ ${String(err?.stack ?? '').split('\n')[1]?.trim()}`);
  }
}

/** Local methods (no messages, no blocking) that take random arguments. */
function junkTargets(): Array<[string, (...a: unknown[]) => unknown]> {
  return [
    ['Status.count', (...a) => new Status().count(...(a as [number]))],
    ['Group.incl', (...a) => world.group.incl(...(a as [number[]]))],
    ['Group.excl', (...a) => world.group.excl(...(a as [number[]]))],
    ['Group.union', (...a) => world.group.union(...(a as [Group]))],
    ['Group.intersection', (...a) => world.group.intersection(...(a as [Group]))],
    ['Group.difference', (...a) => world.group.difference(...(a as [Group]))],
    ['Group.translateRanks', (...a) => world.group.translateRanks(...(a as [number[], Group]))],
    ['Group.compare', (...a) => world.group.compare(...(a as [Group]))],
    ['Op.create', (...a) => Op.create(...(a as [() => 0]))],
    ['Op.SUM.apply', (...a) => Op.SUM.apply(a[0], a[1])],
    ['Op.MINLOC.apply', (...a) => Op.MINLOC.apply(a[0], a[1])],
    ['dimsCreate', (...a) => dimsCreate(...(a as [number, number]))],
    ['splitEven', (...a) => splitEven(...(a as [number, number]))],
    ['chooseProcs', (...a) => chooseProcs(...(a as [number, number[], number[], 'C']))],
    ['cart.coordsOf', (...a) => cart.coordsOf(...(a as [number]))],
    ['cart.rankOf', (...a) => cart.rankOf(...(a as [number[]]))],
    ['cart.shift', (...a) => cart.shift(...(a as [number]))],
    ['world.iprobe', (...a) => world.iprobe(...(a as [number]))],
    ['world.toString', () => world.toString()],
    ['grid.coordsOf', (...a) => grid.coordsOf(...(a as [number]))],
    ['grid.rankOf', (...a) => grid.rankOf(...(a as [number[]]))],
    ['grid.ownerOf', (...a) => grid.ownerOf(...(a as [number[]]))],
    ['grid.blockOf', (...a) => grid.blockOf(...(a as [number]))],
    ['grid.regionShape', (...a) => grid.regionShape(...(a as [object]))],
    ['grid.sameBlocks', (...a) => grid.sameBlocks(...(a as [Grid]))],
    ['grid.zeros', (...a) => grid.zeros(...(a as [typeof Float64Array]))],
    ['grid.full', (...a) => grid.full(...(a as [typeof Float64Array, number]))],
    ['u.localIndex', (...a) => u.localIndex(...(a as [number[]]))],
    ['u.globalIndex', (...a) => u.globalIndex(...(a as [number]))],
    ['u.owns', (...a) => u.owns(...(a as [number[]]))],
    ['u.get', (...a) => u.get(...(a as [number[]]))],
    ['u.set', (...a) => u.set(...(a as [number[], number]))],
    ['u.copy', (...a) => u.copy(...(a as [DistributedArray]))],
    ['u.data=', (...a) => { (u as { data: unknown }).data = a[0]; }],
    ['u.fill', (...a) => u.fill(...(a as [number]))],
  ];
}

/** Makes one bad call: it must throw a SimdeckError. */
function refuse(name: string, call: () => unknown): void {
  bad++;
  let threw: unknown = undefined, didThrow = false;
  try { call(); } catch (e) { threw = e; didThrow = true; }
  if (!didThrow) { accepted.push(name); return; }
  if (threw instanceof SimdeckError) {
    typed++;
    byClass.set(threw.name, (byClass.get(threw.name) ?? 0) + 1);
    return;
  }
  const e = threw as Error;
  untyped.push(`${name}: ${e?.constructor?.name ?? typeof e}: ${e?.message ?? String(e)} @ ${String(e?.stack ?? '').split('\n')[1]?.trim()}`);
}

// ------------------------------------------------------------ objects the bad calls use

const grid = new Grid(world, { shape: [12, 10], ghosts: 1, periodic: [true, false] });
const u = grid.zeros(Float64Array);
const cart = world.cart({ dims: dimsCreate(size, 2), periods: [true, false] })!;
const self = world.split(rank)!; // a communicator of this rank alone: root-only checks fail on every member
class Float64Sub extends Float64Array {}
class BytesSub extends Uint8Array {}

/** Point-to-point and local bad calls; `tag` is the tag of the message waiting from `left`. */
function localBadCalls(tag: number): Array<[string, () => unknown]> {
  const g = mine;
  return [
    ['send bad dest', () => world.send({ bogus: 'dest' }, pick(g, badRanks()) as number, tag)],
    ['send bad tag', () => world.send({ bogus: 'tag' }, right, pick(g, [...badTags(), ANY_TAG]) as number)],
    ['send unsendable', () => world.send(pick(g, unsendable()), right, tag)],
    ['isend bad dest', () => world.isend({ bogus: 'dest' }, pick(g, badRanks()) as number, tag)],
    ['isend bad tag', () => world.isend({ bogus: 'tag' }, right, pick(g, [...badTags(), ANY_TAG]) as number)],
    ['isend unsendable', () => world.isend(pick(g, unsendable()), right, tag)],
    ['recv bad source', () => world.recv(pick(g, badRanks()) as number, tag)],
    ['recv bad tag', () => world.recv(left, pick(g, badTags()) as number)],
    ['recv bad status', () => world.recv(left, tag, pick(g, badStatuses()) as Status)],
    ['recv any bad status', () => world.recv(ANY_SOURCE, ANY_TAG, pick(g, badStatuses()) as Status)],
    ['recvInto bad buffer', () => world.recvInto(pick(g, badBuffers()) as Float64Array, left, tag)],
    ['recvInto bad status', () => world.recvInto(new Float64Array(64), left, tag, pick(g, badStatuses()) as Status)],
    ['probe bad status', () => world.probe(left, tag, pick(g, badStatuses()) as Status)],
    ['iprobe bad status', () => world.iprobe(left, tag, pick(g, badStatuses()) as Status)],
    ['probe bad source', () => world.probe(pick(g, badRanks()) as number, tag)],
    ['sendrecv bad source', () => world.sendrecv({ bogus: 'sendrecv' }, right, tag, pick(g, badRanks()) as number, tag)],
    ['sendrecv bad recvTag', () => world.sendrecv({ bogus: 'sendrecv' }, right, tag, left, pick(g, badTags()) as number)],
    ['sendrecv bad status', () => world.sendrecv({ bogus: 'sendrecv' }, right, tag, left, tag, pick(g, badStatuses()) as Status)],
    ['sendrecv bad dest', () => world.sendrecv({ bogus: 'sendrecv' }, pick(g, badRanks()) as number, tag, left, tag)],
    ['sendrecv unsendable', () => world.sendrecv(pick(g, unsendable()), right, tag, left, tag)],
    ['irecv bad source', () => world.irecv(pick(g, badRanks()) as number, tag)],
    ['irecvInto bad buffer', () => world.irecvInto(pick(g, badBuffers()) as Float64Array, left, tag)],
    ['Status.count bad', () => new Status().count(pick(g, badCounts()) as number)],
    ['Status.count unbound', () => { const { count } = new Status(); return count(); }],
    ['Request unbound wait', () => { const r = world.isend(1, PROC_NULL); const { wait } = r; return wait(); }],
    ['Request unbound test', () => { const r = world.isend(1, PROC_NULL); const { test } = r; return test(); }],
    ['Request.wait bad status', () => world.irecv(PROC_NULL).wait(pick(g, badStatuses()) as Status)],
    ['Request.test bad status', () => world.irecv(PROC_NULL).test(pick(g, badStatuses()) as Status)],
    ['Request.waitAll bad', () => Request.waitAll(pick(g, [null, 3, [1], [world], 'x', [null]]) as Request[])],
    ['Request.waitAny bad', () => Request.waitAny(pick(g, [null, 3, [1], {}, [undefined]]) as Request[])],
    ['Request.waitAny bad status', () => Request.waitAny([world.irecv(PROC_NULL)], pick(g, badStatuses()) as Status)],
    ['Request.testAll bad', () => Request.testAll(pick(g, [null, 3, [1], 'x']) as Request[])],
    ['new Comm', () => new (Comm as unknown as new (...a: unknown[]) => Comm)(...pick(g, [[], [null, 0], [{}, 1, null, 'x']]))],
    ['new Request', () => new (Request as unknown as new (...a: unknown[]) => Request)(...pick(g, [[], [null, null], [{}, {}]]))],
    ['new Group', () => new (Group as unknown as new (...a: unknown[]) => Group)(...pick(g, [[], [null, 0], [[0], 'x']]))],
    ['Group.incl bad', () => world.group.incl(pick(g, badRankLists()) as number[])],
    ['Group.excl bad', () => world.group.excl(pick(g, badRankLists()) as number[])],
    ['Group.union bad', () => world.group.union(pick(g, badGroups()) as Group)],
    ['Group.translateRanks bad', () => world.group.translateRanks(pick(g, badRankLists().filter((r) => !(Array.isArray(r) && r.length === 2))) as number[], world.group)],
    ['Group.compare bad', () => world.group.compare(pick(g, badGroups()) as Group)],
    ['freed Group', () => { const gr = world.group; gr.free(); return gr.size; }],
    ['Op.create bad', () => Op.create(pick(g, [null, 3, 'fn', {}]) as () => 0)],
    ['dimsCreate bad', () => dimsCreate(pick(g, [2 ** 40, 1e300, -1, 0, NaN, 'x', 2 ** 31]) as number, pick(g, [2, 1e9, 2 ** 31, 0, -1, NaN]) as number)],
    ['dimsCreate huge ndims', () => dimsCreate(4, pick(g, [1e9, 2 ** 32, 1e7, 65]) as number)],
    ['dimsCreate bad dims', () => dimsCreate(12, 2, pick(g, [null, 'ab', [5, 0], [-1, 0], [0.5, 0], {}]) as number[])],
    ['cart.coordsOf bad', () => cart.coordsOf(pick(g, badRanks()) as number)],
    ['cart.rankOf bad', () => cart.rankOf(pick(g, [[0], null, 'x', [0.5, 0], [NaN, 0], [0, 0, 0]]) as number[])],
    ['cart.shift bad', () => cart.shift(pick(g, [-1, 2, 0.5, NaN, 'x']) as number, 1)],
    ['cart.shift bad disp', () => cart.shift(0, pick(g, [0.5, NaN, 'x', 2 ** 40, Infinity]) as number)],
    ['Grid.coordsOf bad', () => grid.coordsOf(pick(g, badRanks()) as number)],
    ['Grid.rankOf bad', () => grid.rankOf(pick(g, [[0], null, 'x', [0.5, 0], [NaN, 0]]) as number[])],
    ['Grid.ownerOf bad', () => grid.ownerOf(pick(g, [[0], null, 'x', [0.5, 0], [NaN, 0], [1, 2, 3]]) as number[])],
    ['Grid.blockOf bad', () => grid.blockOf(pick(g, badRanks()) as number)],
    ['Grid.regionShape bad', () => grid.regionShape(pick(g, [null, 'x', { start: [5, 5], end: [2, 2] }, { start: [-1, 0] }, { end: [99, 99] }]) as object)],
    ['Grid.regionShape bad stride', () => grid.regionShape({}, pick(g, [0, -1, 0.5, NaN, [1], 'x']) as number)],
    ['Grid.zeros bad', () => grid.zeros(pick(g, [Array, Object, 'Float64Array', 3, Number, DataView]) as unknown as typeof Float64Array)],
    ['Grid.full bad value', () => grid.full(pick(g, [Float64Array, BigInt64Array, Int32Array]), pick(g, [{}, 'x', null, Symbol('s')]) as number)],
    ['Grid.full bigint mix', () => grid.full(BigInt64Array, 1.5 as unknown as bigint)],
    ['array.localIndex bad', () => u.localIndex(pick(g, [[0], null, 'x', [0.5, 0], [NaN, 0], [99, 99]]) as number[])],
    ['array.localIndex bad component', () => u.localIndex([grid.start[0], grid.start[1]], pick(g, [-1, 1, 0.5, NaN, 'x']) as number)],
    ['array.get bad', () => u.get(pick(g, [[0], null, [99, 99], ['a', 0]]) as number[])],
    ['array.set bad index', () => u.set(pick(g, [[0], null, [99, 99], [0.5, 0]]) as number[], 1)],
    ['array.set bad value', () => u.set([grid.start[0], grid.start[1]], pick(g, [{}, 'x', 1n, Symbol('s')]) as number)],
    ['array.globalIndex bad', () => u.globalIndex(pick(g, [-1, 1e9, 0.5, NaN, 'x']) as number)],
    ['array.data bad', () => { (u as { data: unknown }).data = pick(g, [new Float64Array(1), new Int32Array(u.data.length), null, [], 'x', detached()]); }],
    ['array.fill bad', () => u.fill(pick(g, [{}, 'x', 1n, null, Symbol('s')]) as number)],
    ['array.fill bad fn', () => u.fill((() => 'x') as unknown as number)],
    ['array.exchangeEnd unpaired', () => u.exchangeEnd()],
    ['array.copy bad target', () => u.copy(pick(g, [{}, 'x', 3, grid]) as DistributedArray)],
    ['splitEven bad', () => splitEven(pick(g, [-1, 0.5, NaN, 'x', 2 ** 60]) as number, pick(g, [0, -1, 0.5, NaN, 2 ** 40, 1e9]) as number)],
    ['chooseProcs bad', () => chooseProcs(pick(g, [0, -1, 0.5, 2 ** 40, NaN]) as number, pick(g, [[4, 4], null, 'x', [0], [-1, 4]]) as number[], [], 'C')],
    ['subclass nested unsendable', () => world.send({ a: new Float64Sub(2), f: () => 0 }, right, tag)],
  ];
}

/**
 * Collective bad calls: every rank makes the same one (shared generator) and every rank must
 * refuse it locally, so no rank enters a collective the others skip.
 */
function collectiveBadCalls(): Array<[string, () => unknown]> {
  const g = shared;
  const bigRoots = (): unknown[] => [-1, size, 1.5, NaN, '0', null, {}, 2 ** 31, Infinity];
  return [
    ['bcast bad root', () => world.bcast(1, pick(g, bigRoots()) as number)],
    ['ibcast bad root', () => world.ibcast(1, pick(g, bigRoots()) as number)],
    ['bcastInto bad buffer', () => world.bcastInto(pick(g, badBuffers()) as Float64Array, 0)],
    ['reduce bad op', () => world.reduce(1, pick(g, badOps()) as Op, 0)],
    ['reduce bad root', () => world.reduce(1, Op.SUM, pick(g, bigRoots()) as number)],
    ['reduce bad operand', () => world.reduce(pick(g, [{}, null, undefined, { a: 1 }, [{}], new Map()]), Op.SUM, 0)],
    ['reduce MINLOC bad', () => world.reduce(pick(g, [1, [1, 2, 3], new Float64Array(3), 'x']), Op.MINLOC, 0)],
    ['allreduce bad op', () => world.allreduce(1, pick(g, badOps()) as Op)],
    ['allreduce bad operand', () => world.allreduce(pick(g, [{}, null, undefined, () => 1, Symbol('x'), detached()]), Op.MAX)],
    ['iallreduce bad op', () => world.iallreduce(1, pick(g, badOps()) as Op)],
    ['allreduceInto bad', () => world.allreduceInto(new Float64Array(4), pick(g, [new Float64Array(2), new Int32Array(4), null, [], detached()]) as Float64Array)],
    ['reduceInto bad value', () => world.reduceInto(pick(g, badBuffers()) as Float64Array, new Float64Array(4))],
    ['scan bad op', () => world.scan(1, pick(g, badOps()) as Op)],
    ['exscan bad operand', () => world.exscan(pick(g, [{}, null, () => 1]), Op.SUM)],
    ['reduceScatter bad', () => world.reduceScatter(pick(g, [...(size > 1 ? [new Float64Array(size + 1)] : []), new Array(size + 1).fill(1), 'x', null, {}]) as number[])],
    ['gather bad root', () => world.gather(1, pick(g, bigRoots()) as number)],
    ['gather unsendable', () => world.gather(pick(g, [() => 1, Symbol('s'), detached()]), 0)],
    ['igather bad root', () => world.igather(1, pick(g, bigRoots()) as number)],
    ['gatherv bad', () => world.gatherv(pick(g, badBuffers()) as Float64Array, 0)],
    ['allgather unsendable', () => world.allgather(pick(g, [() => 1, Symbol('s'), detached()]))],
    ['allgather nested unsendable', () => world.allgather(pick(g, [{ a: [1, () => 1] }, new Map([['k', Symbol('s')]]), [[detached()]], new Set([() => 0])]))],
    ['reduce user op nested unsendable', () => world.reduce(pick(g, [{ a: () => 1 }, [Symbol('s')]]), Op.create((a) => a), 0)],
    ['gather nested unsendable', () => world.gather({ deep: { f: () => 1 } }, 0)],
    ['self scatter nested unsendable', () => self.scatter([{ f: () => 1 }], 0)],
    ['self bcast nested unsendable', () => self.bcast({ f: [() => 1] }, 0)],
    ['allgatherv bad', () => world.allgatherv(pick(g, badBuffers()) as Float64Array)],
    ['allgatherInto bad', () => world.allgatherInto(new Float64Array(2), pick(g, [new Float64Array(2 * size - 1), new Int32Array(2 * size), null, detached()]) as Float64Array)],
    ['alltoall bad', () => world.alltoall(pick(g, [null, [], new Array(size + 1).fill(0), 'x', new Array(size).fill(Symbol('s'))]) as number[])],
    ['scatter bad root', () => world.scatter(new Array(size).fill(0), pick(g, bigRoots()) as number)],
    ['split bad color', () => world.split(pick(g, [-1, 0.5, NaN, 'x', 2 ** 31, {}, Infinity]) as number)],
    ['split bad key', () => world.split(0, pick(g, [0.5, NaN, 'x', 2 ** 31, -(2 ** 32), Infinity]) as number)],
    ['slice bad', () => world.slice(pick(g, [0.5, NaN, 'x', null, {}]) as number)],
    ['create bad group', () => world.create(pick(g, badGroups()) as Group)],
    ['subset bad', () => world.subset(pick(g, badRankLists()) as number[])],
    ['cart bad dims', () => world.cart(pick(g, [null, {}, { dims: [] }, { dims: [size + 1] }, { dims: [0] }, { dims: 'x' }, { dims: new Array(100).fill(1) }, { dims: [2 ** 40] }]) as { dims: number[] })],
    ['cart.sub bad', () => cart.sub(pick(g, [null, [true], 'x', {}]) as boolean[])],
    ['neighborAlltoall bad', () => cart.neighborAlltoall(pick(g, [null, [1], new Array(4).fill(() => 1)]) as number[])],
    ['createIntercomm bad', () => world.createIntercomm(pick(g, bigRoots()) as number, world, 0)],
    ['createIntercomm bad peer', () => world.createIntercomm(0, pick(g, [null, {}, 'world']) as Comm, 0)],
    ['createIntercomm bad tag', () => world.createIntercomm(0, world, 0, pick(g, badTags()) as number)],
    ['Grid bad options', () => new Grid(world, pick(g, [
      null, {}, { shape: [] }, { shape: [0] }, { shape: [1, 2, 3, 4] }, { shape: [8], ghosts: -1 }, { shape: [8], layout: 'X' },
      { shape: [8], stencil: 'x' }, { shape: [8], dof: 0 }, { shape: [8], procs: [size + 1] }, { shape: [8], wrong: 1 },
      { shape: [8], ownership: [[3]] }, { shape: [8], periodic: 'yes' }, { shape: [2 ** 31, 2 ** 31, 2 ** 31] }, { shape: [1e300] },
      { shape: [8], ghosts: 2 ** 40 }, { shape: [8], dof: 2 ** 40 }, { shape: [8.5] }, { shape: [8], procs: [0.5] },
    ]) as { shape: number[] })],
    ['Grid bad comm', () => new Grid(pick(g, [null, {}, 'world']) as Comm, { shape: [8] })],
    ['array.gather bad root', () => u.gather(pick(g, bigRoots()) as number)],
    ['array.gatherRegion bad', () => u.gatherRegion(pick(g, [null, 'x', { start: [5, 5], end: [2, 2] }, { end: [99, 99] }]) as object, 0)],
    ['array.gatherRegion bad stride', () => u.gatherRegion({}, 0, pick(g, [0, -1, 0.5, [1]]) as number)],
    ['array.scatter bad root', () => u.scatter(null, pick(g, bigRoots()) as number)],
    ['array.dot bad', () => u.dot(pick(g, [null, {}, 3, grid]) as DistributedArray)],
    ['redistribute bad', () => redistribute(pick(g, [{}, 3, 'x', grid, { grid: {}, data: 1 }]) as DistributedArray, null, world)],
    ['Redistribution bad', () => new Redistribution(pick(g, [{}, 3, 'x', u]) as Grid, null, pick(g, [world, {}, null]) as Comm)],
    ['array.redistribute bad', () => u.redistribute(pick(g, [null, {}, 3, world]) as Grid)],
    // root-only checks, on a communicator of this rank alone (every member is the root)
    ['self scatter bad values', () => self.scatter(pick(g, [null, [], [1, 2], 'x', {}]) as number[], 0)],
    ['self scatterv bad counts', () => self.scatterv(new Float64Array(4), pick(g, [null, [5], [-1], [0.5], 'x']) as number[], 0)],
    ['self scatterInto bad', () => self.scatterInto(pick(g, [null, new Float64Array(1), new Int32Array(4), 'x']) as Float64Array, new Float64Array(4), 0)],
    ['self gatherInto bad', () => self.gatherInto(new Float64Array(4), pick(g, [null, new Float64Array(2), new Int32Array(4), detached()]) as Float64Array, 0)],
    ['self reduceInto bad', () => self.reduceInto(new Float64Array(4), pick(g, [null, new Float64Array(2), new Int32Array(4), 'x']) as Float64Array)],
    ['self bcast unsendable', () => self.bcast(pick(g, [() => 1, detached(), Symbol('s')]), 0)],
  ];
}

// ------------------------------------------------------------ good exchanges

let exchanges = 0, lost = 0, duplicated = 0, wrong = 0;
const problems: string[] = [];
let sentSeq = 0, expectSeq = 0;

/** Checks a received ring message: must be the next sequence number from the left neighbour. */
function expectMessage(got: unknown, how: string): void {
  exchanges++;
  const m = got as { seq?: number; from?: number; bogus?: string; v?: Float64Array } | Float64Array;
  let seq: number;
  if (m instanceof Float64Array) seq = m[0];
  else if (m && typeof m === 'object' && 'bogus' in m) { duplicated++; problems.push(`${how}: a refused call's message arrived (${m.bogus})`); return; }
  else seq = (m as { seq: number })?.seq;
  if (seq === expectSeq) { expectSeq++; return; }
  if (typeof seq === 'number' && seq < expectSeq) duplicated++;
  else if (typeof seq === 'number' && seq > expectSeq) lost += seq - expectSeq;
  else wrong++;
  problems.push(`${how}: expected message #${expectSeq} from rank ${left}, got ${JSON.stringify(got)?.slice(0, 80)}`);
  if (typeof seq === 'number') expectSeq = seq + 1;
}

const { send: unboundSend, recv: unboundRecv, probe: unboundProbe } = world; // methods work unbound

/** One good ring exchange with tag `tag`, the bad receive calls tried on the waiting message first. */
function ringRound(round: number, tag: number, badCalls: () => void): void {
  const style = round % 6;
  const payload = (s: number): unknown => (s % 3 === 0 ? Float64Array.from([s, rank]) : s % 3 === 1 ? { seq: s, from: rank, v: new Float64Sub([s, 1.5]) } : { seq: s, from: rank, b: new BytesSub([1, 2, 3]) });
  const out = round % 2 === 0 ? world.isend(payload(sentSeq), right, tag) : null;
  if (out === null) (round % 4 === 1 ? unboundSend : world.send)(payload(sentSeq), right, tag);
  sentSeq++;
  const st = new Status();
  (round % 3 === 0 ? unboundProbe : world.probe)(left, tag, st); // the message is here: now the bad calls try to take it
  badCalls();
  let got: unknown;
  switch (style) {
    case 0: got = world.recv(left, tag); break;
    case 1: got = unboundRecv(left, tag, st); break;
    case 2: { const r = world.irecv(left, tag); got = r.wait(st); break; }
    case 3: {
      if (st.type === 'Float64Array') { const buf = new Float64Sub(4); world.recvInto(buf, left, tag, st); got = buf.subarray(0, st.count()); }
      else got = world.recv(ANY_SOURCE, tag);
      break;
    }
    case 4: { const r = world.irecv(left, tag); Request.waitAll([r]); got = r.value; break; }
    default: { const r = world.irecv(left, tag); const { index, value } = Request.waitAny([r]); got = index === 0 ? value : null; }
  }
  if (out !== null) out.wait();
  const m = got as { v?: unknown; b?: unknown };
  if (m && typeof m === 'object' && 'v' in m && !(m.v instanceof Float64Array && m.v.constructor === Float64Array)) { wrong++; problems.push(`a Float64Array subclass arrived as ${describeValue(m.v)}`); }
  if (m && typeof m === 'object' && 'b' in m && !(m.b instanceof Uint8Array)) { wrong++; problems.push(`a Uint8Array subclass arrived as ${describeValue(m.b)}`); }
  expectMessage(got, `round ${round} style ${style}`);
}

function describeValue(v: unknown): string {
  return v === null || v === undefined ? String(v) : (v as object).constructor?.name ?? typeof v;
}

// ------------------------------------------------------------ the run

const t0 = performance.now();
const perRound = 20;
const rounds = Math.ceil(target / perRound);
const localCalls = localBadCalls(0).length;
let collectiveChecks = 0;
for (let round = 0; round < rounds; round++) {
  const tag = round % 50;
  ringRound(round, tag, () => {
    const calls = localBadCalls(tag);
    for (let k = 0; k < perRound - 4; k++) { const [name, call] = calls[Math.floor(mine() * localCalls)]; refuse(name, call); }
    const targets = junkTargets();
    for (let k = 0; k < 10; k++) { const [name, call] = pick(mine, targets); junk(name, call); }
    u.fill(round + 1); // junk may have written to u
  });
  const coll = collectiveBadCalls();
  for (let k = 0; k < 4; k++) { const [name, call] = pick(shared, coll); refuse(name, call); }
  // good collectives afterwards must still agree
  if (round % 10 === 0) {
    const total = world.allreduce(round + rank, Op.SUM) as number;
    if (total !== size * round + (size * (size - 1)) / 2) { wrong++; problems.push(`allreduce gave ${total} in round ${round}`); }
    const sub = world.bcast(rank === 0 ? new Float64Sub([round]) : null, 0) as Float64Array;
    if (!(sub instanceof Float64Array) || sub[0] !== round) { wrong++; problems.push(`bcast of a subclass gave ${describeValue(sub)}`); }
    u.exchange();
    const s = u.sum();
    if (s !== (round + 1) * 120) { wrong++; problems.push(`u.sum() gave ${s} in round ${round}`); }
    collectiveChecks++;
  }
}

// End: each rank sends a marker; the receiver takes whatever comes next from its left
// neighbour on any tag, so a stray message a refused call sent would come first.
world.send({ seq: -1, end: true }, right, 99);
const last = world.recv(left, ANY_TAG) as { end?: boolean };
if (!last || last.end !== true) { duplicated++; problems.push(`after the last round a stray message arrived: ${JSON.stringify(last)?.slice(0, 80)}`); }
if (expectSeq !== rounds) { lost += rounds - expectSeq; problems.push(`received ${expectSeq} of ${rounds} ring messages`); }
world.barrier();
const stray = world.iprobe(ANY_SOURCE, ANY_TAG);
if (stray) { duplicated++; problems.push('a message was still queued after the final barrier'); }

const ms = performance.now() - t0;
const counts = { rank, bad, typed, untyped: untyped.length, accepted: accepted.length, exchanges, lost, duplicated, wrong, collectiveChecks, junkCalls };
console.log(`FUZZ seed=${seed} rank=${rank} bad=${bad} typed=${typed} random-argument calls=${junkCalls} (valid by chance ${junkValid}) untyped=${untyped.length} accepted=${accepted.length} exchanges=${exchanges} lost=${lost} duplicated=${duplicated} wrong=${wrong} in ${(ms / 1000).toFixed(1)} s`);
for (const line of untyped.slice(0, 10)) console.log(`UNTYPED ${line}`);
for (const name of [...new Set(accepted)].slice(0, 10)) console.log(`ACCEPTED ${name}`);
for (const p of problems.slice(0, 10)) console.log(`PROBLEM ${p}`);
if (rank === 0) console.log(`ERRORS ${[...byClass].map(([k, v]) => `${k}=${v}`).join(' ')}`);

const all = world.gather(counts, 0) as (typeof counts)[] | null;
if (rank === 0 && all !== null) {
  const sum = (k: keyof typeof counts) => all.reduce((a, c) => a + c[k], 0);
  console.log(`TOTAL seed=${seed} ranks=${size} bad=${sum('bad')} typed=${sum('typed')} untyped=${sum('untyped')} accepted=${sum('accepted')} exchanges=${sum('exchanges')} lost=${sum('lost')} duplicated=${sum('duplicated')} wrong=${sum('wrong')}`);
  if (all.every((c) => c.bad >= target)) console.log(`OK at least ${target} bad calls on every rank`);
  if (sum('untyped') === 0) console.log('OK every bad call threw a SimdeckError');
  if (sum('accepted') === 0) console.log('OK no bad call was accepted');
  if (sum('lost') === 0 && sum('duplicated') === 0 && sum('wrong') === 0 && sum('exchanges') === size * rounds) console.log('OK every message arrived once, in order, as sent');
  if (all.every((c) => c.collectiveChecks === Math.ceil(rounds / 10))) console.log('OK collectives and halo exchanges correct between the bad calls');
}
