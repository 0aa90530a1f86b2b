// Image tests that can fail: figures drawn from known fields are decoded and checked pixel by
// pixel (the colour of the data at chosen cells, the colour bar's ends, text where titles and
// tick labels go), pooling keeps a one-cell line that sampling drops, and the renderer never
// loads a system font. Runs in-process on the serial functions of simdeck/graphics.
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { Cadence } from '../../src/graphics/cadence.js';
import { COLOR_STEPS, colorIndex, colormapTable, COLORMAPS, colorStep, valueBounds } from '../../src/graphics/colormaps.js';
import { textAsPaths, textStrip } from '../../src/graphics/glyphs.js';
import { figureToPng, layoutHeatmap } from '../../src/graphics/heatmapFigure.js';
import { ImageMemory, useImageMemory } from '../../src/graphics/imageMemory.js';
import { layoutLines } from '../../src/graphics/linesFigure.js';
import { decodePng, encodePng } from '../../src/graphics/png.js';
import { rasterize } from '../../src/graphics/rasterize.js';
import { poolArray } from '../../src/graphics/reduce.js';
import { RenderQueue, type RenderResult } from '../../src/graphics/renderQueue.js';
import { heatmap, heatmapSvg, lines, toImage } from '../../src/graphics/serial.js';
import { document, text } from '../../src/graphics/svg.js';
import { linearTicks, logTicks, tickLabels } from '../../src/graphics/ticks.js';
import { saveImage } from './images.js';

const require = createRequire(import.meta.url);

/** RGB of pixel (x, y) of a decoded PNG. */
function pixel(img: ReturnType<typeof decodePng>, x: number, y: number): [number, number, number] {
  const o = (y * img.width + x) * img.channels;
  return [img.pixels[o], img.pixels[o + 1], img.pixels[o + 2]];
}
const lutRgb = (name: Parameters<typeof colormapTable>[0], k: number) => { const t = colormapTable(name); return [t[3 * k], t[3 * k + 1], t[3 * k + 2]]; };
/** Number of dark pixels (text, lines) in a box. */
function inkIn(img: ReturnType<typeof decodePng>, box: { x: number; y: number; w: number; h: number }): number {
  let n = 0;
  for (let y = Math.max(0, box.y); y < Math.min(img.height, box.y + box.h); y++) {
    for (let x = Math.max(0, box.x); x < Math.min(img.width, box.x + box.w); x++) { const [r, g, b] = pixel(img, x, y); if (r + g + b < 300) n++; }
  }
  return n;
}

describe('colour maps', () => {
  it('valueBounds: min and max two at a time, NaN ignored wherever it sits, the first of equal values kept', () => {
    const naive = (v: number[]) => { let lo = Infinity, hi = -Infinity; for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; } return [lo, hi]; };
    let seed = 3;
    const rand = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
    for (let t = 0; t < 200; t++) {
      const v = Array.from({ length: 1 + Math.floor(rand() * 9) }, () => { const r = rand(); return r < 0.2 ? NaN : r < 0.3 ? -0 : r < 0.4 ? 0 : Math.round(rand() * 6) - 3; });
      const got = valueBounds(v), want = naive(v);
      expect(Object.is(got[0], want[0]) && Object.is(got[1], want[1]), JSON.stringify(v.map(String))).toBe(true);
    }
    expect(valueBounds([NaN, 5, 2, NaN, 7])).toEqual([2, 7]);
    expect(valueBounds([NaN, NaN])).toEqual([Infinity, -Infinity]);
  });

  it('hold the published end and middle colours of each map', () => {
    const hex = (name: Parameters<typeof colormapTable>[0], k: number) => lutRgb(name, k).map((v) => v.toString(16).padStart(2, '0')).join('');
    expect(COLORMAPS).toEqual(['viridis', 'magma', 'cividis', 'coolwarm', 'grey']);
    expect([hex('viridis', 0), hex('viridis', 128), hex('viridis', 255)]).toEqual(['440154', '21918c', 'fde725']);
    expect([hex('magma', 0), hex('magma', 255)]).toEqual(['000004', 'fcfdbf']);
    expect([hex('cividis', 0), hex('cividis', 255)]).toEqual(['00224e', 'fee838']);
    expect([hex('coolwarm', 0), hex('coolwarm', 255)]).toEqual(['3b4cc0', 'b40426']);
    expect([hex('grey', 0), hex('grey', 100), hex('grey', 255)]).toEqual(['000000', '646464', 'ffffff']);
    expect(colorIndex(0, 0, 1)).toBe(0);
    expect(colorIndex(1, 0, 1)).toBe(255);
    expect(colorIndex(0.5, 0, 1)).toBe(128);
    expect(colorIndex(-5, 0, 1)).toBe(0);
    expect(colorIndex(NaN, 0, 1)).toBe(-1);
    expect(() => colormapTable('jet' as never)).toThrow(ArgumentError);
  });

  it('figures draw the scale in 240 equal steps, each with a table entry, the ends with the map\'s ends', () => {
    expect(COLOR_STEPS).toBe(240);
    // step s covers [lo + s (hi - lo) / 240, lo + (s + 1) (hi - lo) / 240)
    for (const s of [0, 1, 57, 119, 120, 200, 238]) {
      expect(colorStep(10 + (s + 0.01) * (30 / 240), 10, 40)).toBe(s);
      expect(colorStep(10 + (s + 0.99) * (30 / 240), 10, 40)).toBe(s);
    }
    expect([colorStep(9, 10, 40), colorStep(40, 10, 40), colorStep(1e300, 10, 40), colorStep(-Infinity, 10, 40), colorStep(NaN, 10, 40)]).toEqual([0, 239, 239, 0, -1]);
    // the entries: round(s · 255 / 239), every entry of the table within one of a step's
    const entries = Array.from({ length: 240 }, (_, s) => colorIndex(10 + (s + 0.5) * (30 / 240), 10, 40));
    expect(entries.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(entries.slice(-2)).toEqual([254, 255]);
    expect(entries[120]).toBe(128);
    for (let s = 1; s < 240; s++) expect(entries[s] - entries[s - 1]).toBeGreaterThanOrEqual(1);
    for (let s = 1; s < 240; s++) expect(entries[s] - entries[s - 1]).toBeLessThanOrEqual(2);
    expect(new Set(entries).size).toBe(240);
  });
});

