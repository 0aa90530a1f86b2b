// The 2-D heat equation with its output off the workers: the last rank is a helper that writes
// the field as HDF5 every `every` steps (and a checkpoint every `checkpoint` steps) while the
// other ranks go on computing; a run restarts from any checkpoint on any number of ranks.
//   npx simdeck run -n 3 native-examples/heat2d/dumps.ts dir=out steps=200 every=50
//   npx simdeck run --restart out/checkpoint_000100.h5 -n 5 native-examples/heat2d/dumps.ts dir=out steps=200 every=50
// Options (key=value): dir, steps, every, checkpoint (default: every), helpers (default 1),
// size (points per side, default 256), procs (process grid, as 2x1), archive (a directory),
// series (0: no time series of diagnostics), prepare (0: leave the buffers to the first write).
import { world } from 'simdeck';
import { loadKernels } from 'simdeck/kernels';
import { Grid } from 'simdeck/decomposition';
import { startOutput } from 'simdeck/io';

const opt = Object.fromEntries(process.argv.slice(2).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
const steps = Number(opt.steps ?? 200), every = Number(opt.every ?? 50), size = Number(opt.size ?? 256);
const checkpointEvery = Number(opt.checkpoint ?? every);

// The last `helpers` ranks write files; the others (the workers) get out.comm and compute.
const out = await startOutput(world, {
  dir: opt.dir ?? 'heat-out', helpers: Number(opt.helpers ?? 1),
  ...(opt.archive ? { archive: opt.archive } : {}),
  info: { spacing: [1 / size, 1 / size], origin: [0, 0], units: { u: 'K', length: 'm' } },
});

const k = loadKernels(new URL('./heat.c', import.meta.url));
const grid = new Grid(out.comm, { shape: [size, size], ghosts: 1, ...(opt.procs ? { procs: opt.procs.split('x').map(Number) } : {}) });
const u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);
u.fill((i, j) => (Math.abs(i - size / 2) < size / 8 && Math.abs(j - size / 2) < size / 8 ? 1 : 0));

// The loop's state, in the shape steer's Simulation will have (state + restore).
const loop = {
  state: { step: 0, time: 0, dt: 1, params: { alpha: 0.2 } },
  restore(s: { step: number; time: number; dt?: number; params?: Record<string, unknown> }) {
    this.state = { step: s.step, time: s.time, dt: s.dt ?? 1, params: { alpha: Number(s.params?.alpha ?? 0.2) } };
  },
};
out.register({ u });
if (opt.prepare !== '0') out.prepare({ u });             // buffers and HDF5's heap made before the loop
const restarted = await out.restart(undefined, loop);   // --restart FILE (SIMDECK_RESTART), if given
if (restarted && out.comm.rank === 0) console.log(`restarted from step ${restarted.step} on ${out.comm.size} workers (process grid ${grid.procs.join('x')})`);

const t0 = performance.now();
while (loop.state.step < steps) {
  u.exchange();
  k.heat_step(...u.localShapeWithGhosts, u.data, v.data, loop.state.params.alpha);
  [u.data, v.data] = [v.data, u.data];
  loop.state.step++;
  loop.state.time += loop.state.dt;
  const s = loop.state;
  if (s.step % every === 0) out.write('heat', s.step, { u }, { time: s.time, params: s.params });
  if (s.step % checkpointEvery === 0) out.checkpoint(loop);
  if (opt.series !== '0') out.series('heat-diagnostics', s.step, { total: u.sum(), max: u.max() });
}
const ms = performance.now() - t0;
const full = u.gather(0);
const report = out.close();
if (full !== null) {
  console.log(`${size}x${size} on ${out.comm.size} workers + ${out.helpers} helper${out.helpers === 1 ? '' : 's'}: ${steps} steps in ${ms.toFixed(1)} ms (output prepared in ${out.preparedMs.toFixed(1)} ms, ${report.perDumpCpuMs.toFixed(2)} ms CPU per dump)`);
  console.log(`field fingerprint ${fingerprint(full)} at step ${loop.state.step} (the same on any number of ranks, restarted or not)`);
}

/** FNV-1a over the bytes of the field: equal fingerprints mean bit-identical fields. */
function fingerprint(a: Float64Array): string {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
