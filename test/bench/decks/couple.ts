// Bench deck for couple.bench.mjs, on 2 ranks (a source component and a target component, one
// rank each) or more: `couple.ts N REPS`. Times, interleaved rep by rep, the exchange of an
// N×N field through a coupling interface (same grid: nearest and conservative, whose weights
// are then all 1; a grid shifted by half a spacing: linear, 4 source points per target point,
// with the WebAssembly kernels split between the two ranks on shared memory, the same mapped
// whole by the source rank, and with the JavaScript kernels)
// against a plain Redistribution of the same N×N field between the same ranks; and the set-up (routes + weights) of a 1-million
// point interface. Prints one JSON line on rank 0.
import { world } from 'simdeck';
import { Grid, Redistribution } from 'simdeck/decomposition';
import { components, Coupling, type MapKind } from 'simdeck/couple';

const N = Number(process.argv[2] ?? 1000), REPS = Number(process.argv[3] ?? 20);
const half = Math.floor(world.size / 2);
const comp = components(world, { src: half, dst: world.size - half });
const grid = new Grid(comp.comm, { shape: [N, N] });
const u = grid.zeros(Float64Array).fill((i, j) => Math.sin(i * 0.01) + j * 1e-3);
const h = 1 / N;
const at = (shift: number) => ({ origin: [h / 2 + shift, h / 2 + shift], spacing: [h, h], shape: [N, N] });

function connect(map: MapKind, shift: number) {
  const c = new Coupling({
    components: { src: { dt: 1, sends: { f: { grid: at(0), units: '1' } } }, dst: { dt: 1, receives: { g: { grid: at(shift), units: '1' } } } },
    interfaces: [{ from: 'src.f', to: 'dst.g', map }],
  });
  world.barrier();
  const t0 = performance.now();
  const link = c.connect(comp, comp.is('src') ? { f: u } : { g: u });
  world.barrier();
  return { link, setup: performance.now() - t0 };
}

const t0 = performance.now();
const plan = new Redistribution(comp.is('src') ? grid : null, comp.is('dst') ? grid : null, world);
world.barrier();
const planMs = performance.now() - t0;
// linearJs: the same interface with the JavaScript kernels (SIMDECK_COUPLE_WASM=0 while it
// connects), timed in the same rounds as the WebAssembly ones
const linearJs = (() => {
  const was = process.env.SIMDECK_COUPLE_WASM;
  process.env.SIMDECK_COUPLE_WASM = '0';
  try { return connect('linear', 0.5 * h * 0.999); } finally { if (was === undefined) delete process.env.SIMDECK_COUPLE_WASM; else process.env.SIMDECK_COUPLE_WASM = was; }
})();
// linearWhole: the same with no split (SIMDECK_COUPLE_SPLIT=0 while it connects: the source rank
// maps the target whole and sends it in bands, as over MPI), in the same rounds
const linearWhole = (() => {
  const was = process.env.SIMDECK_COUPLE_SPLIT;
  process.env.SIMDECK_COUPLE_SPLIT = '0';
  try { return connect('linear', 0.5 * h * 0.999); } finally { if (was === undefined) delete process.env.SIMDECK_COUPLE_SPLIT; else process.env.SIMDECK_COUPLE_SPLIT = was; }
})();
const variants = {
  nearest: connect('nearest', 0),
  linear: connect('linear', 0.5 * h * 0.999),         // inside the source's cells: 2 points per axis
  linearWhole,
  linearJs,
  conservative: connect('conservative', 0),
};
const times: Record<string, number[]> = { redistribute: [], nearest: [], linear: [], linearWhole: [], linearJs: [], conservative: [] };
let time = 0;
for (let r = 0; r < REPS + 2; r++) {
  world.barrier();
  let a = performance.now();
  plan.run(comp.is('src') ? u : null, comp.is('dst') ? u : null);
  world.barrier();
  if (r >= 2) times.redistribute.push(performance.now() - a);
  for (const [name, v] of Object.entries(variants)) {
    world.barrier();
    a = performance.now();
    v.link.exchange(time);
    world.barrier();
    if (r >= 2) times[name].push(performance.now() - a);
  }
  time += 1;
}
// set-up of 1-million-point interfaces: 1000×1000 linear and conservative (2:1 refinement), 1-D 10^6 linear
function setup(shapeA: number[], shapeB: number[], map: MapKind): number {
  const cellsOf = (n: number[]) => ({ origin: n.map((k) => 0.5 / k), spacing: n.map((k) => 1 / k), shape: n });
  const c = new Coupling({
    components: { src: { dt: 1, sends: { f: { grid: cellsOf(shapeA), units: '1' } } }, dst: { dt: 1, receives: { g: { grid: cellsOf(shapeB), units: '1' } } } },
    interfaces: [{ from: 'src.f', to: 'dst.g', map }],
  });
  const g = new Grid(comp.comm, { shape: comp.is('src') ? shapeA : shapeB });
  const a = g.zeros(Float64Array);
  world.barrier();
  const t = performance.now();
  const link = c.connect(comp, comp.is('src') ? { f: a } : { g: a });
  world.barrier();
  const ms = performance.now() - t;
  link.free();
  g.free();
  return ms;
}
const setups = {
  'linear 1000×1000 → 1000×1000 shifted': variants.linear.setup,
  'linear 1000×1000 → 1414×707': setup([1000, 1000], [1414, 707], 'linear'),
  'conservative 1000×1000 → 500×2000': setup([1000, 1000], [500, 2000], 'conservative'),
  'linear 1-D 10^6 → 10^6 + 1': setup([1_000_000], [1_000_001], 'linear'),
  'Redistribution plan 1000×1000 (for scale)': planMs,
};
const med = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
if (world.rank === 0) console.log(JSON.stringify({ N, ranks: world.size, reps: REPS, medians: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, med(v)])), setups }));