describe('PNG codec', () => {
  it('round-trips grey, RGB and RGBA images and rejects damaged files', () => {
    for (const ch of [1, 3, 4] as const) {
      const px = new Uint8Array(7 * 5 * ch).map((_, i) => (i * 37) & 255);
      const d = decodePng(encodePng(7, 5, px, ch));
      expect([d.width, d.height, d.channels]).toEqual([7, 5, ch]);
      expect(Buffer.from(d.pixels).equals(Buffer.from(px))).toBe(true);
    }
    const png = encodePng(2, 2, new Uint8Array(12));
    png[png.length - 20] ^= 1;
    expect(() => decodePng(png)).toThrow(/CRC/);
    expect(() => encodePng(2, 2, new Uint8Array(11))).toThrow(ArgumentError);
  });

  it('writes indexed-colour images with their palette and reads them back as RGB', () => {
    const palette = Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30);
    const entries = new Uint8Array(9 * 4).map((_, i) => (i * 7) % 4);
    for (const filter of ['up', 'none'] as const) {
      const png = encodePng(9, 4, entries, 1, { palette, filter });
      expect(png[25]).toBe(3); // IHDR colour type: indexed
      const d = decodePng(png);
      expect([d.width, d.height, d.channels]).toEqual([9, 4, 3]);
      expect([...d.pixels]).toEqual([...entries].flatMap((e) => [...palette.subarray(3 * e, 3 * e + 3)]));
    }
    // an entry past the palette's end is a damaged file
    expect(() => decodePng(encodePng(2, 1, Uint8Array.of(0, 4), 1, { palette }))).toThrow(/past the palette/);
    expect(() => encodePng(2, 1, new Uint8Array(6), 3, { palette })).toThrow(ArgumentError);
    expect(() => encodePng(2, 1, new Uint8Array(2), 1, { palette: new Uint8Array(770) })).toThrow(ArgumentError);
  });
});

