// The reductions behind the plots give the same bits on any number of ranks: this deck prints a
// SHA-256 of every reduced image and of every PNG file that LivePlots wrote; the test compares
// them between runs on 1, 2, 3 and 4 ranks, and checks each against a serial reduction of the
// gathered field (OK lines).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Op, world } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { LivePlots, poolArray, reduceField } from 'simdeck/graphics';
import { nativePool4x4, settleReductions, startReduction } from '../../../dist/src/graphics/reduce.js';

const dir = process.argv[2];
const hash = (a: ArrayBufferView) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);
const say = (s: string) => { if (world.rank === 0) console.log(s); };

// values whose sums depend on the order of addition
const value = (i: number, j: number) => Math.sin(i * 0.37 + j * 0.11) * 1e3 + 1e-7 * ((i * 7919 + j * 104729) % 1013) + (j === 77 ? 5e3 : 0);
const NX = 203, NY = 157;
const g = new Grid(world, { shape: [NX, NY], ghosts: 1 });
const u = g.zeros(Float64Array).fill((i, j) => value(i, j));
const full = u.gather(0);
let rMean: ReturnType<typeof reduceField> = null;
for (const pool of ['mean', 'min', 'max', 'sample'] as const) {
  const r = reduceField(u, { size: [64, 50], pool });
  if (pool === 'mean') rMean = r;
  if (r !== null) {
    say(`HASH 2d-${pool} ${hash(r.values)} ${r.shape.join('x')} min ${r.min} max ${r.max}`);
    const serial = poolArray(full!, NX, NY, 64, 50, pool);
    if (hash(serial) === hash(r.values)) say(`OK 2d-${pool} equals the serial pooling of the gathered field`);
  }
}
// 4:1 in both directions (the unrolled path), blocks cut inside pixels on 3 ranks
const g4 = new Grid(world, { shape: [256, 128] });
const u4 = g4.zeros(Float64Array).fill((i, j) => value(i, j));
const full4 = u4.gather(0);
const r4 = reduceField(u4, { size: [64, 32] });
if (r4 !== null) {
  say(`HASH 2d-mean-4to1 ${hash(r4.values)} ${r4.shape.join('x')}`);
  if (hash(poolArray(full4!, 256, 128, 64, 32, 'mean')) === hash(r4.values)) say('OK 2d-mean-4to1 equals the serial pooling of the gathered field');
}
// a live plot's image: single precision, the double-precision pixels rounded once, with their
// exact min and max (found by the pooling at 4:1, by a pass of their own otherwise)
const ok32: string[] = [];
for (const [name, field, size, r] of [['2d-mean', u, [64, 50], rMean], ['2d-mean-4to1', u4, [64, 32], r4]] as const) {
  const live = startReduction(field, { size }, { detach: true, float32: true });
  settleReductions();
  if (live === null || r === null) continue;
  const img = live.wait();
  if (img.values instanceof Float32Array && hash(img.values) === hash(Float32Array.from(r.values)) && img.min === r.min && img.max === r.max && img.min < img.max) ok32.push(name);
}
if (ok32.length === 2) say('OK 2d-mean and 2d-mean-4to1 in single precision are the double-precision images rounded, with their exact min and max');
const roi = reduceField(u, { region: { start: [10, 20], end: [150, 140] }, size: 33 });
if (roi !== null) say(`HASH 2d-region ${hash(roi.values)} ${roi.shape.join('x')} cells ${JSON.stringify(roi.cells)}`);
const line = reduceField(u, { region: { start: [0, 77], end: [NX, 78] }, size: 1000 });
if (line !== null) { say(`HASH 2d-row ${hash(line.values)} ${line.shape.join('x')}`); if (line.values.every((v, i) => v === full![i * NY + 77])) say('OK a full-resolution row is the field itself'); }

// 3-D with two components: a slice, a projection, a component
const g3 = new Grid(world, { shape: [40, 30, 20], dof: 2 });
const w = g3.zeros(Float64Array).fill((i, j, k, c) => value(i + k, j * (c + 1)) + k);
for (const [name, o] of [['slice', { slice: { axis: 2, index: 7 }, size: 16 }], ['project', { project: 0, pool: 'max', size: 12 }], ['component', { slice: { axis: 0, index: 3 }, component: 1, size: 9 }]] as const) {
  const r = reduceField(w, o);
  if (r !== null) say(`HASH 3d-${name} ${hash(r.values)} ${r.shape.join('x')} dims ${r.dims.join(',')}`);
}

// whether every rank pooled the 4:1 live images above in C (pool.c) or all in JavaScript
const native = Float64Array.of(nativePool4x4() === null ? 0 : 1, nativePool4x4() === null ? 0 : 1);
world.allreduceInto(native.subarray(0, 1), native.subarray(0, 1), Op.MIN);
world.allreduceInto(native.subarray(1, 2), native.subarray(1, 2), Op.MAX);
say(`NATIVE ${native[0] === 1 ? 'every rank' : native[1] === 0 ? 'no rank' : 'some ranks'}`);

// live plots to files, every 5 steps: the PNG bytes (field4: whole 4 x 4 blocks, the pooling in C where it loads)
const plots = new LivePlots(world, { dir, every: { steps: 5 }, queue: 64, publish: false, timeUnit: 's' });
for (let step = 0; step <= 10; step++) {
  const s = { step, time: step * 0.25 };
  u.fill((i, j) => value(i + step, j));
  plots.heatmap('field', u, s, { size: 64, title: 'A field', label: 'u', unit: 'K', extent: [0, 2, 0, 1.5], colormap: 'magma' });
  u4.fill((i, j) => value(i + step, j) * (((i * 131 + j * 7) % 97 === 0) ? 3 : 1) + (i === 9 && j === 13 && step === 5 ? NaN : 0));
  plots.heatmap('field4', u4, s, { size: [64, 32], title: 'At 4:1', colormap: 'viridis' });
  plots.profile('row 77', u, s, { axis: 0, at: [0, 77], extent: [0, 2] });
  plots.series('diagnostics', s, { total: u.sum(), max: u.max() }, { every: { steps: 10 } });
}
const st = plots.close();
if (world.rank === 0) {
  console.log(`STATS ${st.frames} frames ${st.drawn} drawn ${st.skipped} skipped ${st.failed} failed`);
  for (const f of readdirSync(dir).sort()) console.log(`FILE ${f} ${createHash('sha256').update(readFileSync(join(dir, f))).digest('hex').slice(0, 16)}`);
}
