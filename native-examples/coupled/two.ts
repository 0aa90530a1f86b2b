// Two components, one field: an ocean on 2 ranks sends its sea-surface temperature to an
// atmosphere on 1 rank, whose grid is coarser. The ocean steps by an hour, the atmosphere by
// ten minutes; they exchange every hour, and the conservative map keeps the mean exactly.
//   npx simdeck run -n 3 native-examples/coupled/two.ts
import { world } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { components, Coupling } from 'simdeck/couple';

// `units=degC` declares other units on the atmosphere's side: the coupling check refuses it
const units = process.argv.slice(2).find((a) => a.startsWith('units='))?.slice(6) ?? 'K';

const comp = components(world, { ocean: 2, atmosphere: 1 });      // world ranks 0-1, then 2

const coupling = new Coupling({
  components: {
    ocean: {
      dt: 3600,
      sends: { sst: { grid: { origin: [0.5, 0.5], spacing: [1, 1], shape: [60, 30] }, units: 'K' } },
    },
    atmosphere: {
      dt: 600,
      receives: { sst: { grid: { origin: [0.75, 0.75], spacing: [1.5, 1.5], shape: [40, 20] }, units } },
    },
  },
  interfaces: [{ from: 'ocean.sst', to: 'atmosphere.sst', map: 'conservative' }],
});

// each component builds its own grid on its own ranks
const grid = new Grid(comp.comm, { shape: comp.is('ocean') ? [60, 30] : [40, 20] });
const sst = grid.zeros(Float64Array);
const link = coupling.connect(comp, { sst });                      // checks, then routes and weights

const dt = comp.is('ocean') ? 3600 : 600;
for (let step = 0; step * dt <= 3 * 3600; step++) {
  const t = step * dt;
  if (comp.is('ocean')) sst.fill((i, j) => 288 + 10 * Math.cos(((j + 0.5) / 30 - 0.5) * Math.PI) + 0.01 * i + t / 7200);
  link.exchange(t);                                                // does something every hour only
  if (link.isCouplingTime(t)) {
    const mean = sst.sum() / (comp.is('ocean') ? 60 * 30 : 40 * 20);
    if (comp.comm.rank === 0) console.log(`${comp.name} at ${t / 3600} h: mean sst ${mean.toFixed(9)} K`);
  }
}
