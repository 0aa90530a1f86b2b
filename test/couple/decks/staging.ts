// A same-grid interface (its messages could land straight in the target's array) with order
// 'parallel' and an update that communicates: while update runs the target holds the previous
// exchange's values (as a mapped interface's target does), at its start and after it has
// communicated; the new values are there when the exchange returns. Run with 2 ranks.
import { world } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { components, Coupling } from 'simdeck/couple';

const comp = components(world, { src: 1, dst: 1 });
const g = { origin: [0, 0], spacing: [1, 1], shape: [64, 64], units: 'K' };
const coupling = new Coupling({
  components: { src: { dt: 1, sends: { f: { grid: g, units: 'K' } } }, dst: { dt: 1, receives: { g: { grid: g, units: 'K' } } } },
  interfaces: [{ from: 'src.f', to: 'dst.g', map: 'nearest', every: 1, order: 'parallel' }],
});
const u = new Grid(comp.comm, { shape: g.shape }).zeros(Float64Array);
const link = coupling.connect(comp, comp.is('src') ? { f: u } : { g: u });
let landedDuringUpdate = 0;
for (let step = 1; step <= 10; step++) {
  if (comp.is('src')) u.data.fill(step);
  link.exchange(step, () => {
    if (!comp.is('dst')) return;
    const old = u.data.every((v) => v === step - 1);
    // communicate for a while, as a component's own step would: the sender's values are there
    const until = Date.now() + 20;
    while (Date.now() < until) world.iprobe();
    if (!old || u.data.some((v) => v !== step - 1)) landedDuringUpdate++;
  });
  if (comp.is('dst') && u.data.some((v) => v !== step)) throw new Error(`step ${step}: the target does not hold the sent values after exchange`);
}
if (comp.is('dst')) console.log(`landed during update: ${landedDuringUpdate} of 10`);

// The same with a linear interface between same-spacing grids shifted by 0.4995 of a cell, whose
// target the source rank would map whole: on shared memory the two split its rows (route.ts
// splitRows), the sender writing its share into the target's staging buffer while update runs.
// A constant field maps to itself within rounding (weights summing to 1).
const gs = { origin: [0.5 / 300, 0.5 / 260], spacing: [1 / 300, 1 / 260], shape: [300, 260] };
const hs = { ...gs, origin: gs.origin.map((o, d) => o + 0.4995 * gs.spacing[d]) };
const shiftedCoupling = new Coupling({
  components: { src: { dt: 1, sends: { f: { grid: gs, units: 'K' } } }, dst: { dt: 1, receives: { g: { grid: hs, units: 'K' } } } },
  interfaces: [{ from: 'src.f', to: 'dst.g', map: 'linear', every: 1, order: 'parallel' }],
});
const v = new Grid(comp.comm, { shape: gs.shape, ghosts: comp.is('src') ? 1 : 0 }).zeros(Float64Array);
const shiftedLink = shiftedCoupling.connect(comp, comp.is('src') ? { f: v } : { g: v });
const near = (x: number, want: number) => Math.abs(x - want) <= 1e-12 * Math.max(1, Math.abs(want));
let changedDuringUpdate = 0;
for (let step = 1; step <= 10; step++) {
  if (comp.is('src')) v.fill(step);
  shiftedLink.exchange(step, () => {
    if (!comp.is('dst')) return;
    const until = Date.now() + 20;
    while (Date.now() < until) world.iprobe();
    if (!v.data.every((x) => near(x, step - 1))) changedDuringUpdate++;
  });
  if (comp.is('dst') && !v.data.every((x) => near(x, step))) throw new Error(`step ${step}: the shifted target does not hold the mapped values after exchange`);
}
if (comp.is('dst')) console.log(`shifted, mapped during update: ${changedDuringUpdate} of 10`);