describe('heat maps', () => {
  // a ramp along x (i) with a marked cell: every data cell's colour is known
  const NX = 8, NY = 4;
  const ramp = Array.from({ length: NX }, (_, i) => Array.from({ length: NY }, (_, j) => (i === 6 && j === 3 ? -1 : i)));

  it('colour every cell by the map, with the colour bar running from the low end to the high end', () => {
    const options = { title: 'Ramp', label: 'u', unit: 'K', colormap: 'magma' as const, range: [0, 7] as [number, number] };
    const png = heatmap(ramp, options);
    saveImage('heatmap-ramp.png', png);
    const img = decodePng(png);
    const geo = layoutHeatmap(toImage(ramp, {}, 't'), { ...options, extent: [0, NX, 0, NY] }).geometry;
    expect([img.width, img.height]).toEqual([layoutHeatmap(toImage(ramp, {}, 't'), { ...options, extent: [0, NX, 0, NY] }).width, layoutHeatmap(toImage(ramp, {}, 't'), { ...options, extent: [0, NX, 0, NY] }).height]);
    const { plot, colorbar } = geo;
    const centre = (i: number, j: number) => [plot.x + Math.floor(((i + 0.5) * plot.w) / NX), plot.y + plot.h - 1 - Math.floor(((j + 0.5) * plot.h) / NY)];
    for (const [i, j] of [[0, 0], [3, 1], [7, 2], [5, 3]]) {
      const [x, y] = centre(i, j);
      expect(pixel(img, x, y), `cell (${i}, ${j})`).toEqual(lutRgb('magma', colorIndex(i, 0, 7)));
    }
    // the marked cell is below the range: the low end's colour; j = 3 is the top row
    expect(pixel(img, ...(centre(6, 3) as [number, number]))).toEqual(lutRgb('magma', 0));
    // colour bar: top row the high end, bottom row the low end
    expect(pixel(img, colorbar.x + 9, colorbar.y)).toEqual(lutRgb('magma', 255));
    expect(pixel(img, colorbar.x + 9, colorbar.y + colorbar.h - 1)).toEqual(lutRgb('magma', 0));
    // text: the title box, the tick labels under the plot and the colour-bar label are not empty
    expect(inkIn(img, geo.title)).toBeGreaterThan(40);
    expect(inkIn(img, { x: plot.x - 10, y: plot.y + plot.h + 8, w: plot.w + 20, h: 16 })).toBeGreaterThan(30);
    expect(inkIn(img, { x: img.width - 24, y: plot.y, w: 24, h: plot.h })).toBeGreaterThan(20);
    // an indexed-colour PNG: the colour bar runs through the 240 steps of the scale from top to
    // bottom, and everything outside the image and the bar is one of the palette's 16 greys
    expect(png[25]).toBe(3);
    const bar = Array.from({ length: colorbar.h }, (_, r) => pixel(img, colorbar.x + 9, colorbar.y + r).join());
    expect(new Set(bar).size).toBe(240);
    expect(bar.every((c, r) => r === 0 || c === bar[r - 1] || !bar.slice(0, r - 1).includes(c))).toBe(true); // each step in one run
    const greys = new Set<string>();
    const inside = (x: number, y: number, b: { x: number; y: number; w: number; h: number }) => x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h;
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) if (!inside(x, y, plot) && !inside(x, y, colorbar)) greys.add(pixel(img, x, y).join());
    }
    expect([...greys].every((c) => { const [r, g, b] = c.split(',').map(Number); return r === g && g === b && r % 17 === 0; })).toBe(true);
    expect(greys.size).toBeGreaterThan(8); // anti-aliased text: more than black and white
  });

  it('the text checks can fail: the same figure rendered by resvg without any font has an empty title box', () => {
    const { Resvg } = require('@resvg/resvg-js');
    const fig = layoutHeatmap(toImage(ramp, {}, 't'), { title: 'Ramp', range: [0, 7], extent: [0, NX, 0, NY] });
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${fig.width}" height="${fig.height}"><rect width="100%" height="100%" fill="#fff"/>${fig.body}</svg>`;
    const noFont = decodePng(new Uint8Array(new Resvg(svg, { font: { loadSystemFonts: false } }).render().asPng()));
    expect(inkIn(noFont, fig.geometry.title)).toBe(0);
    // the frame around the plot is still drawn: only text is missing
    expect(inkIn(noFont, { x: fig.geometry.plot.x - 1, y: fig.geometry.plot.y - 1, w: fig.geometry.plot.w + 2, h: 2 })).toBeGreaterThan(fig.geometry.plot.w / 2);
    // simdeck's renderer is configured with the shipped font and never with system fonts
    const source = readFileSync(new URL('../../src/graphics/rasterize.ts', import.meta.url), 'utf8');
    expect(source).toMatch(/loadSystemFonts: false, fontFiles: \[figureFont\(\)\]/);
  });

  it('frames composed on the canvas of the previous frame with the same overlay come out as if drawn alone', () => {
    // A (with NaN holes), then B (other values, a longer caption), then A again: A's bytes must
    // not change (nothing of B may show through A's holes or around its title)
    const n = 64, b = new Float64Array(n * n).map((_, k) => (k % 97) / 96), a = new Float64Array(n * n).map((_, k) => (k % 13 === 0 ? NaN : 1 - (k % 89) / 88));
    const style = { title: 'Canvas', range: [0, 1] as [number, number], extent: [0, 1, 0, 1] as [number, number, number, number], colormap: 'magma' as const };
    const first = figureToPng(layoutHeatmap({ values: a, nx: n, ny: n }, style, 'step 1'));
    const other = figureToPng(layoutHeatmap({ values: b, nx: n, ny: n }, style, 'step 123456789, t = 0.123456 s'));
    const again = figureToPng(layoutHeatmap({ values: a, nx: n, ny: n }, style, 'step 1'));
    expect(Buffer.from(again).equals(Buffer.from(first))).toBe(true);
    expect(Buffer.from(other).equals(Buffer.from(first))).toBe(false);
    // A's own pixels: a NaN cell is the missing colour, a value cell its colour
    const fig = layoutHeatmap({ values: a, nx: n, ny: n }, style, 'x'), img = decodePng(again), { x, y, h } = fig.geometry.plot, s = h / n;
    expect(pixel(img, x + Math.floor(s / 2), y + h - 1 - Math.floor(s / 2))).toEqual([204, 204, 204]); // cell (0, 0): k = 0, NaN
    expect(pixel(img, x + Math.floor(s / 2), y + h - 1 - Math.floor(s + s / 2))).toEqual(lutRgb('magma', colorIndex(a[1], 0, 1)));
  });

  it('a live title drawn as glyph outlines placed by the font\'s metrics matches resvg\'s own text layout', () => {
    const title = 'Temperature — step 12345, t = 0.0125 s (AVAWTe)';
    const strip = (body: string) => rasterize(document(400, 34, body)).rgba;
    const own = strip(text(200, 26, title, 15, 'middle'));
    const glyphs = textAsPaths(200, 26, title, 15, 'middle');
    expect(glyphs).not.toBeNull();
    expect(glyphs).not.toContain('<text');
    const placed = strip(glyphs!);
    let ink = 0, diff = 0;
    for (let k = 0; k < own.length; k += 4) { ink += 255 - own[k]; diff += Math.abs(own[k] - placed[k]); }
    expect(ink).toBeGreaterThan(100_000); // the title is there
    expect(diff / ink).toBeLessThan(0.01); // kerning (AV, Te) and advances as resvg lays them out
    // the check can fail: the same glyphs one pixel to the right differ by far more
    const shifted = strip(textAsPaths(201, 26, title, 15, 'middle')!);
    let off = 0;
    for (let k = 0; k < own.length; k += 4) off += Math.abs(own[k] - shifted[k]);
    expect(off / ink).toBeGreaterThan(0.3);
    // a character the font lacks: no outline, the caller keeps a <text>
    expect(textAsPaths(0, 0, 'step \u{1F600}', 15, 'start')).toBeNull();
  });

  it('a live title laid from glyph pixels kept per sixteenth of a pixel matches resvg drawing the same outlines', () => {
    const title = 'Temperature — step 12345, t = 0.0125 s (AVAWTe)';
    const strip = (body: string) => rasterize(document(400, 34, body)).rgba;
    for (const x of [200, 200.3, 187.55]) {
      const own = strip(textAsPaths(x, 26, title, 15, 'middle')!);
      const laid = textStrip(400, 34, x, 26, title, 15, 'middle')!;
      expect(laid.length).toBe(400 * 34);
      let ink = 0, diff = 0;
      for (let k = 0; k < laid.length; k++) { ink += 255 - own[4 * k]; diff += Math.abs(own[4 * k] - laid[k]); }
      expect(ink).toBeGreaterThan(100_000);
      expect(diff / ink, `x = ${x}`).toBeLessThan(0.025); // at most 1/32 px off per glyph (1.7-1.8 % measured; 1/16 px gave 2.6-3.3 %)
      // the check can fail: the strip one pixel to the right differs by far more
      const shifted = textStrip(400, 34, x + 1, 26, title, 15, 'middle')!;
      let off = 0;
      for (let k = 0; k < laid.length; k++) off += Math.abs(own[4 * k] - shifted[k]);
      expect(off / ink).toBeGreaterThan(0.3);
    }
    expect(textStrip(400, 34, 0, 26, 'step \u{1F600}', 15, 'start')).toBeNull();
  });

  it('the SVG version (rasters as PNG data URIs) renders to the same colours as the PNG', () => {
    const { Resvg } = require('@resvg/resvg-js');
    const options = { title: 'Ramp', colormap: 'viridis' as const, range: [0, 7] as [number, number] };
    const direct = decodePng(heatmap(ramp, options));
    const font = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
    const viaSvg = decodePng(new Uint8Array(new Resvg(heatmapSvg(ramp, options), { font: { loadSystemFonts: false, fontFiles: [font] } }).render().asPng()));
    const geo = layoutHeatmap(toImage(ramp, {}, 't'), { ...options, extent: [0, NX, 0, NY] }).geometry;
    for (const i of [0, 2, 7]) {
      const x = geo.plot.x + Math.floor(((i + 0.5) * geo.plot.w) / NX), y = geo.plot.y + Math.floor(geo.plot.h / 2);
      // resvg's own PNG decoding moves a channel by a few units (measured up to 5)
      pixel(viaSvg, x, y).forEach((v, c) => expect(Math.abs(v - pixel(direct, x, y)[c])).toBeLessThanOrEqual(8));
    }
  });

  it('pooling keeps a one-cell-wide line that sampling (striding) drops', () => {
    const N = 512, line = 77;
    const field = new Float64Array(N * N);
    for (let i = 0; i < N; i++) field[i * N + line] = 1;
    const maxPooled = poolArray(field, N, N, 64, 64, 'max');
    const sampled = poolArray(field, N, N, 64, 64, 'sample');
    const meanPooled = poolArray(field, N, N, 64, 64, 'mean');
    expect(sampled.every((v) => v === 0)).toBe(true);
    const row = Math.floor((line * 64) / N);
    for (let p = 0; p < 64; p++) { expect(maxPooled[p * 64 + row]).toBe(1); expect(meanPooled[p * 64 + row]).toBe(1 / 8); }
    // and in the picture: the pooled line's row is the top of the colour scale, the sampled image has none of it
    for (const [pool, expected] of [['max', 255], ['sample', 0]] as const) {
      const png = heatmap(field, { shape: [N, N], size: 64, pool, range: [0, 1], colormap: 'grey', title: `pool ${pool}` });
      if (pool === 'max') saveImage('pooling-keeps-line.png', png);
      const img = decodePng(png);
      const geo = layoutHeatmap({ values: maxPooled, nx: 64, ny: 64 }, { range: [0, 1], title: 't', extent: [0, N, 0, N] }).geometry;
      const y = geo.plot.y + geo.plot.h - 1 - Math.floor(((row + 0.5) * geo.plot.h) / 64);
      expect(pixel(img, geo.plot.x + 100, y)).toEqual([expected, expected, expected]);
    }
  });

  it('reads flat arrays in C and F order and rejects bad input with ArgumentError', () => {
    const c = toImage(Float64Array.of(1, 2, 3, 4, 5, 6), { shape: [2, 3] }, 't');
    const f = toImage(Float64Array.of(1, 4, 2, 5, 3, 6), { shape: [2, 3], layout: 'F' }, 't');
    expect([...f.values]).toEqual([...c.values]);
    expect(() => heatmap(new Float64Array(5), { shape: [2, 3] })).toThrow(/needs 6 values/);
    expect(() => heatmap([[1, 2], [3]])).toThrow(ArgumentError);
    expect(() => heatmap([[1]], { colormap: 'jet' as never })).toThrow(/colormap must be one of/);
    expect(() => heatmap([[1]], { range: [2, 1] })).toThrow(/range must be/);
    expect(() => heatmap([[1]], { file: '' })).toThrow(/file must be a path/);
  });

  it('writes the PNG atomically when given a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdeck-graphics-'));
    const png = heatmap(ramp, { file: join(dir, 'out.png') });
    expect(readdirSync(dir)).toEqual(['out.png']);
    expect(Buffer.from(readFileSync(join(dir, 'out.png'))).equals(Buffer.from(png))).toBe(true);
  });
});

