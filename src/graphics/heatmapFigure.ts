/**
 * The heat map figure: a field as an image with a colour scale, a colour bar with ticks and its
 * label (quantity and unit), axes in physical coordinates and a title. The vector parts (text,
 * axes, ticks) are SVG; the image and the colour bar are rasters of exactly known colours (the
 * colour scale's 240 steps). A PNG is indexed colour: the rasters' palette entries are written
 * straight into resvg's pixels (nearest neighbour, no resampling), whose greys become the
 * palette's 16 greys; for an SVG the rasters are embedded as PNG data URIs.
 */
import { ArgumentError, describe } from '../errors.js';
import { GraphicsError } from './errors.js';
import { COLOR_STEPS, colormapTable, COLORMAPS, colorStep, STEP_ENTRY, valueBounds, type ColormapName } from './colormaps.js';
import { canvasBytes, kernelEntries, releaseCanvas } from './imageMemory.js';
import { encodePng, pngOfRows } from './png.js';
import { textAsPaths, textStrip } from './glyphs.js';
import { rasterize } from './rasterize.js';
import { document, line, rect, text } from './svg.js';
import { linearTicks, tickLabels } from './ticks.js';

/** A 2-D image of values: `values[i * ny + j]` is column i (left to right) and row j (bottom to top). */
export interface Image2D {
  values: Float64Array | Float32Array;
  nx: number;
  ny: number;
}

/** How a heat map looks. Every field is optional. */
export interface HeatmapStyle {
  /** Title above the image. */
  title?: string;
  /** Colour map (default viridis; coolwarm for a symmetric range). */
  colormap?: ColormapName;
  /** The values at the two ends of the colour scale: [lo, hi], 'auto' (the image's min and max, the default) or 'symmetric' (±max |v|). */
  range?: readonly [number, number] | 'auto' | 'symmetric';
  /** Name of the quantity, on the colour bar ("temperature"). */
  label?: string;
  /** Its unit, on the colour bar after the label ("K"). */
  unit?: string;
  /** Physical coordinates of the image's edges [x0, x1, y0, y1] (default: cell indices). */
  extent?: readonly [number, number, number, number];
  /** Horizontal and vertical axis labels. */
  xlabel?: string;
  ylabel?: string;
  /** Longest side of the image on the figure in pixels (default: the largest multiple of the image's side up to 512, or 512). */
  plotSize?: number;
}

/**
 * A heat map figure is an indexed-colour PNG: palette entries 0-239 are the colour scale's steps
 * (colormaps.ts COLOR_STEPS), 240-255 sixteen greys, 0, 17, ..., 255, for everything else: the
 * overlay is black on white (text, axes and ticks, anti-aliased by resvg to greys, each drawn
 * in the nearest of the sixteen) and the colour for NaN (missing) values is one of them.
 */
const GREY0 = COLOR_STEPS;
const MISSING_ENTRY = GREY0 + 12; // (204, 204, 204)
/** The palette entry of each grey level 0-255: the nearest of the sixteen greys. */
const GREY_ENTRY = Uint8Array.from({ length: 256 }, (_, g) => GREY0 + Math.round(g / 17));
const palettes = new Map<ColormapName, Uint8Array>();

/** A colour map's 240 steps followed by the 16 greys (256 RGB triples: a PNG palette). */
function paletteOf(name: ColormapName): Uint8Array {
  let p = palettes.get(name);
  if (p === undefined) {
    const lut = colormapTable(name);
    p = new Uint8Array(256 * 3);
    for (let s = 0; s < COLOR_STEPS; s++) p.set(lut.subarray(3 * STEP_ENTRY[s], 3 * STEP_ENTRY[s] + 3), 3 * s);
    for (let g = 0; g < 16; g++) p.fill(17 * g, 3 * (GREY0 + g), 3 * (GREY0 + g) + 3);
    palettes.set(name, p);
  }
  return p;
}

