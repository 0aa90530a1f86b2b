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
import { figureFont, outlineSvg } from './rasterize.js';

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

/**
 * `s` as SVG paths: the same text as svg.ts's text(x, y, s, size, anchor) without rotation,
 * its glyphs placed by the font's advances and kerning. Returns null when a character is not
 * in the font's BMP map (the caller draws a <text> instead). Local; the first use of each
 * character asks resvg for its outline (GraphicsError if resvg is missing).
 */
export function textAsPaths(x: number, y: number, s: string, size: number, anchor: 'start' | 'middle' | 'end'): string | null {
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
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    if (/\s/.test(chars[i])) continue;
    const d = outlineOf(chars[i], size);
    if (d !== '') out += `<path transform="translate(${(x0 + at[i] * scale).toFixed(3)} ${y})" d="${d}"/>`;
  }
  return out;
}
