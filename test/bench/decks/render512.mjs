// Renders the same 512 x 512 heat map with colour bar and title to PNG `repeats` times with
// simdeck's serial heatmap(); prints one JSON line with every time (ms). The first call (loading
// resvg and the font) is timed separately. Peer: test/bench/peers/render512.py (matplotlib).
//   node test/bench/decks/render512.mjs [repeats] [out.png]
import { writeFileSync } from 'node:fs';
import { heatmap } from '../../../dist/src/graphics/index.js';

const repeats = Number(process.argv[2] ?? 10), out = process.argv[3];
const N = 512, a = new Float64Array(N * N);
for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) a[i * N + j] = Math.sin(i / 30) * Math.cos(j / 20) + i / N;
const options = { shape: [N, N], title: 'Temperature', caption: 'step 500, t = 1.25 s', label: 'T', unit: 'K', extent: [0, 1, 0, 1], xlabel: 'x [m]', ylabel: 'y [m]', colormap: 'viridis' };
let t = performance.now();
let png = heatmap(a, options);
const first = performance.now() - t;
const ms = [];
for (let r = 0; r < repeats; r++) { t = performance.now(); png = heatmap(a, options); ms.push(performance.now() - t); }
if (out) writeFileSync(out, png);
console.log(JSON.stringify({ first_ms: first, ms, bytes: png.length }));