/**
 * The palette entry of every value (colorStep's rule, NaN to MISSING_ENTRY), in the figure's
 * order: row r (top to bottom) is the image's j = ny - 1 - r, so that a row of the image on the
 * figure is a row here (a copy at 1:1). Writing transposed while reading in order measured
 * 0.75 ms for 512², against 1.1-1.5 ms for the entries in index order plus 0.7 ms for a
 * transposing blit. The entries go to `out` (default: a new nx × ny buffer) from `at`, `stride`
 * bytes from one row to the next (default nx), so that a figure drawing the image 1:1 gets them
 * straight in its canvas. In the render worker, an image in its shared image memory (a live
 * plot's) gets them from a WebAssembly SIMD kernel, the same bytes (imageMemory.ts). Local.
 */
function colorEntries(values: Float64Array | Float32Array, nx: number, ny: number, lo: number, hi: number, out: Uint8Array = new Uint8Array(nx * ny), at = 0, stride = nx): Uint8Array {
  const last = at + (ny - 1) * stride;
  if (!(hi > lo)) { for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) { const e = colorStep(values[i * ny + j], lo, hi); out[last - j * stride + i] = e < 0 ? MISSING_ENTRY : e; } return out; }
  const scale = COLOR_STEPS / (hi - lo);
  // a live plot's image in the render worker's shared memory: the WebAssembly SIMD kernel, same entries (imageMemory.ts)
  if (kernelEntries(values, nx, ny, lo, scale, out, at, stride)) return out;
  let i = 0;
  for (; i + 8 <= nx; i += 8) entriesOf8Columns(values, i * ny, ny, out, last + i, stride, lo, scale);
  for (; i < nx; i++) entriesOfColumn(values, i * ny, ny, out, last + i, stride, lo, scale);
  return out;
}

/** colorStep's rule for a value, given (v - lo) · scale (NaN to MISSING_ENTRY). */
const entryOf = (v: number, x: number) => (x > 0 ? (x < COLOR_STEPS - 1 ? x | 0 : COLOR_STEPS - 1) : v === v ? 0 : MISSING_ENTRY);

/**
 * Eight columns of colorEntries at once: values[from + k·ny + j] to out[to + k - j · stride], k = 0 .. 7:
 * eight adjacent bytes of a figure row per j, the loop's overhead shared by eight values
 * (512², thread CPU, min of 60: 0.38 ms against 0.68-0.71 ms a column at a time).
 */
function entriesOf8Columns(values: Float64Array | Float32Array, from: number, ny: number, out: Uint8Array, to: number, stride: number, lo: number, scale: number): void {
  const f1 = from + ny, f2 = f1 + ny, f3 = f2 + ny, f4 = f3 + ny, f5 = f4 + ny, f6 = f5 + ny, f7 = f6 + ny;
  for (let j = 0, q = to; j < ny; j++, q -= stride) {
    let v = values[from + j]; out[q] = entryOf(v, (v - lo) * scale);
    v = values[f1 + j]; out[q + 1] = entryOf(v, (v - lo) * scale);
    v = values[f2 + j]; out[q + 2] = entryOf(v, (v - lo) * scale);
    v = values[f3 + j]; out[q + 3] = entryOf(v, (v - lo) * scale);
    v = values[f4 + j]; out[q + 4] = entryOf(v, (v - lo) * scale);
    v = values[f5 + j]; out[q + 5] = entryOf(v, (v - lo) * scale);
    v = values[f6 + j]; out[q + 6] = entryOf(v, (v - lo) * scale);
    v = values[f7 + j]; out[q + 7] = entryOf(v, (v - lo) * scale);
  }
}

/** One column of colorEntries: values[from + j] to out[to - j · stride], j = 0 .. ny - 1 (a loop of its own, so that V8 compiles it early). */
function entriesOfColumn(values: Float64Array | Float32Array, from: number, ny: number, out: Uint8Array, to: number, stride: number, lo: number, scale: number): void {
  for (let j = 0, q = to; j < ny; j++, q -= stride) {
    const v = values[from + j];
    out[q] = entryOf(v, (v - lo) * scale);
  }
}

