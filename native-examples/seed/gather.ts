// Seed program (b): gathering for serial tools. Each rank owns a few particles (a different
// number per rank), with positions and densities computed from its rank; `world.gather` brings
// every rank's particles to rank 0, which prints them in rank order, as a serial plotting or
// analysis tool would read them.
//   npx simdeck run -n 4 native-examples/seed/gather.ts
import { world } from 'simdeck';

const { rank } = world;
const n = rank + 2;                                    // rank r owns r + 2 particles
const x = Float64Array.from({ length: n }, (_, i) => rank + (i + 0.5) / n);
const rho = x.map((xi) => 1 / (1 + xi * xi));

const xs = world.gather({ x, rho }, 0);                // null on every rank but 0
if (world.rank === 0) {
  let k = 0;
  xs!.forEach((part, r) => {
    for (let i = 0; i < part.x.length; i++, k++) console.log(`particle ${k} rank ${r} x=${part.x[i]} rho=${part.rho[i]}`);
  });
  console.log(`${k} particles from ${xs!.length} ranks`);
}