describe('render queue', () => {
  it('detaches no buffer: a shared image comes back as the same memory, any other is copied and stays readable', () => {
    // a transfer (detach) makes V8 recompile the thread's typed-array loops with detach checks
    // (the drawing rank's pooling about 1.5x slower): the queue must share or copy instead
    const dir = mkdtempSync(join(tmpdir(), 'simdeck-queue-'));
    const q = new RenderQueue(4, dir, false, false);
    const n = 16, style = { title: 'q', colormap: 'magma' as const };
    const shared = new Float32Array(new SharedArrayBuffer(4 * n * n));
    for (let k = 0; k < n * n; k++) shared[k] = k;
    const plain = new Float64Array(n * n).map((_, k) => k);
    expect(q.submit({ kind: 'heatmap', name: 'a', step: 1, time: 0, image: { values: shared, nx: n, ny: n }, style, caption: 's1' })).toBe(true);
    expect(q.submit({ kind: 'heatmap', name: 'b', step: 1, time: 0, image: { values: plain, nx: n, ny: n }, style, caption: 's1' })).toBe(true);
    expect(shared.length).toBe(n * n);
    expect(plain.length).toBe(n * n);
    expect(plain[n * n - 1]).toBe(n * n - 1);
    expect(q.drain(60_000)).toBe(true);
    const got: RenderResult[] = q.results();
    q.close();
    expect(got.map((r) => [r.name, r.error ?? null, r.file])).toEqual([['a', null, 'a-000001.png'], ['b', null, 'b-000001.png']]);
    const back = got[0].buffer!;
    expect(back.buffer).toBeInstanceOf(SharedArrayBuffer);
    back[3] = -1; // the same memory as the image submitted
    expect(shared[3]).toBe(-1);
    expect(got[1].buffer).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(['a-000001.png', 'b-000001.png']);
  });
  it('raises a SCHED_IDLE worker to nice 19 while a frame waits behind another, and puts it back when the queue is empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdeck-queue-'));
    const q = new RenderQueue(4, dir, false, true);
    const sleep = new Int32Array(new SharedArrayBuffer(4));
    for (let k = 0; k < 1000 && q.workerThread === null; k++) Atomics.wait(sleep, 0, 0, 10);
    const tid = q.workerThread!;
    expect(tid).toBeGreaterThan(0);
    // policy (SCHED_IDLE 5, SCHED_OTHER 0) and nice value, as the kernel shows them
    const sched = () => { const f = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' '); return { policy: Number(f[38]), nice: Number(f[16]) }; };
    expect(sched().policy).toBe(5);
    // leaving SCHED_IDLE needs CAP_SYS_NICE (bit 23) or an RLIMIT_NICE of at least 1 (nice 19)
    const caps = BigInt('0x' + /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
    const rlimit = Number(/Max nice priority\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 0);
    const mayRaise = (caps & (1n << 23n)) !== 0n || rlimit >= 1;
    const n = 768, style = { title: 'busy', colormap: 'magma' as const };
    const [one, two] = [1, 2].map((c) => new Float64Array(n * n).map((_, k) => Math.sin(k * 1e-3 * c) * k));
    expect(q.submit({ kind: 'heatmap', name: 'a', step: 1, time: 0, image: { values: one, nx: n, ny: n }, style, caption: 's1' })).toBe(true);
    expect(sched().policy).toBe(5); // one frame: it stays idle
    expect(q.submit({ kind: 'heatmap', name: 'a', step: 2, time: 0, image: { values: two, nx: n, ny: n }, style, caption: 's2' })).toBe(true);
    if (mayRaise) {
      expect(q.pending).toBe(2); // (a 768² figure takes far longer than making the next image)
      expect(sched()).toEqual({ policy: 0, nice: 19 });
      expect(q.raised).toBe(1);
    } else {
      expect(sched().policy).toBe(5);
      expect(q.raised).toBe(0);
    }
    expect(q.drain(60_000)).toBe(true);
    for (let k = 0; k < 500 && sched().policy !== 5; k++) Atomics.wait(sleep, 0, 0, 2);
    expect(sched().policy).toBe(5);
    const got = q.results();
    q.close();
    expect(got.map((r) => [r.step, r.error ?? null])).toEqual([[1, null], [2, null]]);
  });
});

