// Bad input gets a clear error on every rank before any message (so no rank is left waiting):
// prints `OK <check>` from rank 0 for each error caught with the expected type and message.
import { world, ArgumentError } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { GraphicsError, LivePlots, reduceField } from 'simdeck/graphics';

const ok = (name: string) => { if (world.rank === 0) console.log(`OK ${name}`); };
function expectError(name: string, fn: () => unknown, pattern: RegExp): void {
  try { fn(); } catch (e) {
    if (e instanceof ArgumentError && pattern.test((e as Error).message)) { ok(name); return; }
    throw new Error(`${name}: wrong error ${(e as Error).name}: ${(e as Error).message}`);
  }
  throw new Error(`${name}: no error`);
}

const g3 = new Grid(world, { shape: [12, 10, 8] });
const w = g3.zeros(Float64Array);
const g2 = new Grid(world, { shape: [12, 10], dof: 2 });
const u = g2.zeros(Float64Array);
const plots = new LivePlots(world, { dir: null, every: { steps: 1 } });
const s = { step: 0, time: 0 };
expectError('a heat map of a 3-D region needs slice or project', () => plots.heatmap('w', w, s), /spans 3 dimension\(s\).*use slice or project/);
expectError('unknown pooling', () => plots.heatmap('u', u, s, { pool: 'median' as never }), /pool must be 'mean', 'min', 'max' or 'sample'/);
expectError('component out of range', () => reduceField(u, { component: 2 }), /component must be from 0 to 1/);
expectError('region outside the grid', () => reduceField(u, { region: { start: [0, 0], end: [13, 10] } }), /leaves the grid/);
expectError('slice past the end', () => reduceField(w, { slice: { axis: 2, index: 8 } }), /slice must be \{ axis, index \}/);
expectError('unknown colour map', () => plots.heatmap('u', u, s, { colormap: 'jet' as never }), /colormap must be one of viridis, magma/);
expectError('state without a step', () => plots.heatmap('u', u, { time: 0 } as never), /pass the loop's state \{ step, time \}/);
expectError('bad cadence', () => new LivePlots(world, { every: { steps: 0 } }), /every must be \{ steps: N \}/);
expectError('bad queue', () => new LivePlots(world, { queue: 0 }), /queue must be an integer from 1 to 64/);
expectError('profile without axis', () => plots.profile('p', u, s, { at: [0, 0] } as never), /options need axis/);
expectError('series of non-numbers', () => plots.series('d', s, { a: 'x' as never }), /values must be an object of numbers/);
expectError('density without extent', () => plots.density('n', { x: [0], y: [0] }, s, {} as never), /extent must be \[x0, x1, y0, y1\]/);
// between frames a plot called with the same field and options object as its last checked
// call checks only the state; the options are checked again at every drawing step
const p3 = new LivePlots(world, { dir: null, every: { steps: 3 } });
const o: { colormap: string; size: number } = { colormap: 'magma', size: 4 };
p3.heatmap('v', u, { step: 1, time: 1 }, o as never);
p3.heatmap('v', u, { step: 2, time: 2 }, o as never);
o.colormap = 'jet';
expectError('options changed between frames are checked at the drawing step', () => p3.heatmap('v', u, { step: 3, time: 3 }, o as never), /colormap must be one of viridis, magma/);
o.colormap = 'magma';
p3.heatmap('v', u, { step: 4, time: 4 }, o as never);
expectError('a bad state between frames', () => p3.heatmap('v', u, { step: 5.5, time: 5 }, o as never), /pass the loop's state \{ step, time \}/);
if (p3.heatmap('v', u, { step: 6, time: 6 }, o as never) !== true) throw new Error('step 6 should draw');
p3.close();
try { p3.heatmap('v', u, { step: 7, time: 7 }, o as never); throw new Error('closed plots: no error'); } catch (e) {
  if (!(e instanceof GraphicsError) || !/closed/.test((e as Error).message)) throw e;
  ok('closed plots refuse a call with the options checked before');
}
// between frames the same plot again returns at once (every N steps: `quick`), a plot of its
// own cadence alternating with one of the default cadence, the same field and options objects
// each call: each draws exactly at its own multiples, on every rank alike
const p4 = new LivePlots(world, { dir: null, every: { steps: 3 } });
const oa = { size: 4, every: { steps: 2 } }, ob = { size: 4 };
const drew: string[] = [];
for (let step = 1; step <= 12; step++) {
  if (p4.heatmap('a', u, { step, time: step }, oa)) drew.push(`a${step}`);
  if (p4.heatmap('b', u, { step, time: step }, ob)) drew.push(`b${step}`);
  if (p4.heatmap('b', u, { step, time: step }, ob)) drew.push(`b${step}again`);
}
p4.close();
if (drew.join(' ') !== 'a2 b3 b3again a4 a6 b6 b6again a8 b9 b9again a10 a12 b12 b12again') throw new Error(`cadences between frames: ${drew.join(' ')}`);
ok('between frames each plot draws at its own steps');
// after all that, the plots still work, collectively
plots.heatmap('u', u, { step: 1, time: 1 }, { size: 4 });
plots.close();
ok('the plots still work after the errors');