/** A raster placed on the figure: `blit(px, stride)` writes its pixels into an indexed canvas at (x, y). */
interface Raster {
  x: number; y: number; w: number; h: number;
  /** Writes the raster scaled to w × h into `px` (1 byte per pixel, an entry of the figure's palette; `stride` bytes from a row to the next). */
  blit(px: Uint8Array, stride: number): void;
  /** The raster at its own resolution, for an SVG <image>. */
  native(): { width: number; height: number; rgb: Uint8Array };
}

/** A figure laid out: its size, its SVG without rasters, and the rasters. */
export interface LaidOut {
  width: number;
  height: number;
  /** The whole SVG body (title included). */
  body: string;
  /**
   * The same body split for frame-to-frame caching: `still` (axes, ticks, colour-bar labels:
   * the same while the extent and the colour scale are) and `head` (the title, in the top
   * `headHeight` rows, which nothing else reaches; it changes with the step), its glyphs as
   * outlines placed by the font's metrics (glyphs.ts), which resvg draws without shaping;
   * `title` is that text (centred at x), for textStrip to draw from glyph pixels kept from
   * frame to frame without resvg (`head` is then never read: its outlines are made when first read).
   */
  split?: { still: string; head: string; headHeight: number; title?: { x: number; y: number; text: string; size: number } };
  rasters: Raster[];
  /** The palette the rasters' pixels are entries of (256 RGB triples: the colour scale's steps, then 16 greys). */
  palette: Uint8Array;
  /** Where things are, for tests and docs: plot area, colour bar, title baseline, colour scale. */
  geometry: { plot: Box; colorbar: Box; title: Box; range: [number, number] };
}

/** A rectangle on the figure, in pixels. */
export interface Box { x: number; y: number; w: number; h: number }

const textWidth = (s: string, size: number) => s.length * size * 0.6;

/** Checks a style object; throws ArgumentError naming the bad field. */
export function checkHeatmapStyle(style: HeatmapStyle, what: string): void {
  if (typeof style !== 'object' || style === null) throw new ArgumentError(`${what}: options must be an object, got ${describe(style)}`);
  for (const k of ['title', 'label', 'unit', 'xlabel', 'ylabel'] as const) {
    if (style[k] !== undefined && typeof style[k] !== 'string') throw new ArgumentError(`${what}: ${k} must be a string, got ${describe(style[k])}`);
  }
  if (style.colormap !== undefined && !COLORMAPS.includes(style.colormap)) throw new ArgumentError(`${what}: colormap must be one of ${COLORMAPS.join(', ')}, got ${describe(style.colormap)}`);
  const r = style.range;
  if (r !== undefined && r !== 'auto' && r !== 'symmetric' &&
    !(Array.isArray(r) && r.length === 2 && r.every((x) => typeof x === 'number' && Number.isFinite(x)) && r[0] < r[1])) {
    throw new ArgumentError(`${what}: range must be 'auto', 'symmetric' or [lo, hi] with finite lo < hi, got ${Array.isArray(r) ? `[${r.join(', ')}]` : describe(r)}`);
  }
  const e = style.extent;
  if (e !== undefined && !(Array.isArray(e) && e.length === 4 && e.every((x) => typeof x === 'number' && Number.isFinite(x)) && e[0] !== e[1] && e[2] !== e[3])) {
    throw new ArgumentError(`${what}: extent must be [x0, x1, y0, y1] of finite numbers with x0 ≠ x1 and y0 ≠ y1, got ${describe(e)}`);
  }
  if (style.plotSize !== undefined && (!Number.isInteger(style.plotSize) || style.plotSize < 16 || style.plotSize > 4096)) {
    throw new ArgumentError(`${what}: plotSize must be an integer from 16 to 4096 pixels, got ${describe(style.plotSize)}`);
  }
}