describe('image memory', () => {
  /** Values around every colour step's edge of [lo, hi], both ends, beyond them, NaN, ±Infinity, zeros of both signs. */
  function edgeValues(n: number, lo: number, hi: number, seed: number): Float32Array {
    let s = seed;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const v = new Float32Array(n);
    const specials = [NaN, Infinity, -Infinity, 0, -0, lo, hi, Math.fround(lo), Math.fround(hi), -1e30, 1e30];
    for (let k = 0; k < n; k++) {
      const r = rnd();
      if (r < 0.1) v[k] = specials[Math.floor(rnd() * specials.length)];
      else if (r < 0.6) { const st = Math.floor(rnd() * 245) - 2; const x = Math.fround(lo + (st * (hi - lo)) / COLOR_STEPS); v[k] = rnd() < 0.5 ? x : x + (rnd() - 0.5) * 1e-6 * (hi - lo); }
      else v[k] = lo - 0.1 * (hi - lo) + rnd() * 1.2 * (hi - lo);
    }
    return v;
  }

  it('the WebAssembly palette entries of an image in the memory are the JavaScript loop\'s, byte for byte, in a figure', () => {
    const writer = ImageMemory.create();
    if (writer === null) return; // no WebAssembly SIMD or shared memory here: the JavaScript loop draws (tested everywhere else)
    const reader = ImageMemory.attach(writer.memory)!;
    expect(reader).not.toBeNull();
    for (const [nx, ny, lo, hi, seed] of [[64, 48, -3.7, 11.3, 1], [128, 128, 0, 1, 2], [512, 512, 1e-3, 1e-3 + 1e-9, 3], [36, 20, -1e6, 5, 4]] as const) {
      const values = writer.alloc32(nx * ny)!;
      values.set(edgeValues(nx * ny, lo, hi, seed));
      expect(reader.holds(values)).toBe(true);
      expect(reader.holds(new Float32Array(new SharedArrayBuffer(values.byteLength + values.byteOffset)))).toBe(false);
      const plain = Float32Array.from(values);
      const style = { title: 'k', colormap: 'magma' as const, range: [lo, hi] as [number, number] };
      const js = figureToPng(layoutHeatmap({ values: plain, nx, ny }, style, 'c'));
      // the kernel on its own: the same entries as the loop into a strided canvas
      const stride = nx + 7, out = new Uint8Array(stride * (ny + 3)).fill(77);
      expect(reader.entries(values, nx, ny, lo, COLOR_STEPS / (hi - lo), out, 3 * stride + 5, stride)).toBe(true);
      for (let i = 0; i < nx; i += 7) for (let j = 0; j < ny; j++) {
        const v = plain[i * ny + j], e = colorStep(v, lo, hi);
        expect(out[3 * stride + 5 + (ny - 1 - j) * stride + i]).toBe(e < 0 ? 252 : e);
      }
      expect(out[3 * stride + 4]).toBe(77); // nothing written outside the image
      useImageMemory(reader);
      try {
        const wasm = figureToPng(layoutHeatmap({ values, nx, ny }, style, 'c'));
        expect(Buffer.compare(Buffer.from(wasm), Buffer.from(js))).toBe(0);
      } finally {
        useImageMemory(null);
      }
    }
    // the kernel refuses what it cannot do (odd sizes, an image elsewhere): the caller's loop draws
    const odd = writer.alloc32(6 * 5)!;
    expect(reader.entries(odd, 6, 5, 0, 1, new Uint8Array(30), 0, 6)).toBe(false);
    expect(reader.entries(new Float32Array(16), 4, 4, 0, 1, new Uint8Array(16), 0, 4)).toBe(false);
  });

  it('reuses released blocks (the memory never shrinks), zeroed, and ignores foreign ones', () => {
    const m = ImageMemory.create();
    if (m === null) return;
    const a = m.alloc32(1000)!, b = m.alloc32(1000)!;
    expect(b.byteOffset).not.toBe(a.byteOffset);
    a.fill(3);
    m.release(a);
    m.release(new Float32Array(new SharedArrayBuffer(4000)));
    const c = m.alloc32(1000)!;
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(c.every((x) => x === 0)).toBe(true);
    const pages = m.memory.buffer.byteLength;
    for (let k = 0; k < 50; k++) { const d = m.allocBytes(70000)!; d.fill(1); m.release(d); }
    expect(m.memory.buffer.byteLength).toBe(pages + 2 * 65536);
  });

  it('a live image allocated by the render queue is drawn by the worker to the bytes of the same image in a plain shared buffer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdeck-queue-'));
    const q = new RenderQueue(4, dir, false, false);
    const nx = 96, ny = 64, style = { title: 'w', colormap: 'viridis' as const };
    const pooled = q.alloc32(nx * ny);
    pooled.set(edgeValues(nx * ny, -2, 7, 5));
    const shared = new Float32Array(new SharedArrayBuffer(4 * nx * ny));
    shared.set(pooled);
    expect(q.submit({ kind: 'heatmap', name: 'a', step: 1, time: 0, image: { values: pooled, nx, ny }, style, caption: 's', known: [-2, 7] })).toBe(true);
    expect(q.submit({ kind: 'heatmap', name: 'b', step: 1, time: 0, image: { values: shared, nx, ny }, style, caption: 's', known: [-2, 7] })).toBe(true);
    expect(q.drain(60_000)).toBe(true);
    const got = q.results();
    q.close();
    expect(got.map((r) => r.error ?? null)).toEqual([null, null]);
    expect(Buffer.compare(readFileSync(join(dir, 'a-000001.png')), readFileSync(join(dir, 'b-000001.png')))).toBe(0);
    got[0].buffer![0] = 12.5; // handed back as the same memory, to be pooled into again
    expect(pooled[0]).toBe(12.5);
  });
});

