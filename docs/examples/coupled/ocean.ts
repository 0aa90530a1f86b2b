// The ocean component of a coupled model (see docs/mpmd.md). Each ocean rank owns a few cells
// of sea surface. Every step the ocean's rank 0 sends the mean surface temperature to the
// coupler and shares the heat flux it gets back with the other ocean ranks; the sea cools by
// it. At the end the ocean talks to the atmosphere directly, through an intercommunicator.
//   npx simdeck run -n 2 docs/examples/coupled/ocean.ts : -n 1 docs/examples/coupled/coupler.ts : -n 3 docs/examples/coupled/atmosphere.ts
import { world, app, appIndex, Op } from 'simdeck';
import { FROM_COUPLER, TO_COUPLER, layout } from './layout.ts';

const where = layout();
if (app.rank === 0) console.log(`ocean: app ${appIndex}, world ranks ${where.ocean}, app size ${app.size}`);

const sst = Float64Array.from({ length: 4 }, (_, i) => 18 + 2 * app.rank + i / 2);   // °C
const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);
for (let step = 0; step < 3; step++) {
  // An app collective: only the ocean's ranks take part.
  const mean = app.allreduce(sum(sst), Op.SUM) / app.allreduce(sst.length, Op.SUM);
  if (app.rank === 0) world.send(mean, where.coupler, TO_COUPLER);
  const flux = app.bcast(app.rank === 0 ? world.recv(where.coupler, FROM_COUPLER) as number : 0, 0);
  for (let i = 0; i < sst.length; i++) sst[i] -= 0.1 * flux;
  if (app.rank === 0) console.log(`ocean step ${step}: mean SST ${mean.toFixed(3)}, flux ${flux.toFixed(3)}`);
}

// Directly to the atmosphere: an intercommunicator between the two apps, then one
// communicator of both (the coupler takes no part).
const inter = app.createIntercomm(0, world, where.atmosphere[0], 50);
inter.send(sst, app.rank, 7);                            // ocean rank k -> atmosphere rank k
const both = inter.merge(false);                         // the ocean's ranks first
const mean = both.allreduce(sum(sst), Op.SUM) / both.allreduce(sst.length, Op.SUM);
if (app.rank === 0) console.log(`ocean: ${both.size} ranks in the merged communicator, mean temperature ${mean.toFixed(3)}`);