/** The colour scale's ends for an image under a style (finite values only; a flat image gets ±1 around its value). */
export function colorRange(values: Float64Array | Float32Array, style: HeatmapStyle, known?: [number, number]): [number, number] {
  const r = style.range ?? (style.colormap === 'coolwarm' ? 'symmetric' : 'auto');
  if (Array.isArray(r)) return [r[0], r[1]];
  let lo = Infinity, hi = -Infinity;
  if (known !== undefined) [lo, hi] = known;
  else [lo, hi] = valueBounds(values);
  if (!(lo <= hi)) return [0, 1];
  if (r === 'symmetric') { const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1; return [-m, m]; }
  if (lo === hi) return [lo - (Math.abs(lo) || 1), hi + (Math.abs(hi) || 1)];
  return [lo, hi];
}

/**
 * Lays a heat map out: sizes, the SVG body of the vector parts, and the image and colour-bar
 * rasters. `caption` (e.g. "step 500, t = 1.25 s") follows the title. `known` is the image's
 * min and max when already computed. The image raster reads `img.values` when it is drawn (its
 * palette entries are computed then), so they must not change before figureToPng or
 * figureToSvg has used the layout. Local.
 */
export function layoutHeatmap(img: Image2D, style: HeatmapStyle, caption = '', known?: [number, number]): LaidOut {
  const { nx, ny, values } = img;
  const [x0, x1, y0, y1] = style.extent ?? [0, nx, 0, ny];
  const [lo, hi] = colorRange(values, style, known);
  // plot area: physical aspect, longest side an integer multiple of the image when it fits
  const physW = Math.abs(x1 - x0), physH = Math.abs(y1 - y0);
  const longest = Math.max(nx, ny);
  const side = style.plotSize ?? (longest <= 512 ? longest * Math.max(1, Math.floor(512 / longest)) : 512);
  const w = Math.max(1, Math.round(physW >= physH ? side : side * physW / physH));
  const h = Math.max(1, Math.round(physH >= physW ? side : side * physH / physW));
  const xt = linearTicks(Math.min(x0, x1), Math.max(x0, x1), Math.max(2, Math.round(w / 100)));
  const yt = linearTicks(Math.min(y0, y1), Math.max(y0, y1), Math.max(2, Math.round(h / 80)));
  const ct = linearTicks(lo, hi, Math.max(2, Math.round(h / 80)));
  const xl = tickLabels(xt), yl = tickLabels(yt), cl = tickLabels(ct);
  const titleText = [style.title ?? '', caption].filter((s) => s !== '').join(' — ');
  const barLabel = [style.label ?? '', style.unit ? `[${style.unit}]` : ''].filter((s) => s !== '').join(' ');
  const left = 14 + (style.ylabel ? 18 : 0) + Math.max(20, ...yl.map((s) => textWidth(s, 12)));
  const top = titleText ? 40 : 14;
  const bottom = 30 + (style.xlabel ? 20 : 0);
  const barGap = 20, barW = 18;
  const right = barGap + barW + 10 + Math.max(20, ...cl.map((s) => textWidth(s, 12))) + (barLabel ? 24 : 10);
  const width = Math.ceil(left + w + right), height = Math.ceil(top + h + bottom);
  const px = Math.round(left), py = top;
  const bx = px + w + barGap;
  const sx = (X: number) => px + ((X - x0) / (x1 - x0)) * w;
  const sy = (Y: number) => py + h - ((Y - y0) / (y1 - y0)) * h;
  const sc = (V: number) => py + h - ((V - lo) / (hi - lo)) * h;
  const head = titleText ? text(width / 2, 26, titleText, 15, 'middle') : '';
  const parts: string[] = [];
  parts.push(rect(px - 0.5, py - 0.5, w + 1, h + 1, '#000'));
  xt.forEach((X, k) => { const x = Math.round(sx(X)) + 0.5; parts.push(line(x, py + h + 0.5, x, py + h + 5.5), text(x, py + h + 19, xl[k], 12)); });
  yt.forEach((Y, k) => { const y = Math.round(sy(Y)) + 0.5; parts.push(line(px - 5.5, y, px - 0.5, y), text(px - 8, y + 4, yl[k], 12, 'end')); });
  if (style.xlabel) parts.push(text(px + w / 2, py + h + 40, style.xlabel, 13));
  if (style.ylabel) parts.push(text(14, py + h / 2, style.ylabel, 13, 'middle', -90));
  parts.push(rect(bx - 0.5, py - 0.5, barW + 1, h + 1, '#000'));
  ct.forEach((V, k) => { const y = Math.round(sc(V)) + 0.5; parts.push(line(bx + barW + 0.5, y, bx + barW + 5.5, y), text(bx + barW + 8, y + 4, cl[k], 12, 'start')); });
  if (barLabel) parts.push(text(width - 12, py + h / 2, barLabel, 13, 'middle', 90));

  const pal = paletteOf(style.colormap ?? (style.range === 'symmetric' ? 'coolwarm' : 'viridis'));
  // palette entry of every image value (MISSING_ENTRY for NaN), rows top to bottom: computed
  // when first needed; an image drawn 1:1 gets its entries straight in the canvas (no 256 kB
  // buffer filled and copied per frame of a live plot)
  let idxKept: Uint8Array | null = null;
  const entries = () => (idxKept ??= colorEntries(values, nx, ny, lo, hi));
  const image: Raster = {
    x: px, y: py, w, h,
    blit(out, stride) {
      if (w === nx && h === ny && idxKept === null) { colorEntries(values, nx, ny, lo, hi, out, py * stride + px, stride); return; }
      const idx = entries();
      const col = new Int32Array(w);
      let oneToOne = w === nx;
      for (let c = 0; c < w; c++) { col[c] = Math.min(nx - 1, Math.floor(((c + 0.5) * nx) / w)); if (col[c] !== c) oneToOne = false; }
      for (let r = 0; r < h; r++) {
        const from = Math.min(ny - 1, Math.floor(((r + 0.5) * ny) / h)) * nx, o = (py + r) * stride + px;
        if (oneToOne) out.set(idx.subarray(from, from + nx), o); else blitRow(out, o, idx, col, from, w);
      }
    },
    native() {
      const idx = entries(), rgb = new Uint8Array(nx * ny * 3);
      for (let k = 0; k < nx * ny; k++) { const e = 3 * idx[k]; rgb[3 * k] = pal[e]; rgb[3 * k + 1] = pal[e + 1]; rgb[3 * k + 2] = pal[e + 2]; }
      return { width: nx, height: ny, rgb };
    },
  };
  const bar: Raster = {
    x: bx, y: py, w: barW, h,
    blit(out, stride) {
      for (let r = 0; r < h; r++) {
        const s = COLOR_STEPS - 1 - Math.min(COLOR_STEPS - 1, Math.floor(((r + 0.5) * COLOR_STEPS) / h)), o = (py + r) * stride + bx;
        out.fill(s, o, o + barW);
      }
    },
    native() {
      const rgb = new Uint8Array(COLOR_STEPS * 3);
      for (let r = 0; r < COLOR_STEPS; r++) rgb.set(pal.subarray(3 * (COLOR_STEPS - 1 - r), 3 * (COLOR_STEPS - r)), r * 3);
      return { width: 1, height: COLOR_STEPS, rgb };
    },
  };
  const still = parts.join('');
  // the title strip changes every frame of a live plot: drawn from glyph pixels (figureToPng), or
  // as glyph outlines (see glyphs.ts) only where those cannot be used, so the outlines' SVG is
  // made when first read
  let headPaths: string | null = titleText ? null : '';
  const split = {
    still, headHeight: top - 6, ...(titleText ? { title: { x: width / 2, y: 26, text: titleText, size: 15 } } : {}),
    get head(): string { return (headPaths ??= textAsPaths(width / 2, 26, titleText, 15, 'middle') ?? head); },
  };
  return {
    width, height, body: head + still, split, rasters: [image, bar], palette: pal,
    geometry: { plot: { x: px, y: py, w, h }, colorbar: { x: bx, y: py, w: barW, h }, title: { x: 0, y: 0, w: width, h: top - 6 }, range: [lo, hi] },
  };
}

