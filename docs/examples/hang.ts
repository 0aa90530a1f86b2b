// A deck that hangs: every rank waits for its left neighbour before passing a token to its
// right neighbour, so nobody ever sends. Run it with --hang-timeout to see who waits for what.
//   npx simdeck run -n 3 --hang-timeout 2 docs/examples/hang.ts
import { world } from 'simdeck';

const { rank, size } = world;
const right = (rank + 1) % size;
const left = (rank - 1 + size) % size;

const token = world.recv(left, 0) as number; // the bug: rank 0 should send first
world.send(token + 1, right, 0);
