// Making communicators: dup, split, subset, slice, and a communicator from a Group. Each
// new communicator numbers its ranks from 0, and its messages and collectives never meet
// those of any other communicator. `show` gathers one result per world rank to rank 0.
//   npx simdeck run -n 6 docs/examples/communicators.ts
import { world } from 'simdeck';

const { rank } = world;
function show(what: string, result: unknown): void {
  const all = world.gather(result, 0);
  if (rank === 0) console.log(`${what.padEnd(20)} ${all!.map((r) => JSON.stringify(r)).join(' ')}`);
}
show('world rank', rank);

// dup: the same ranks, a separate channel. A library can talk on its own dup without ever
// receiving the deck's messages, even with equal tags.
const lib = world.dup();
if (rank === 0) { world.send('for the deck', 1, 5); lib.send('for the library', 1, 5); }
show('lib, then world', rank === 1 ? [lib.recv(0, 5), world.recv(0, 5)] : null);

// split(color, key): ranks with the same color form one communicator, ordered by key.
// Here: even and odd world ranks, numbered from the highest world rank down.
const parity = world.split(rank % 2, -rank)!;
show('split rank', parity.rank);
show('split size', parity.size);
show('split allgather', parity.allgather(rank));

// A rank passing null as color takes no part and gets null.
const notFirst = world.split(rank === 0 ? null : 0);
show('split null', notFirst && notFirst.rank);

// subset(ranks): the listed ranks, in the listed order; null elsewhere.
const trio = world.subset([4, 0, 2]);
show('subset rank', trio && trio.rank);

// slice(start, end): ranks start..end-1; negative indices count from the end (Python's [:-1]).
const workers = world.slice(0, -1);
show('slice(0, -1) rank', workers && workers.rank);
const lastTwo = world.slice(-2);
show('slice(-2) rank', lastTwo && lastTwo.rank);

// Collectives on a sub-communicator involve its ranks only; others do not call them.
if (workers) {
  const total = workers.allreduce(rank);
  if (workers.rank === 0) console.log(`[workers] sum of world ranks 0..${workers.size - 1}: ${total}`);
}

// A Group is a plain list of processes: set operations communicate nothing.
const g = world.group;
const low = g.incl([0, 1, 2, 3]);
const evens = g.incl([0, 2, 4]);
const mixed = low.difference(evens).union(g.incl([5]));  // [1, 3] then 5
if (rank === 0) {
  console.log(`group sizes: world ${g.size}, low ${low.size}, evens ${evens.size}, mixed ${mixed.size}`);
  console.log(`mixed in world ranks: ${mixed.translateRanks([0, 1, 2], g)}`);
  console.log(`low vs evens: ${low.compare(evens)}; evens vs [4, 2, 0]: ${evens.compare(g.incl([4, 2, 0]))}`);
}
const fromGroup = world.create(mixed);                    // collective over world
show('create(mixed) rank', fromGroup && fromGroup.rank);
if (rank === 0) console.log(`printed: ${world} ${parity} ${trio}`); // names say where a communicator came from
