// Conformance deck: communicator construction, isolation, groups, intercommunicators and
// Cartesian topologies. Any number of ranks.
import assert from 'node:assert/strict';
import { world, Group, UNDEFINED, PROC_NULL, ANY_SOURCE, ArgumentError, dimsCreate, InterComm, Status } from 'simdeck';

const { rank, size } = world;
const ok = (name: string) => { if (rank === 0) console.log(`OK ${name}`); };

// --- dup / split / slice / subset: membership, order, isolation
{
  const d = world.dup();
  assert.equal(d.size, size);
  assert.equal(d.rank, rank);
  // Same tag, same peers, different communicators: never matched across.
  const onWorld = world.irecv(ANY_SOURCE, 7);
  const onDup = d.irecv(ANY_SOURCE, 7);
  d.send(`dup from ${rank}`, (rank + 1) % size, 7);
  world.send(`world from ${rank}`, (rank + 1) % size, 7);
  assert.equal(onDup.wait(), `dup from ${(rank - 1 + size) % size}`);
  assert.equal(onWorld.wait(), `world from ${(rank - 1 + size) % size}`);

  const color = rank % 3;
  const s = world.split(color, -rank)!;
  const members = [...Array(size).keys()].filter((r) => r % 3 === color).sort((a, b) => b - a);
  assert.equal(s.size, members.length);
  assert.equal(s.rank, members.indexOf(rank));
  assert.deepStrictEqual(s.allgather(rank), members);
  const notZero = world.split(rank === 0 ? null : 1);
  if (rank === 0) assert.equal(notZero, null);
  else { assert.equal(notZero!.size, size - 1); assert.equal(notZero!.rank, rank - 1); }

  const workers = world.slice(0, -1);
  if (rank === size - 1) assert.equal(workers, null);
  else { assert.equal(workers!.size, size - 1); assert.equal(workers!.rank, rank); workers!.barrier(); }
  const tail = world.slice(-2);
  if (rank >= size - 2) assert.equal(tail!.rank, rank - Math.max(0, size - 2)); else assert.equal(tail, null);
  const picked = world.subset([...Array(size).keys()].reverse().filter((r) => r % 2 === 0));
  if (rank % 2 === 0) assert.deepStrictEqual(picked!.allgather(rank), [...Array(size).keys()].reverse().filter((r) => r % 2 === 0));
  else assert.equal(picked, null);
  assert.throws(() => world.split(-2), ArgumentError);
  assert.throws(() => world.slice(0.5), ArgumentError);
  assert.throws(() => world.subset([size]), ArgumentError);
}
ok('dup, split, slice and subset make isolated communicators with the right members');

// --- groups
{
  const g = world.group;
  assert.equal(g.size, size);
  assert.equal(g.rank, rank);
  const evens = g.incl([...Array(size).keys()].filter((r) => r % 2 === 0));
  const odds = g.excl([...Array(size).keys()].filter((r) => r % 2 === 0));
  assert.equal(evens.size + odds.size, size);
  assert.equal(evens.rank, rank % 2 === 0 ? rank / 2 : UNDEFINED);
  assert.equal(evens.union(odds).size, size);
  assert.equal(evens.union(odds).compare(g), size <= 2 ? (size === 1 ? 'ident' : 'ident') : 'similar');
  assert.equal(evens.intersection(odds).size, 0);
  assert.equal(g.difference(odds).compare(evens), 'ident');
  assert.equal(g.compare(world.dup().group), 'ident');
  assert.equal(evens.compare(odds), size === 1 ? 'unequal' : 'unequal');
  assert.deepStrictEqual(g.translateRanks([0, size - 1], evens), [0, (size - 1) % 2 === 0 ? (size - 1) / 2 : UNDEFINED]);
  const c = world.create(evens);
  if (rank % 2 === 0) assert.equal(c!.rank, rank / 2); else assert.equal(c, null);
  assert.throws(() => g.incl([size]), ArgumentError);
  assert.throws(() => g.incl([0, 0]), ArgumentError);
  const gone = g.incl([0]);
  gone.free();
  assert.throws(() => gone.size, /freed/);
  assert.ok(g instanceof Group);
}
ok('groups: incl, excl, union, intersection, difference, translateRanks, compare, free');

