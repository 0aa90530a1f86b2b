// The coupler of a coupled model (see docs/mpmd.md): every step it receives the mean
// temperature of the ocean and of the atmosphere from their rank 0s, computes the heat flux
// between them, and sends it back to both.
//   npx simdeck run -n 2 docs/examples/coupled/ocean.ts : -n 1 docs/examples/coupled/coupler.ts : -n 3 docs/examples/coupled/atmosphere.ts
import { world, app, appIndex } from 'simdeck';
import { FROM_COUPLER, TO_COUPLER, layout } from './layout.ts';

const where = layout();
console.log(`coupler: app ${appIndex}, world rank ${world.rank} of ${world.size}, app size ${app.size}`);

for (let step = 0; step < 3; step++) {
  const sst = world.recv(where.ocean[0], TO_COUPLER) as number;
  const air = world.recv(where.atmosphere[0], TO_COUPLER) as number;
  const flux = 0.5 * (sst - air);                        // from the warmer to the cooler
  world.send(flux, where.ocean[0], FROM_COUPLER);
  world.send(flux, where.atmosphere[0], FROM_COUPLER);
  console.log(`coupler step ${step}: ocean ${sst.toFixed(3)}, air ${air.toFixed(3)} -> flux ${flux.toFixed(3)}`);
}
