// The first deck: every rank says hello, then the ranks pass a token around a ring and
// rank 0 gathers what each rank computed.
//   npx simdeck run -n 4 native-examples/hello/deck.ts
import { world } from 'simdeck';

const { rank, size } = world;
console.log(`hello from rank ${rank} of ${size}`);

// Pass a token around the ring: each rank adds its rank number.
const next = (rank + 1) % size;
const prev = (rank - 1 + size) % size;
if (rank === 0) {
  world.send({ hops: 0, sum: 0 }, next);
  const token = world.recv(prev) as { hops: number; sum: number };
  console.log(`token came back after ${token.hops + 1} hops carrying sum ${token.sum + 0}`);
} else {
  const token = world.recv(prev) as { hops: number; sum: number };
  world.send({ hops: token.hops + 1, sum: token.sum + rank }, next);
}

// A typed array travels raw and arrives as the same class.
const local = Float64Array.from({ length: 4 }, (_, i) => rank * 10 + i);
if (rank !== 0) {
  world.send(local, 0, 7);
} else {
  for (let r = 1; r < size; r++) {
    const part = world.recv(r, 7) as Float64Array;
    console.log(`rank ${r} sent ${part.constructor.name} [${part.join(', ')}]`);
  }
}