describe('line plots', () => {
  it('draw each series in its colour, with log ticks, a legend and labels', () => {
    const x = Array.from({ length: 50 }, (_, k) => k + 1);
    const series = [{ name: 'k^2', x, y: x.map((v) => v * v) }, { name: 'flat', x, y: x.map(() => 30), color: '#d62728' }];
    const style = { title: 'Growth', xlabel: 'k', ylabel: 'value', logY: true };
    const png = lines(series, style);
    saveImage('lines-log.png', png);
    const img = decodePng(png);
    const { toPixel } = layoutLines(series, style);
    // the flat line at y = 30, a quarter of the way along
    const [x13, y30] = toPixel(13, 30);
    // the reddest of the three pixel rows around it (the line is anti-aliased)
    const at = [-1, 0, 1].map((dy) => pixel(img, Math.round(x13), Math.round(y30) + dy)).sort((a, b) => a[1] - b[1])[0];
    expect(at[0]).toBeGreaterThan(170);
    expect(at[0] - at[1]).toBeGreaterThan(70);
    expect(at[0] - at[2]).toBeGreaterThan(70);
    expect(inkIn(img, { x: 0, y: 0, w: img.width, h: 34 })).toBeGreaterThan(40);
    expect(() => lines([{ name: 'a', x: [1, 2], y: [1] }])).toThrow(/same length/);
    expect(() => lines([])).toThrow(ArgumentError);
  });

  it('ticks are round numbers within the range', () => {
    expect(linearTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]);
    expect(tickLabels(linearTicks(0, 1, 5))).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1']);
    expect(linearTicks(-3, 12, 5)).toEqual([0, 5, 10]);
    expect(linearTicks(-3.5, 1.2, 5)).toEqual([-3, -2, -1, 0, 1]);
    expect(linearTicks(-3.5, 1.2, 3)).toEqual([-2, 0]);
    expect(logTicks(1, 2500)).toEqual([1, 10, 100, 1000]);
  });
});

