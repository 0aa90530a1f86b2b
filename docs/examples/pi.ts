// Estimate pi with the midpoint rule. Each rank integrates its own share of the intervals;
// rank 0 adds the shares up and prints the result.
//   npx simdeck run -n 4 docs/examples/pi.ts [intervals]
import { world } from 'simdeck';

const { rank, size } = world;
const intervals = Number(process.argv[2] ?? 1_000_000);
if (!Number.isInteger(intervals) || intervals < 1) {
  throw new Error(`intervals must be a whole number of at least 1, got ${JSON.stringify(process.argv[2])}`);
}

// Rank r takes intervals r, r + size, r + 2 * size, ...
const h = 1 / intervals;
let share = 0;
for (let i = rank; i < intervals; i += size) {
  const x = (i + 0.5) * h;
  share += 4 / (1 + x * x);
}
share *= h;

if (rank === 0) {
  let pi = share;
  for (let r = 1; r < size; r++) pi += world.recv(r) as number; // in rank order: same sum every run
  const error = Math.abs(pi - Math.PI);
  console.log(`pi is about ${pi.toFixed(12)} (${intervals} intervals, ${size} rank${size === 1 ? '' : 's'}, error ${error.toExponential(1)})`);
} else {
  world.send(share, 0);
}
