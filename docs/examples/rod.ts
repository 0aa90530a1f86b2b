// Heat diffusing along a rod, split into equal pieces over the ranks of a 1-D, non-periodic
// Cartesian communicator. Every step each rank swaps its end cells with its neighbours
// (shift gives them; past the ends of the rod they are PROC_NULL, and sendrecv with
// PROC_NULL does nothing, so the rod's ends stay at 0). Rank 0 then checks the gathered
// result against the same computation done serially.
//   npx simdeck run -n 4 docs/examples/rod.ts [cells-per-rank] [steps]
import { world } from 'simdeck';

const perRank = Number(process.argv[2] ?? 5), steps = Number(process.argv[3] ?? 100), alpha = 0.25;
const rod = world.cart({ dims: [world.size], periods: [false] })!;
const { source: left, dest: right } = rod.shift(0, 1);
const n = perRank * rod.size;

// Local cells 1..perRank, with a ghost cell at each end (0 and perRank + 1).
const u = new Float64Array(perRank + 2), next = new Float64Array(perRank + 2);
for (let i = 1; i <= perRank; i++) u[i] = rod.rank * perRank + i - 1 === Math.floor(n / 2) ? 100 : 0;

for (let step = 0; step < steps; step++) {
  // To the right, from the left; then to the left, from the right. Ghosts past the ends stay 0.
  const fromLeft = rod.sendrecv(u.subarray(perRank, perRank + 1), right, 0, left, 0) as Float64Array | undefined;
  const fromRight = rod.sendrecv(u.subarray(1, 2), left, 1, right, 1) as Float64Array | undefined;
  if (fromLeft) u[0] = fromLeft[0];
  if (fromRight) u[perRank + 1] = fromRight[0];
  for (let i = 1; i <= perRank; i++) next[i] = u[i] + alpha * (u[i - 1] - 2 * u[i] + u[i + 1]);
  u.set(next.subarray(1, perRank + 1), 1);
}

const whole = rod.gatherv(u.subarray(1, perRank + 1), 0);
if (whole) {
  // The same on one rank, for comparison.
  let s = new Float64Array(n + 2), t = new Float64Array(n + 2);
  s[Math.floor(n / 2) + 1] = 100;
  for (let step = 0; step < steps; step++) {
    for (let i = 1; i <= n; i++) t[i] = s[i] + alpha * (s[i - 1] - 2 * s[i] + s[i + 1]);
    [s, t] = [t, s];
  }
  const serial = s.subarray(1, n + 1);
  const diff = Math.max(...whole.data.map((v, i) => Math.abs(v - serial[i])));
  console.log(`${n} cells on ${rod.size} ranks, ${steps} steps`);
  console.log(`temperatures: ${Array.from(whole.data, (v) => v.toFixed(2)).join(' ')}`);
  console.log(`heat left in the rod: ${whole.data.reduce((a, b) => a + b, 0).toFixed(6)}; largest difference from serial: ${diff}`);
}