/** One row of an image raster, scaled: out[o + c] = idx[from + col[c]] (a loop of its own, so that V8 compiles it early). */
function blitRow(out: Uint8Array, o: number, idx: Uint8Array, col: Int32Array, from: number, w: number): void {
  for (let c = 0; c < w; c++) out[o + c] = idx[from + col[c]];
}

/**
 * An SVG document's pixels in PNG's row layout: per row a filter byte (0, "None") and the row's
 * pixels, resvg's RGBA on the document's white background with alpha dropped: RGB (3 bytes), or
 * with `indexed` one byte, the entry of the nearest of the palette's 16 greys (a heat map's
 * overlay is black on white: GraphicsError if a pixel is not grey).
 */
function rasterizeRows(width: number, height: number, body: string, indexed: boolean): Uint8Array {
  const pm = rasterize(document(width, height, body));
  const src = pm.rgba;
  if (indexed) return greyRows(src, width, height);
  const rows = new Uint8Array((3 * width + 1) * height);
  for (let y = 0, p = 0, q = 0; y < height; y++) {
    rows[q++] = 0;
    for (let x = 0; x < width; x++, p += 4, q += 3) { rows[q] = src[p]; rows[q + 1] = src[p + 1]; rows[q + 2] = src[p + 2]; }
  }
  return rows;
}

