/**
 * Text as glyph outlines placed by the font's own metrics, for the text of a live plot that
 * changes every frame (the title strip with the step and time). resvg shapes every <text> anew
 * on each call, about 40 µs per character (2-3 ms for a title, most of the render thread's
 * time for the strip), while drawing the same outlines as paths costs a fraction of that. So
 * each character's outline is taken from resvg once (its usvg tree, where text has become
 * paths) and the glyphs are placed with the advance widths and kerning pairs of the shipped
 * DejaVu Sans (its hmtx, cmap and kern tables). Ligatures and the GPOS adjustments beyond the
 * kern table are not applied: the result can differ from resvg's own layout by a fraction of
 * a pixel per glyph, and is the same on every machine.
 */
import { readFileSync } from 'node:fs';
import { figureFont, outlineSvg, rasterize } from './rasterize.js';
import { document } from './svg.js';

interface Metrics {
  unitsPerEm: number;
  /** Glyph id of a character code (BMP), 0 when the font has none. */
  glyphOf: (code: number) => number;
  advance: (glyph: number) => number;
  /** Kerning between two glyphs in font units (0 when the pair has none). */
  kern: (left: number, right: number) => number;
}

let metrics: Metrics | null | undefined;

/** Reads the few tables needed from the font file; null when the file is not a font we can read. */
function readMetrics(): Metrics | null {
  const b = readFileSync(figureFont());
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const tables = new Map<string, number>();
  const count = v.getUint16(4);
  for (let i = 0; i < count; i++) tables.set(b.toString('latin1', 12 + 16 * i, 16 + 16 * i), v.getUint32(12 + 16 * i + 8));
  const head = tables.get('head'), hhea = tables.get('hhea'), hmtx = tables.get('hmtx'), cmap = tables.get('cmap');
  if (head === undefined || hhea === undefined || hmtx === undefined || cmap === undefined) return null;
  const unitsPerEm = v.getUint16(head + 18), longMetrics = v.getUint16(hhea + 34);
  const advance = (g: number) => v.getUint16(hmtx + 4 * Math.min(g, longMetrics - 1));
  // cmap: the Windows Unicode BMP subtable (platform 3, encoding 1), format 4
  let sub = -1;
  for (let i = 0, n = v.getUint16(cmap + 2); i < n; i++) {
    const rec = cmap + 4 + 8 * i;
    if (v.getUint16(rec) === 3 && v.getUint16(rec + 2) === 1) sub = cmap + v.getUint32(rec + 4);
  }
  if (sub < 0 || v.getUint16(sub) !== 4) return null;
  const segs = v.getUint16(sub + 6) / 2, ends = sub + 14, starts = ends + 2 * segs + 2, deltas = starts + 2 * segs, ranges = deltas + 2 * segs;
  const glyphOf = (code: number) => {
    for (let s = 0; s < segs; s++) {
      if (v.getUint16(ends + 2 * s) < code) continue;
      const start = v.getUint16(starts + 2 * s);
      if (start > code) return 0;
      const delta = v.getUint16(deltas + 2 * s), range = v.getUint16(ranges + 2 * s);
      if (range === 0) return (code + delta) & 0xffff;
      const g = v.getUint16(ranges + 2 * s + range + 2 * (code - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
  // kern: version 0, the horizontal format-0 subtables' pairs
  const pairs = new Map<number, number>();
  const kernAt = tables.get('kern');
  if (kernAt !== undefined && v.getUint16(kernAt) === 0) {
    let at = kernAt + 4;
    for (let t = 0, n = v.getUint16(kernAt + 2); t < n; t++) {
      const length = v.getUint16(at + 2), coverage = v.getUint16(at + 4);
      if ((coverage >> 8) === 0 && (coverage & 0x7) === 1) {
        for (let p = 0, np = v.getUint16(at + 6); p < np; p++) {
          const rec = at + 14 + 6 * p;
          pairs.set(v.getUint16(rec) * 65536 + v.getUint16(rec + 2), v.getInt16(rec + 4));
        }
      }
      at += length;
    }
  }
  return { unitsPerEm, glyphOf, advance, kern: (l, r) => pairs.get(l * 65536 + r) ?? 0 };
}

/** Outline of one character at a font size, as path data with its origin on the baseline at 0 (cached). */
const outlines = new Map<string, string>();

function outlineOf(ch: string, size: number): string {
  const key = `${size}|${ch}`;
  let d = outlines.get(key);
  if (d === undefined) {
    d = outlineSvg(ch, size);
    outlines.set(key, d);
  }
  return d;
}

/** Where each character of `s` goes: its left end on the baseline in px (null if the font lacks a character). */
function placeGlyphs(x: number, s: string, size: number, anchor: 'start' | 'middle' | 'end'): { chars: string[]; at: number[] } | null {
  if (metrics === undefined) {
    try { metrics = readMetrics(); } catch { metrics = null; }
  }
  const m = metrics;
  if (m === null) return null;
  const scale = size / m.unitsPerEm;
  const chars = [...s], glyphs = new Array<number>(chars.length), at = new Array<number>(chars.length);
  let pen = 0;
  for (let i = 0; i < chars.length; i++) {
    const code = chars[i].codePointAt(0)!;
    const g = code > 0xffff ? 0 : m.glyphOf(code);
    if (g === 0) return null;
    if (i > 0) pen += m.kern(glyphs[i - 1], g);
    glyphs[i] = g;
    at[i] = pen;
    pen += m.advance(g);
  }
  const width = pen * scale;
  const x0 = anchor === 'start' ? x : anchor === 'middle' ? x - width / 2 : x - width;
  return { chars, at: at.map((a) => x0 + a * scale) };
}

/**
 * `s` as SVG paths: the same text as svg.ts's text(x, y, s, size, anchor) without rotation,
 * its glyphs placed by the font's advances and kerning. Returns null when a character is not
 * in the font's BMP map (the caller draws a <text> instead). Local; the first use of each
 * character asks resvg for its outline (GraphicsError if resvg is missing).
 */
export function textAsPaths(x: number, y: number, s: string, size: number, anchor: 'start' | 'middle' | 'end'): string | null {
  const placed = placeGlyphs(x, s, size, anchor);
  if (placed === null) return null;
  let out = '';
  placed.chars.forEach((ch, i) => {
    if (/\s/.test(ch)) return;
    const d = outlineOf(ch, size);
    if (d !== '') out += `<path transform="translate(${placed.at[i].toFixed(3)} ${y})" d="${d}"/>`;
  });
  return out;
}

/** Sub-pixel positions a glyph's pixels are kept for: sixteenths of a pixel. */
const PHASES = 16;
/** Characters of a live plot's caption, drawn with the first title so that later frames rarely meet a new one. */
const CAPTION_CHARS = '0123456789.,-+=e step t';

/** A glyph drawn by resvg at one sub-pixel position: its coverage (0-255) in columns left .. left + width - 1 of its origin's pixel, rows 0 .. height - 1. */
interface GlyphPixels { left: number; width: number; cover: Uint8Array }
const glyphPixels = new Map<string, GlyphPixels>();
const pixelsKey = (ch: string, size: number, y: number, height: number, phase: number) => `${size}|${y}|${height}|${phase}|${ch}`;

/**
 * Has resvg draw `chars` (with ink; not drawn before) at every sub-pixel position, all in one
 * document (a row of PHASES tiles per character), and keeps each glyph's pixels.
 */
function drawGlyphs(chars: string[], size: number, y: number, height: number): void {
  const todo = [...new Set(chars)].filter((ch) => !/\s/.test(ch) && !glyphPixels.has(pixelsKey(ch, size, y, height, 0)));
  if (todo.length === 0) return;
  // a glyph's ink lies within about -0.1 and 1.1 em of its origin (DejaVu Sans: the em dash, W)
  const pad = Math.ceil(size / 4) + 1, tw = pad + Math.ceil(1.25 * size) + 2, W = PHASES * tw;
  let body = '';
  todo.forEach((ch, r) => {
    const d = outlineOf(ch, size);
    if (d !== '') for (let p = 0; p < PHASES; p++) body += `<path transform="translate(${p * tw + pad + p / PHASES} ${r * height + y})" d="${d}"/>`;
  });
  const px = rasterize(document(W, todo.length * height, body)).rgba;
  todo.forEach((ch, r) => {
    for (let p = 0; p < PHASES; p++) glyphPixels.set(pixelsKey(ch, size, y, height, p), cropTile(px, W, r * height, p * tw, tw, height, pad));
  });
}

/** One tile of drawGlyphs' document (rows top .., columns left ..): the columns with ink, as coverage (black on white: how far from white). */
function cropTile(px: Uint8Array, W: number, top: number, left: number, tw: number, height: number, pad: number): GlyphPixels {
  let c0 = tw, c1 = -1;
  for (let row = 0; row < height; row++) {
    for (let c = 0, o = 4 * ((top + row) * W + left); c < tw; c++, o += 4) if (px[o] !== 255) { if (c < c0) c0 = c; if (c > c1) c1 = c; }
  }
  const width = Math.max(0, c1 - c0 + 1), cover = new Uint8Array(width * height);
  for (let row = 0; row < height; row++) {
    for (let c = 0, o = 4 * ((top + row) * W + left + c0); c < width; c++, o += 4) cover[row * width + c] = 255 - px[o];
  }
  return { left: width > 0 ? c0 - pad : 0, width, cover };
}

/**
 * The same text as textAsPaths(x, y, s, size, anchor), black on a white strip of width ×
 * height pixels, as grey levels (255 white, a byte per pixel, rows top to bottom), without
 * resvg: each glyph's pixels are drawn by resvg once per sixteenth of a pixel of its position
 * (a glyph here is at most 1/32 px from where textAsPaths puts it), all positions of the new
 * characters in one document (with the first title, also the digits and signs of a caption),
 * and laid over the strip as resvg lays paths (black at the glyph's coverage over what is
 * there). For the title of a live plot, which changes every frame: about 0.05 ms against
 * 0.4-1 ms for resvg to parse and fill the outlines. Returns null when a character is not in
 * the font. Local; GraphicsError if resvg is missing (first use of a glyph).
 */
export function textStrip(width: number, height: number, x: number, y: number, s: string, size: number, anchor: 'start' | 'middle' | 'end'): Uint8Array | null {
  const placed = placeGlyphs(x, s, size, anchor);
  if (placed === null) return null;
  if (!glyphPixels.has(pixelsKey('0', size, y, height, 0))) drawGlyphs([...placed.chars, ...CAPTION_CHARS], size, y, height);
  else drawGlyphs(placed.chars, size, y, height);
  const strip = new Uint8Array(width * height).fill(255);
  placed.chars.forEach((ch, i) => {
    if (/\s/.test(ch)) return;
    const q = Math.round(placed.at[i] * PHASES), ix = Math.floor(q / PHASES), g = glyphPixels.get(pixelsKey(ch, size, y, height, q - ix * PHASES))!;
    layOver(strip, width, height, ix + g.left, g);
  });
  return strip;
}

/** Black at each pixel's coverage over the strip, from column x0 (a loop of its own, so that V8 compiles it early). */
function layOver(strip: Uint8Array, width: number, height: number, x0: number, g: GlyphPixels): void {
  const c0 = Math.max(0, -x0), c1 = Math.min(g.width, width - x0);
  for (let r = 0; r < height; r++) {
    for (let c = c0, k = r * g.width + c0, o = r * width + x0 + c0; c < c1; c++, k++, o++) {
      const a = g.cover[k];
      if (a !== 0) { const d = strip[o]; strip[o] = d - Math.round((d * a) / 255); }
    }
  }
}
