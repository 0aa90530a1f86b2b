// Mapping across non-matching grids, run with `simdeck run -n A+B mapping.ts A B`: the source
// component on A ranks, the target on B. For each case (1-D, 2-D, 3-D) and map kind it
// exchanges a linear field (the target reports its largest error against the exact values)
// and a smooth positive field (the target reports a hash of the whole mapped field and both
// sides the integral). Every line is `key = JSON`, printed by each component's rank 0.
import { createHash } from 'node:crypto';
import { world } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { components, Coupling, type MapKind } from 'simdeck/couple';

const [na, nb] = process.argv.slice(2).map(Number);
const comp = components(world, { src: na, dst: nb });
const out = (key: string, v: unknown) => { if (comp.comm.rank === 0) console.log(`${key} = ${JSON.stringify(v)}`); };

type G = { origin: number[]; spacing: number[]; shape: number[] };
// cell-centred grids of the region [0, L) per dimension: n cells of L/n, first point at L/2n
const cells = (L: number[], n: number[]): G => ({ origin: L.map((l, d) => l / n[d] / 2), spacing: L.map((l, d) => l / n[d]), shape: n });
const shifted = (g: G, by: number): G => ({ ...g, origin: g.origin.map((o, d) => o + by * g.spacing[d]) });
const cases: { name: string; a: G; b: G; maps?: MapKind[]; sourceGhosts?: number }[] = [
  { name: '1d', a: cells([1], [37]), b: cells([1], [50]) },
  { name: '2d', a: cells([1, 2], [41, 29]), b: cells([1, 2], [23, 58]) },
  { name: '3d', a: cells([1, 1, 0.5], [9, 12, 7]), b: cells([1, 1, 0.5], [14, 5, 10]) },
  // big enough that messages go in several bands (route.ts BAND_ELEMENTS), mapped while later bands are in flight
  { name: 'bands', a: cells([1, 1], [640, 480]), b: cells([1, 1], [600, 450]) },
  // the same spacing shifted by 0.4995 of a cell along both axes (a sender that maps the target
  // whole does four rows at a time, kernels.wat runRows4), over several bands; its target cells
  // reach past the source's, so no conservative map
  { name: 'shifted', a: cells([1, 1], [300, 260]), b: shifted(cells([1, 1], [300, 260]), 0.4995), maps: ['nearest', 'linear'] },
  // the same with a ghost layer around the source's blocks (a simulation's halo): the rows a
  // split target maps itself (route.ts splitRows) are then packed from the source's rows
  { name: 'shifted, source ghosts', a: cells([1, 1], [300, 260]), b: shifted(cells([1, 1], [300, 260]), 0.4995), maps: ['nearest', 'linear'], sourceGhosts: 1 },
  // a target 2.4 times coarser along the first axis: on shared memory the two ranks split its
  // rows, and the target's source rows come in several chunks, some target rows reading the last
  // source row of one chunk (never weighted before) and the first of the next
  { name: 'coarse rows', a: cells([1, 1], [600, 130]), b: cells([1, 1], [250, 120]), maps: ['linear'] },
];
const linear = (x: number[]) => 0.75 + x.reduce((s, v, d) => s + (d + 1.5) * v, 0);
const smooth = (x: number[]) => 2 + x.reduce((s, v, d) => s + Math.sin((d + 2) * v + 0.3) * (d + 1) * 0.25, 0) + x[0] * x[0];

for (const c of cases) {
  for (const map of c.maps ?? ['nearest', 'linear', 'conservative'] as MapKind[]) {
    const coupling = new Coupling({
      components: { src: { dt: 1, sends: { f: { grid: c.a, units: 'K' } } }, dst: { dt: 1, receives: { g: { grid: c.b, units: 'K' } } } },
      interfaces: [{ from: 'src.f', to: 'dst.g', map, every: 1 }],
    });
    const g = comp.is('src') ? c.a : c.b;
    const grid = new Grid(comp.comm, { shape: g.shape, ghosts: comp.is('src') ? c.sourceGhosts ?? 0 : 0 });
    const u = grid.zeros(Float64Array);
    const link = coupling.connect(comp, comp.is('src') ? { f: u } : { g: u });
    const at = (idx: number[]) => idx.map((i, d) => g.origin[d] + i * g.spacing[d]);
    const vol = g.spacing.reduce((a, b) => a * b, 1);
    // 1: a linear field; in the 'bands' case the target comes late (100 ms), so a sender that
    // maps it whole finds its band buffers still unread and builds the later bands in their own
    // (route.ts MAPPED_HOT); in the second exchange it usually reuses them
    if (comp.is('src')) u.fill((...i: number[]) => linear(at(i.slice(0, g.shape.length))));
    if (c.name === 'bands' && comp.is('dst')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    link.exchange(0);
    if (comp.is('dst')) {
      let err = 0;
      const full = u.gather(0);
      if (full !== null) {
        const n = g.shape;
        full.forEach((v, k) => {
          const idx = n.map((_, d) => Math.floor(k / n.slice(d + 1).reduce((a, b) => a * b, 1)) % n[d]);
          err = Math.max(err, Math.abs(v - linear(at(idx))));
        });
      }
      out(`${c.name} ${map} linear max error`, err);
    }
    // 2: a smooth field: hash of the mapped field, integrals on both sides
    if (comp.is('src')) u.fill((...i: number[]) => smooth(at(i.slice(0, g.shape.length))));
    link.exchange(1);
    out(`${c.name} ${map} ${comp.name} integral`, u.sum() * vol);
    if (comp.is('dst')) {
      const full = u.gather(0);
      if (full !== null) out(`${c.name} ${map} hash`, createHash('sha256').update(Buffer.from(full.buffer)).digest('hex').slice(0, 16));
    }
    out(`${c.name} ${map} ${comp.name} peers`, comp.comm.allgather(link.routes()[0].peers));
    out(`${c.name} ${map} ${comp.name} kernels`, comp.comm.allgather(link.routes()[0].kernels));
    link.free();
    grid.free();
  }
}
