/**
 * The heat map figure: a field as an image with a colour scale, a colour bar with ticks and its
 * label (quantity and unit), axes in physical coordinates and a title. The vector parts (text,
 * axes, ticks) are SVG; the image and the colour bar are rasters of exactly known colours. For a
 * PNG the rasters are written straight into resvg's pixels (nearest neighbour, no resampling);
 * for an SVG they are embedded as PNG data URIs.
 */
import { ArgumentError, describe } from '../errors.js';
import { colorIndex, colormapTable, COLORMAPS, valueBounds, type ColormapName } from './colormaps.js';
import { encodePng, pngOfRows } from './png.js';
import { textAsPaths } from './glyphs.js';
import { rasterize } from './rasterize.js';
import { document, line, rect, text } from './svg.js';
import { linearTicks, tickLabels } from './ticks.js';

/** A 2-D image of values: `values[i * ny + j]` is column i (left to right) and row j (bottom to top). */
export interface Image2D {
  values: Float64Array;
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

/** The colour for NaN (missing) values, and its entry in a palette (after the map's 256). */
const MISSING = [204, 204, 204];
const MISSING_ENTRY = 256;
const palettes = new Map<ColormapName, Uint8Array>();

/** A colour map's 256 entries followed by the missing colour (257 RGB triples). */
function paletteOf(name: ColormapName): Uint8Array {
  let p = palettes.get(name);
  if (p === undefined) {
    p = new Uint8Array(257 * 3);
    p.set(colormapTable(name));
    p.set(MISSING, 3 * MISSING_ENTRY);
    palettes.set(name, p);
  }
  return p;
}

/** A palette's entries packed as little-endian 32-bit words (R, G, B, 0), for one store per pixel. */
const packed = new WeakMap<Uint8Array, Uint32Array>();
function packedOf(lut: Uint8Array): Uint32Array {
  let p = packed.get(lut);
  if (p === undefined) {
    p = new Uint32Array(lut.length / 3);
    for (let e = 0; e < p.length; e++) p[e] = lut[3 * e] | (lut[3 * e + 1] << 8) | (lut[3 * e + 2] << 16);
    packed.set(lut, p);
  }
  return p;
}

/** The palette entry of every value: colorIndex's rule inlined (one pass, no call per pixel), NaN to MISSING_ENTRY. */
function colorEntries(values: Float64Array, lo: number, hi: number): Uint16Array {
  const out = new Uint16Array(values.length);
  const span = hi - lo;
  if (!(span > 0)) { for (let k = 0; k < values.length; k++) { const e = colorIndex(values[k], lo, hi); out[k] = e < 0 ? MISSING_ENTRY : e; } return out; }
  // the same rule as colorIndex with fewer branches (about 30 % faster): t·256 < 256 for t < 1
  // (a product by a power of two is exact), so no min; a NaN t from an infinite value gives 0
  // as Math.floor's NaN did when stored
  for (let k = 0; k < values.length; k++) {
    const v = values[k], t = (v - lo) / span;
    out[k] = t > 0 ? (t < 1 ? (t * 256) | 0 : 255) : v === v ? 0 : MISSING_ENTRY;
  }
  return out;
}

/** A raster placed on the figure: `fill(rgb, stride)` writes its pixels into an RGB canvas at (x, y). */
interface Raster {
  x: number; y: number; w: number; h: number;
  /** Writes the raster scaled to w × h into `rgb` (3 bytes per pixel, `stride` bytes from a row to the next). */
  blit(rgb: Uint8Array, stride: number): void;
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
   * outlines placed by the font's metrics (glyphs.ts), which resvg draws without shaping.
   */
  split?: { still: string; head: string; headHeight: number };
  rasters: Raster[];
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
export function colorRange(values: Float64Array, style: HeatmapStyle, known?: [number, number]): [number, number] {
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
 * min and max when already computed. Local.
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

  const lut = paletteOf(style.colormap ?? (style.range === 'symmetric' ? 'coolwarm' : 'viridis'));
  // colour entry of every image value, once (MISSING_ENTRY for NaN)
  const idx = colorEntries(values, lo, hi);
  const image: Raster = {
    x: px, y: py, w, h,
    blit(rgb, stride) {
      const col = new Int32Array(w);
      for (let c = 0; c < w; c++) col[c] = Math.min(nx - 1, Math.floor(((c + 0.5) * nx) / w)) * ny;
      // one 4-byte store per pixel (its RGB and a byte the next pixel overwrites), the row's
      // last pixel byte by byte: 0.9-1.0 against 1.5-1.6 ms per 512² side by side
      const words = packedOf(lut), view = new DataView(rgb.buffer, rgb.byteOffset, rgb.byteLength);
      for (let r = 0; r < h; r++) {
        const j = ny - 1 - Math.min(ny - 1, Math.floor(((r + 0.5) * ny) / h));
        let o = (py + r) * stride + px * 3;
        for (let c = 0; c < w - 1; c++, o += 3) view.setUint32(o, words[idx[col[c] + j]], true);
        const k = 3 * idx[col[w - 1] + j];
        rgb[o] = lut[k]; rgb[o + 1] = lut[k + 1]; rgb[o + 2] = lut[k + 2];
      }
    },
    native() {
      const rgb = new Uint8Array(nx * ny * 3);
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const k = 3 * idx[i * ny + j], o = ((ny - 1 - j) * nx + i) * 3;
          rgb[o] = lut[k]; rgb[o + 1] = lut[k + 1]; rgb[o + 2] = lut[k + 2];
        }
      }
      return { width: nx, height: ny, rgb };
    },
  };
  const bar: Raster = {
    x: bx, y: py, w: barW, h,
    blit(rgb, stride) {
      for (let r = 0; r < h; r++) {
        const k = 3 * (255 - Math.min(255, Math.floor(((r + 0.5) * 256) / h)));
        for (let c = 0, o = (py + r) * stride + bx * 3; c < barW; c++, o += 3) { rgb[o] = lut[k]; rgb[o + 1] = lut[k + 1]; rgb[o + 2] = lut[k + 2]; }
      }
    },
    native() {
      const rgb = new Uint8Array(256 * 3);
      for (let r = 0; r < 256; r++) rgb.set(lut.subarray(3 * (255 - r), 3 * (256 - r)), r * 3);
      return { width: 1, height: 256, rgb };
    },
  };
  const still = parts.join('');
  // the title strip changes every frame of a live plot: drawn as glyph outlines (see glyphs.ts)
  const headPaths = titleText ? textAsPaths(width / 2, 26, titleText, 15, 'middle') ?? head : '';
  return {
    width, height, body: head + still, split: { still, head: headPaths, headHeight: top - 6 }, rasters: [image, bar],
    geometry: { plot: { x: px, y: py, w, h }, colorbar: { x: bx, y: py, w: barW, h }, title: { x: 0, y: 0, w: width, h: top - 6 }, range: [lo, hi] },
  };
}

