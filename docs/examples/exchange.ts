// 1-D diffusion on a rod split across the ranks. Each rank owns `n` cells plus one ghost cell at
// each end. Every step it swaps edge values with its neighbours (halo exchange), then updates
// its cells. The rod's two ends have no neighbour (PROC_NULL) and stay at 0.
//   npx simdeck run -n 4 docs/examples/exchange.ts [cells-per-rank] [steps]
import { world, PROC_NULL, Request } from 'simdeck';

const { rank, size } = world;
const n = Number(process.argv[2] ?? 1000);
const steps = Number(process.argv[3] ?? 200);
const left = rank > 0 ? rank - 1 : PROC_NULL;
const right = rank < size - 1 ? rank + 1 : PROC_NULL;
const GOING_LEFT = 1, GOING_RIGHT = 2;

// u[0] and u[n + 1] are ghosts; u[1..n] are this rank's cells. Heat starts in one cell, the first
// cell of the rod's right half: next to a rank boundary when size is even.
let u = new Float64Array(n + 2);
let v = new Float64Array(n + 2);
const spike = Math.floor(size / 2) * n;
if (spike >= rank * n && spike < (rank + 1) * n) u[spike - rank * n + 1] = 1000;

function exchangeHalo(a: Float64Array): void {
  const requests: Request<unknown>[] = [
    world.irecvInto(a.subarray(0, 1), left, GOING_RIGHT),      // left neighbour's last cell
    world.irecvInto(a.subarray(n + 1, n + 2), right, GOING_LEFT), // right neighbour's first cell
    world.isend(a.subarray(1, 2), left, GOING_LEFT),
    world.isend(a.subarray(n, n + 1), right, GOING_RIGHT),
  ];
  Request.waitAll(requests); // with PROC_NULL, a request completes at once and moves nothing
}

for (let step = 0; step < steps; step++) {
  exchangeHalo(u);
  for (let i = 1; i <= n; i++) v[i] = u[i] + 0.25 * (u[i - 1] - 2 * u[i] + u[i + 1]);
  [u, v] = [v, u];
}

const heat = u.subarray(1, n + 1).reduce((s, x) => s + x, 0);
if (rank === 0) {
  const perRank = [heat];
  for (let r = 1; r < size; r++) perRank.push(world.recv(r, 9) as number);
  console.log('heat per rank:', perRank.map((h) => h.toFixed(3)).join('  '));
  console.log('total heat:', perRank.reduce((s, h) => s + h, 0).toFixed(9));
} else {
  world.send(heat, 0, 9);
}
