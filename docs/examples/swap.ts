// Two ranks swap large arrays. Run with `naive` to see the deadlock, then with `sendrecv` or
// `isend` for two ways to do it right.
//   npx simdeck run -n 2 docs/examples/swap.ts naive|sendrecv|isend
import { world } from 'simdeck';

const how = process.argv[2] ?? 'sendrecv';
if (world.size !== 2) throw new Error('swap needs exactly 2 ranks');
const other = 1 - world.rank;
const mine = new Float64Array(100_000).fill(world.rank); // 800,000 bytes: a large message
let theirs: Float64Array;

if (how === 'naive') {
  // Both ranks send first. A large send waits for the matching receive, which is never
  // posted because the other rank is waiting in its own send: deadlock.
  world.send(mine, other, 1);
  theirs = world.recv(other, 1) as Float64Array;
} else if (how === 'sendrecv') {
  theirs = world.sendrecv(mine, other, 1, other, 1) as Float64Array;
} else if (how === 'isend') {
  const req = world.isend(mine, other, 1); // `mine` must stay unchanged until req completes
  theirs = world.recv(other, 1) as Float64Array;
  req.wait();
} else {
  throw new Error(`say naive, sendrecv or isend, not ${JSON.stringify(how)}`);
}
const right = theirs.every((x) => x === other);
console.log(`${how}: got ${theirs.length} values from rank ${other}, ${right ? 'all correct' : 'WRONG'}`);
