// A deck in plain JavaScript, so that plain `node` (20 or newer) can run it without simdeck run.
// Started that way it is a job of one rank; messages to itself work as usual.
//   node docs/examples/one-rank.mjs
import { world } from 'simdeck';

console.log(`rank ${world.rank} of ${world.size}`);
world.send({ note: 'to myself' }, world.rank, 5);
console.log(world.recv(world.rank, 5));
