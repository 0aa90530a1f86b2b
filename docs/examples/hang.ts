// A deck that deadlocks: every rank waits for its left neighbour before passing a token to its
// right neighbour, so nobody ever sends. simdeck reports who waits for what, then ends the job.
//   npx simdeck run -n 3 docs/examples/hang.ts
import { world } from 'simdeck';

const { rank, size } = world;
const right = (rank + 1) % size;
const left = (rank - 1 + size) % size;

const token = world.recv(left, 0) as number; // the bug: rank 0 should send first
world.send(token + 1, right, 0);
