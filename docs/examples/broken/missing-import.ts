// A deck that imports a file that does not exist, for docs/getting-started.md.
//   npx simdeck run -n 2 docs/examples/broken/missing-import.ts
import { world } from 'simdeck';
import { mesh } from './mesh.ts';

console.log(world.rank, mesh);
