// Renders the same 512 x 512 heat map with colour bar and title to PNG `repeats` times with
// simdeck's serial heatmap(), each with the next step in its caption; prints one JSON line with
// every time (ms). The first call (loading resvg, drawing the whole overlay) is timed separately. Peer: test/bench/peers/render512.py (matplotlib).
//   node test/bench/decks/render512.mjs [repeats] [out.png]
import { writeFileSync } from 'node:fs';
import { heatmap } from '../../../dist/src/graphics/index.js';

const repeats = Number(process.argv[2] ?? 10), out = process.argv[3];
const N = 512, a = new Float64Array(N * N);
for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) a[i * N + j] = Math.sin(i / 30) * Math.cos(j / 20) + i / N;
const options = { shape: [N, N], title: 'Temperature', caption: 'step 500, t = 1.25 s', label: 'T', unit: 'K', extent: [0, 1, 0, 1], xlabel: 'x [m]', ylabel: 'y [m]', colormap: 'viridis' };
// as in a live plot, every figure has a new caption (a new step): the title strip is drawn anew
// each time while the axes, ticks and colour bar come from the previous figure's overlay
const at = (r) => ({ ...options, caption: `step ${500 + r}, t = ${((500 + r) * 0.0025).toFixed(4)} s` });
let t = performance.now();
let png = heatmap(a, at(-1));
const first = performance.now() - t;
const ms = [];
for (let r = 0; r < repeats; r++) { t = performance.now(); png = heatmap(a, at(r)); ms.push(performance.now() - t); }
if (out) writeFileSync(out, png);
console.log(JSON.stringify({ first_ms: first, ms, bytes: png.length }));
