// Ranks on a 2-D grid: dimsCreate picks the shape, cart() arranges the ranks, and each rank
// asks for its coordinates and its neighbours. Dimension 0 wraps around (periodic), dimension
// 1 does not, so ranks on its edges have PROC_NULL as a neighbour. sub() makes one
// communicator per row, and neighborAlltoall swaps one value with each neighbour.
//   npx simdeck run -n 6 docs/examples/cart.ts
import { world, dimsCreate, PROC_NULL } from 'simdeck';

const dims = dimsCreate(world.size, 2);                   // 6 ranks -> [3, 2]
const grid = world.cart({ dims, periods: [true, false] })!;
const name = (r: number) => (r === PROC_NULL ? 'PROC_NULL' : String(r));

const down0 = grid.shift(0, 1);                           // along dimension 0 (periodic)
const along1 = grid.shift(1, 1);                          // along dimension 1 (not periodic)
const lines = world.gather(`rank ${grid.rank} at (${grid.coords}): dim 0 source ${name(down0.source)} dest ${name(down0.dest)}; ` +
  `dim 1 source ${name(along1.source)} dest ${name(along1.dest)}`, 0);
if (world.rank === 0) {
  console.log(`dims [${grid.dims}], periods [${grid.periods}]`);
  for (const l of lines!) console.log(l);
  console.log(`rankOf([1, 1]) = ${grid.rankOf([1, 1])}, rankOf([-1, 0]) = ${grid.rankOf([-1, 0])} (wraps), ` +
    `rankOf([0, 2]) = ${name(grid.rankOf([0, 2]))} (off the edge), coordsOf(5) = [${grid.coordsOf(5)}]`);
}

// One communicator per row: keep dimension 1, drop dimension 0.
const row = grid.sub([false, true]);
const rowSum = row.allreduce(grid.rank);
const rows = world.gather(`rank ${grid.rank}: row rank ${row.rank} of ${row.size}, row sum ${rowSum}`, 0);
if (world.rank === 0) for (const l of rows!) console.log(l);

// neighborAlltoall: values[2d] goes to the neighbour below along d, values[2d+1] to the one
// above; the result holds what those neighbours sent, undefined where there is none.
const got = grid.neighborAlltoall([`${grid.rank}↓0`, `${grid.rank}↑0`, `${grid.rank}↓1`, `${grid.rank}↑1`]);
const report = world.gather(`rank ${grid.rank} got [${got.map((v) => v ?? '-').join(', ')}]`, 0);
if (world.rank === 0) for (const l of report!) console.log(l);