describe('cadence', () => {
  it('every N steps, every interval of time, once per step however often asked', () => {
    const steps = new Cadence({ steps: 5 });
    expect([0, 1, 5, 5, 7, 10].map((step) => steps.due({ step, time: 0 }))).toEqual([true, false, true, true, false, true]);
    const time = new Cadence({ time: 0.5 });
    const due = [0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2].map((t, step) => time.due({ step, time: t }));
    expect(due).toEqual([true, false, false, true, false, true, false]);
  });

  it('budget mode spaces frames so that graphics take the budget\'s share of the run time', () => {
    // a frame costs 10 ms, a step 5 ms: 2 % means a frame about every 100 steps
    const c = new Cadence({ budget: 0.02 });
    let spent = 0, elapsed = 0, frames = 0;
    for (let step = 0; step < 20000; step++) {
      if (c.probe(step)) c.agree(step, spent, elapsed); // the pace, measured once after the first frame
      if (c.due({ step, time: step })) {
        frames++;
        spent += 10; elapsed += 10;
        c.agree(step, spent, elapsed);
      }
      elapsed += 5;
    }
    expect(spent / elapsed).toBeGreaterThan(0.015);
    expect(spent / elapsed).toBeLessThan(0.025);
    expect(c.interval).toBeGreaterThan(90);
    expect(c.interval).toBeLessThan(110);
    expect(frames).toBeGreaterThan(150);
  });

  it('budget mode converges on the budget in a short run whose frames cost what LivePlots sees: set-up apart, render CPU reported late, frame costs varying', () => {
    // fake clock, the arithmetic of LivePlots' accounting: a step takes 10 ms; a plot's first
    // frame (set-up, 300 ms) is left out of both the cost and the run time; a later frame costs
    // 4-8 ms on the critical path at once and 6-10 ms of render CPU that is known only two steps
    // later (counted at the mean so far meanwhile); the agreement made at the end of a frame is
    // applied at the next step, as LivePlots' nonblocking allreduce is
    for (const budget of [0.02, 0.05]) {
      for (const steps of [500, 2000]) {
        const c = new Cadence({ budget });
        let clock = 0, setup = 0, critical = 0, renderKnown = 0, rendered = 0, frames = 0, seed = 7;
        const rand = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
        const renders: { at: number; cpu: number }[] = [];
        let pending: { step: number; spent: number; elapsed: number } | null = null;
        const cost = () => critical + renderKnown + renders.length * (rendered > 0 ? renderKnown / rendered : 0);
        for (let step = 1; step <= steps; step++) {
          clock += 10;
          for (let k = renders.length - 1; k >= 0; k--) if (renders[k].at <= step) { renderKnown += renders[k].cpu; rendered++; renders.splice(k, 1); }
          if (pending !== null && step > pending.step) { c.agree(pending.step, pending.spent, pending.elapsed); pending = null; }
          if (c.probe(step)) pending = { step, spent: cost(), elapsed: clock - setup };
          if (c.due({ step, time: step })) {
            if (frames++ === 0) { clock += 300; setup += 300; } else {
              const ms = 4 + 4 * rand();
              clock += ms; critical += ms;
              renders.push({ at: step + 2, cpu: 6 + 4 * rand() });
            }
            pending = { step, spent: cost(), elapsed: clock - setup };
          }
        }
        for (const r of renders) renderKnown += r.cpu;
        const share = (critical + renderKnown) / (clock - setup);
        expect(Math.abs(share - budget), `budget ${budget}, ${steps} steps: share ${share}, ${frames} frames`).toBeLessThan(0.005);
        expect(frames).toBeGreaterThan(3);
      }
    }
  });
});