/** Grey levels (a byte per pixel) into the first `height` rows of an indexed canvas: the nearest of the palette's greys. */
function greysToRows(greys: Uint8Array, rows: Uint8Array, width: number, height: number): void {
  for (let y = 0, p = 0, q = 0; y < height; y++) {
    rows[q++] = 0;
    for (let x = 0; x < width; x++) rows[q++] = GREY_ENTRY[greys[p++]];
  }
}

function greyRows(src: Uint8Array, width: number, height: number): Uint8Array {
  const rows = new Uint8Array((width + 1) * height);
  let other = 0;
  for (let y = 0, p = 0, q = 0; y < height; y++) {
    rows[q++] = 0;
    for (let x = 0; x < width; x++, p += 4, q++) {
      const r = src[p];
      other |= (r ^ src[p + 1]) | (r ^ src[p + 2]);
      rows[q] = GREY_ENTRY[r];
    }
  }
  if (other !== 0) throw new GraphicsError('graphics: a heat map\'s overlay (text, axes, ticks) must be black on white to be drawn in the palette\'s greys');
  return rows;
}

/**
 * The last vector overlays drawn, so a live plot re-rasterises only what changed since its last
 * frame: the still part (axes, ticks, labels) when the extent or the colour scale moved, the
 * title strip when the step did. Keyed by the SVG text itself; a few entries (a handful of
 * plots), least recently used dropped first.
 */
const overlays = new Map<string, Uint8Array>();
const OVERLAYS_KEPT = 8;

function cachedRows(width: number, height: number, body: string, indexed: boolean): Uint8Array {
  const key = `${indexed ? 'i' : 'rgb'}|${width}x${height}|${body}`;
  let rows = overlays.get(key);
  if (rows === undefined) {
    rows = rasterizeRows(width, height, body, indexed);
    if (overlays.size >= OVERLAYS_KEPT) overlays.delete(overlays.keys().next().value!);
  } else overlays.delete(key);
  overlays.set(key, rows); // most recently used last
  return rows;
}

