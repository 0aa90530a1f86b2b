// The atmosphere component of a coupled model (see docs/mpmd.md): like the ocean, with air
// temperatures; the heat flux from the coupler warms it. At the end its first ranks receive
// the ocean's cells through the intercommunicator.
//   npx simdeck run -n 2 docs/examples/coupled/ocean.ts : -n 1 docs/examples/coupled/coupler.ts : -n 3 docs/examples/coupled/atmosphere.ts
import { world, app, appIndex, Op, Status } from 'simdeck';
import { FROM_COUPLER, TO_COUPLER, layout } from './layout.ts';

const where = layout();
if (app.rank === 0) console.log(`atmosphere: app ${appIndex}, world ranks ${where.atmosphere}, app size ${app.size}`);

const air = Float64Array.from({ length: 4 }, (_, i) => 8 + app.rank + i / 4);        // °C
const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);
for (let step = 0; step < 3; step++) {
  const mean = app.allreduce(sum(air), Op.SUM) / app.allreduce(air.length, Op.SUM);
  if (app.rank === 0) world.send(mean, where.coupler, TO_COUPLER);
  const flux = app.bcast(app.rank === 0 ? world.recv(where.coupler, FROM_COUPLER) as number : 0, 0);
  for (let i = 0; i < air.length; i++) air[i] += 0.1 * flux;
  if (app.rank === 0) console.log(`atmosphere step ${step}: mean air ${mean.toFixed(3)}, flux ${flux.toFixed(3)}`);
}

const inter = app.createIntercomm(0, world, where.ocean[0], 50);
if (app.rank < inter.remoteSize) {
  const st = new Status();
  const cells = inter.recv(app.rank, 7, st) as Float64Array;
  console.log(`atmosphere rank ${app.rank}: ${cells.length} ocean cells from ocean rank ${st.source}, first ${cells[0].toFixed(3)}`);
}
const both = inter.merge(true);                          // after the ocean's ranks
const mean = both.allreduce(sum(air), Op.SUM) / both.allreduce(air.length, Op.SUM);
if (app.rank === 0) console.log(`atmosphere: merged rank ${both.rank} of ${both.size}, mean temperature ${mean.toFixed(3)}`);
