// Fortran module data from a deck: the advected field lives in module `advect` (an allocatable
// array); the deck reads it between steps as a live Float64Array, writes into it, sets a module
// scalar, and sees the view replaced when Fortran reallocates the array.
//   npm run build && node dist/src/cli/main.js run -n 2 native-examples/advect/deck.ts
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';

const k = loadKernels(new URL('./advect.f90', import.meta.url));
const adv = k.$.module('advect');          // module variables as live properties

k.init(400, 1.0);                          // plain numbers: simdeck passes them by reference
adv.velocity = 0.5 * (world.rank + 1);     // each rank advects at its own speed

function peak(u: Float64Array): number {
  let p = 0;
  for (let i = 1; i < u.length; i++) if (u[i]! > u[p]!) p = i;
  return (p + 0.5) * adv.dx;
}

const u = adv.state as Float64Array;       // a view of Fortran's memory, no copy
u[300] += 0.5;                             // a write from TypeScript that Fortran will advect
k.update_stats();
for (let round = 0; round < 3; round++) {
  k.advance(0.001, 100);                   // Fortran updates state in place
  console.log(`rank ${world.rank}: after ${adv.steps_done} steps the bump is at x = ${peak(u).toFixed(3)}, ` +
    `integral ${adv.stats[2].toFixed(6)}`);
}

k.refine(2);                               // Fortran reallocates state (move_alloc)
const fine = adv.state as Float64Array;    // the property now gives the new array...
console.log(`rank ${world.rank}: refined to ${fine.length} cells (the old view now has length ${u.length}), ` +
  `bump still at x = ${peak(fine).toFixed(3)}`);

// rank 0 collects every rank's final bump position
if (world.rank === 0) {
  const where = [peak(fine)];
  for (let r = 1; r < world.size; r++) where.push(world.recv(r) as number);
  console.log(`bump positions by rank: ${where.map((x) => x.toFixed(3)).join(', ')}`);
} else {
  world.send(peak(fine), 0);
}
