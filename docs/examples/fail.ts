// A deck with a bug: rank 2 throws part-way through while the other ranks wait for a message.
// Run it to see what fail-fast prints.
//   npx simdeck run -n 4 docs/examples/fail.ts
import { world } from 'simdeck';

function density(cell: number): number {
  const rho = 1 - cell * 0.3;
  if (rho < 0) throw new Error(`negative density ${rho.toFixed(2)} in cell ${cell}`);
  return rho;
}

const { rank, size } = world;
const cells = rank === 2 ? 5 : 3;           // rank 2 has more cells, and the bug bites there
let mass = 0;
for (let c = 0; c < cells; c++) mass += density(c);

if (rank === 0) {
  for (let r = 1; r < size; r++) mass += world.recv(r) as number; // never completes for r = 2
  console.log('total mass', mass);
} else {
  world.send(mass, 0);
}