// --- intercommunicator between the lower and upper halves, send/recv across and merge
if (size >= 2) {
  const lower = rank < Math.floor(size / 2);
  const local = world.split(lower ? 0 : 1)!;
  const remoteLeader = lower ? Math.floor(size / 2) : 0;
  const inter = local.createIntercomm(0, world, remoteLeader, 99);
  assert.ok(inter instanceof InterComm);
  assert.equal(inter.size, local.size);
  assert.equal(inter.rank, local.rank);
  assert.equal(inter.remoteSize, size - local.size);
  // Each rank sends to the remote rank with its index (mod remote size) and answers what it gets.
  const to = inter.rank % inter.remoteSize;
  const req = inter.isend({ from: rank, lower }, to, 3);
  const expectFrom = [...Array(inter.remoteSize).keys()].filter((k) => k % inter.size === inter.rank);
  for (let k = 0; k < expectFrom.length; k++) {
    const st = new Status();
    const got = inter.recv(ANY_SOURCE, 3, st) as { from: number; lower: boolean };
    assert.equal(got.lower, !lower);
    assert.ok(expectFrom.includes(st.source));
  }
  req.wait();
  const merged = inter.merge(!lower);
  assert.equal(merged.size, size);
  assert.equal(merged.rank, rank); // lower half passed high=false, so it comes first
  assert.equal(merged.allreduce(rank), (size * (size - 1)) / 2);
  assert.throws(() => inter.barrier(), /intercommunicator/);
}
ok('intercommunicator send/recv across groups and merge');

// --- Cartesian topologies: 1-D, 2-D, 3-D, periodic or not
{
  assert.deepStrictEqual(dimsCreate(12, 2), [4, 3]);
  assert.deepStrictEqual(dimsCreate(8, 3), [2, 2, 2]);
  assert.deepStrictEqual(dimsCreate(7, 2), [7, 1]);
  assert.deepStrictEqual(dimsCreate(12, 3, [0, 3, 0]), [2, 3, 2]);
  assert.throws(() => dimsCreate(10, 2, [3, 0]), ArgumentError);
  for (const ndims of [1, 2, 3]) {
    for (const periodic of [false, true]) {
      const dims = dimsCreate(size, ndims);
      const cart = world.cart({ dims, periods: dims.map(() => periodic) })!;
      assert.deepStrictEqual(cart.coords, cart.coordsOf(cart.rank));
      assert.equal(cart.rankOf(cart.coords), cart.rank);
      // Row-major order, as MPI.
      let expect = 0;
      for (let d = 0; d < ndims; d++) expect = expect * dims[d] + cart.coords[d];
      assert.equal(expect, rank);
      for (let d = 0; d < ndims; d++) {
        const { source, dest } = cart.shift(d, 1);
        const up = [...cart.coords]; up[d] += 1;
        const down = [...cart.coords]; down[d] -= 1;
        const wrap = (c: number[]) => c.map((x, i) => ((x % dims[i]) + dims[i]) % dims[i]);
        const edgeUp = cart.coords[d] === dims[d] - 1;
        const edgeDown = cart.coords[d] === 0;
        assert.equal(dest, edgeUp && !periodic ? PROC_NULL : cart.rankOf(wrap(up)));
        assert.equal(source, edgeDown && !periodic ? PROC_NULL : cart.rankOf(wrap(down)));
      }
      // neighborAlltoall: slot 2d gets what the neighbour below sent upward (its slot 2d+1),
      // slot 2d+1 what the one above sent downward; PROC_NULL sides give undefined. Values name
      // sender and slot, so a swap shows even where both neighbours are one rank (size 1 or 2).
      const got = cart.neighborAlltoall([...Array(2 * ndims).keys()].map((slot) => `${rank}:${slot}`));
      for (let d = 0; d < ndims; d++) {
        const { source, dest } = cart.shift(d, 1);
        assert.equal(got[2 * d], source === PROC_NULL ? undefined : `${source}:${2 * d + 1}`);
        assert.equal(got[2 * d + 1], dest === PROC_NULL ? undefined : `${dest}:${2 * d}`);
      }
      // Halo-like exchange with PROC_NULL edges: sendrecv to PROC_NULL is a no-op.
      const { source, dest } = cart.shift(0, 1);
      const v = cart.sendrecv(rank, dest, 5, source, 5);
      assert.equal(v, source === PROC_NULL ? undefined : source);
      if (ndims >= 2) {
        const rows = cart.sub([false, true, ...Array(ndims - 2).fill(false)]);
        assert.equal(rows.size, dims[1]);
        assert.equal(rows.rank, cart.coords[1]);
        assert.deepStrictEqual(rows.allgather(rank), [...Array(dims[1]).keys()].map((k) => { const c = [...cart.coords]; c[1] = k; return cart.rankOf(c); }));
      }
    }
  }
  if (size >= 2) {
    const line = world.cart({ dims: [size - 1] });
    if (rank === size - 1) assert.equal(line, null); else assert.equal(line!.size, size - 1);
  }
  assert.throws(() => world.cart({ dims: [size + 1] }), /need/);
  assert.throws(() => world.cart({ dims: [0] }), ArgumentError);
}
ok('Cartesian topologies in 1-D, 2-D and 3-D, periodic or not, with PROC_NULL edges');
console.log(`DONE ${rank}`);