/**
 * Per still overlay, the canvas the last figure with it was composed on: outside the title strip
 * and the rasters (which every figure with that overlay writes whole, at the same places, since
 * their places are part of the overlay) it still holds the overlay, so the next figure is
 * composed on it without copying the overlay in again. Same keys and least-recently-used order
 * as overlays.
 */
const canvases = new Map<string, Uint8Array>();

function canvasFor(width: number, height: number, still: string): Uint8Array {
  const key = `${width}x${height}|${still}`;
  let canvas = canvases.get(key);
  if (canvas === undefined) {
    // in the render worker's image memory where it has one, so the palette-entry kernel writes into it (imageMemory.ts)
    const rows = cachedRows(width, height, still, true);
    canvas = canvasBytes(rows.length);
    canvas.set(rows);
    if (canvases.size >= OVERLAYS_KEPT) {
      const oldest = canvases.keys().next().value!;
      releaseCanvas(canvases.get(oldest)!);
      canvases.delete(oldest);
    }
  } else canvases.delete(key);
  canvases.set(key, canvas);
  return canvas;
}

/**
 * Renders a laid-out figure to PNG bytes, composed straight in PNG's row layout, deflated with
 * no row filter at zlib `level` (default 1: for figures the fastest, and no filter made them
 * smaller than "Up"; measured in docs/graphics.md). A figure with rasters (a heat map) is an
 * indexed-colour PNG on its `palette`: resvg draws the vector parts, whose greys become the
 * palette's, and the rasters write their entries into those pixels; the title strip is drawn
 * from glyph pixels kept from frame to frame (glyphs.ts textStrip); it reuses the overlay
 * rasterised for an earlier figure with the same still part or title (see overlays), composed
 * on the canvas of the last figure with that still part (see canvases), so an unchanged overlay
 * costs nothing. A figure without rasters (a line plot, coloured lines) is RGB. Local,
 * synchronous. Throws GraphicsError if resvg cannot render.
 */
export function figureToPng(fig: { width: number; height: number; body: string; split?: LaidOut['split']; rasters: readonly Raster[]; palette?: Uint8Array }, level = 1): Uint8Array {
  const { width, height } = fig;
  if (fig.rasters.length === 0 || fig.palette === undefined) return pngOfRows(width, height, 3, rasterizeRows(width, height, fig.body, false), level);
  let rows: Uint8Array;
  if (fig.split === undefined) rows = rasterizeRows(width, height, fig.body, true);
  else {
    rows = canvasFor(width, height, fig.split.still);
    const hh = Math.min(height, fig.split.headHeight);
    const t = fig.split.title;
    if (hh > 0 && (t !== undefined || fig.split.head !== '')) {
      // the title from glyph pixels kept from frame to frame (glyphs.ts), else resvg draws the strip
      const greys = t === undefined ? null : textStrip(width, hh, t.x, t.y, t.text, t.size, 'middle');
      if (greys !== null) greysToRows(greys, rows, width, hh); else rows.set(cachedRows(width, hh, fig.split.head, true));
    }
  }
  const pixels = rows.subarray(1), stride = width + 1;
  for (const r of fig.rasters) r.blit(pixels, stride);
  return pngOfRows(width, height, 1, rows, level, fig.palette);
}

/** The figure as an SVG document, the rasters embedded as PNG data URIs (drawn without smoothing). Local. */
export function figureToSvg(fig: { width: number; height: number; body: string; rasters: readonly Raster[] }): string {
  const images = fig.rasters.map((r) => {
    const nat = r.native();
    const uri = 'data:image/png;base64,' + Buffer.from(encodePng(nat.width, nat.height, nat.rgb, 3)).toString('base64');
    return `<image x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${uri}"/>`;
  });
  return document(fig.width, fig.height, images.join('') + fig.body);
}
