// A tour of the collectives on objects. Every rank calls the same collectives in the same
// order. To print each rank's result in rank order, `show` gathers the results to rank 0
// (with a gather, itself a collective) and rank 0 prints them as "rank: result" pairs.
//   npx simdeck run -n 4 docs/examples/collectives.ts
import { world, Op } from 'simdeck';

const { rank, size } = world;
function show(what: string, result: unknown): void {
  const all = world.gather(result, 0);
  if (rank === 0) console.log(`${what.padEnd(13)} ${all!.map((r, k) => `${k}: ${JSON.stringify(r)}`).join('   ')}`);
}

// bcast: root's value on every rank (the value other ranks pass is ignored).
show('bcast', world.bcast(rank === 0 ? { dt: 0.01, steps: 100 } : null, 0));

// scatter: root passes one value per rank; rank i gets the i-th.
show('scatter', world.scatter(rank === 0 ? ['a', 'b', 'c', 'd', 'e', 'f'].slice(0, size) : null, 0));

// gather: root gets every rank's value in rank order; the other ranks get null.
show('gather', world.gather(rank * rank, 0));

// allgather: every rank gets every rank's value in rank order.
show('allgather', world.allgather(`r${rank}`));

// alltoall: rank i sends values[j] to rank j and gets what every rank sent it.
show('alltoall', world.alltoall(Array.from({ length: size }, (_, j) => `${rank}>${j}`)));

// reduce: root gets the reduction; the others get undefined.
show('reduce', world.reduce(rank + 1, Op.SUM, 0));

// allreduce: every rank gets the reduction. Arrays are reduced element by element.
show('allreduce', world.allreduce(rank + 1, Op.SUM));
show('allreduce max', world.allreduce([rank, -rank], Op.MAX));

// scan: rank i gets the reduction of ranks 0..i; exscan of ranks 0..i-1 (undefined on rank 0).
show('scan', world.scan(rank + 1, Op.SUM));
show('exscan', world.exscan(rank + 1, Op.SUM));

// reduceScatter: every rank passes one value per rank; rank i gets the reduction of the i-th values.
show('reduceScatter', world.reduceScatter(Array.from({ length: size }, (_, j) => 10 * j + rank), Op.SUM));

// barrier: returns once every rank has entered it.
world.barrier();
