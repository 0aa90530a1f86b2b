// The deck of DESIGN.md ("What a deck looks like"), verbatim but for this comment: it must work
// as written.   npx simdeck run -n 4 native-examples/heat2d/deck.ts
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid } from 'simdeck/decomposition';

const k = loadKernels('native-examples/heat2d/heat.c', {
  heat_step: 'void heat_step(int nx, int ny, const double *u, double *unew, double alpha)',
});
const grid = new Grid(world, { shape: [2048, 2048], ghosts: 1 });
const u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);
for (let step = 0; step < 500; step++) {
  u.exchange();                                  // halo exchange with neighbours
  k.heat_step(...u.localShapeWithGhosts, u.data, v.data, 0.1);
  [u.data, v.data] = [v.data, u.data];
}
const total = u.sum();                           // global reduction, same on every rank
const full = u.gather(0);                        // whole field on rank 0 only, for serial tools
if (world.rank === 0) console.log('total heat', total);