/**
 * An SVG document's pixels in PNG's row layout: per row a filter byte (0, "None") and the row's
 * RGB (resvg's RGBA on the document's white background, alpha dropped).
 */
function rasterizeRows(width: number, height: number, body: string): Uint8Array {
  const pm = rasterize(document(width, height, body));
  const src = pm.rgba, rows = new Uint8Array((3 * width + 1) * height);
  for (let y = 0, p = 0, q = 0; y < height; y++) {
    rows[q++] = 0;
    for (let x = 0; x < width; x++, p += 4, q += 3) { rows[q] = src[p]; rows[q + 1] = src[p + 1]; rows[q + 2] = src[p + 2]; }
  }
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

function cachedRows(width: number, height: number, body: string): Uint8Array {
  const key = `${width}x${height}|${body}`;
  let rows = overlays.get(key);
  if (rows === undefined) {
    rows = rasterizeRows(width, height, body);
    if (overlays.size >= OVERLAYS_KEPT) overlays.delete(overlays.keys().next().value!);
  } else overlays.delete(key);
  overlays.set(key, rows); // most recently used last
  return rows;
}

/**
 * Per still overlay, the canvas the last figure with it was composed on: outside the title strip
 * and the rasters (which every figure with that overlay writes whole, at the same places, since
 * their places are part of the overlay) it still holds the overlay, so the next figure is
 * composed on it without copying the overlay in again (a 1.1 MB copy per 512² frame). Same
 * keys and least-recently-used order as overlays.
 */
const canvases = new Map<string, Uint8Array>();

function canvasFor(width: number, height: number, still: string): Uint8Array {
  const key = `${width}x${height}|${still}`;
  let canvas = canvases.get(key);
  if (canvas === undefined) {
    canvas = cachedRows(width, height, still).slice();
    if (canvases.size >= OVERLAYS_KEPT) canvases.delete(canvases.keys().next().value!);
  } else canvases.delete(key);
  canvases.set(key, canvas);
  return canvas;
}

/**
 * Renders a laid-out figure to PNG bytes: resvg draws the vector parts, the rasters are written
 * into its pixels, composed straight in PNG's row layout and deflated as opaque RGB with no row
 * filter at zlib `level` (default 1: for figures the fastest, and no filter made them smaller
 * than "Up"; measured in docs/graphics.md). A figure with a `split` reuses the overlay
 * rasterised for an earlier figure with the same still part or title (see overlays), composed on
 * the canvas of the last figure with that still part (see canvases), so an unchanged overlay
 * costs nothing. Local, synchronous.
 */
export function figureToPng(fig: { width: number; height: number; body: string; split?: LaidOut['split']; rasters: readonly Raster[] }, level = 1): Uint8Array {
  const { width, height } = fig;
  let rows: Uint8Array;
  if (fig.split === undefined) rows = rasterizeRows(width, height, fig.body);
  else {
    rows = canvasFor(width, height, fig.split.still);
    const hh = Math.min(height, fig.split.headHeight);
    if (fig.split.head !== '' && hh > 0) rows.set(cachedRows(width, hh, fig.split.head));
  }
  const pixels = rows.subarray(1), stride = 3 * width + 1;
  for (const r of fig.rasters) r.blit(pixels, stride);
  return pngOfRows(width, height, 3, rows, level);
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
