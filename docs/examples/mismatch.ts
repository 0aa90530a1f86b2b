// A deliberate bug, to show the collective-mismatch diagnosis: only rank 0 calls reduce
// (it wants to print the total), while every rank goes on to the barrier. Without the check
// the job would hang or return nonsense; with it (the default) the job stops with an error
// that names the ranks and their calls.
//   npx simdeck run -n 3 docs/examples/mismatch.ts
import { world, Op } from 'simdeck';

const local = world.rank + 1;
if (world.rank === 0) {
  console.log('total', world.reduce(local, Op.SUM, 0)); // the bug: the other ranks never call it
}
world.barrier();
console.log('done');
