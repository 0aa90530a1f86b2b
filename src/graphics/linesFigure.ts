/**
 * Line plots and time series: one or more named series on shared axes with ticks, labels, a
 * legend, and linear or logarithmic scales. Drawn as SVG (polylines clipped to the plot area).
 */
import { ArgumentError, describe } from '../errors.js';
import { document, line, polyline, rect, text } from './svg.js';
import { linearTicks, logTicks, tickLabels } from './ticks.js';

/** One curve: y against x (same length); NaN points break the line. */
export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** CSS colour (default: the next of a ten-colour palette). */
  color?: string;
}

/** How a line plot looks. Every field is optional. */
export interface LinesStyle {
  title?: string;
  xlabel?: string;
  ylabel?: string;
  /** Logarithmic axes (non-positive values are left out). */
  logX?: boolean;
  logY?: boolean;
  /** Show the legend (default: when there is more than one series). */
  legend?: boolean;
  /** Figure size in pixels (default 720 × 480). */
  width?: number;
  height?: number;
}

/** Tableau's ten categorical colours (matplotlib's default cycle). */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Checks series and style; throws ArgumentError naming what is wrong. */
export function checkLines(series: readonly Series[], style: LinesStyle, what: string): void {
  if (!Array.isArray(series) || series.length === 0) throw new ArgumentError(`${what}: pass a non-empty array of series { name, x, y }, got ${describe(series)}`);
  series.forEach((s, k) => {
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string') throw new ArgumentError(`${what}: series ${k} must be { name: string, x, y }, got ${describe(s)}`);
    const okArr = (a: unknown) => Array.isArray(a) || (ArrayBuffer.isView(a) && !(a instanceof DataView));
    if (!okArr(s.x) || !okArr(s.y) || s.x.length !== s.y.length) {
      throw new ArgumentError(`${what}: series "${s.name}" needs arrays x and y of the same length, got ${describe(s.x)} and ${describe(s.y)}`);
    }
  });
  if (typeof style !== 'object' || style === null) throw new ArgumentError(`${what}: options must be an object, got ${describe(style)}`);
  for (const k of ['width', 'height'] as const) {
    const v = style[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 160 || v > 4096)) throw new ArgumentError(`${what}: ${k} must be an integer from 160 to 4096 pixels, got ${describe(v)}`);
  }
}

function span(values: number[], log: boolean): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v) && (!log || v > 0)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (lo > hi) return log ? [1, 10] : [0, 1];
  if (lo === hi) return log ? [lo / 2, hi * 2] : [lo - (Math.abs(lo) || 1) * 0.5, hi + (Math.abs(hi) || 1) * 0.5];
  if (log) { const pad = 10 ** (0.05 * Math.log10(hi / lo)); return [lo / pad, hi * pad]; }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** Lays out a line plot: its size and SVG body. Local. */
export function layoutLines(series: readonly Series[], style: LinesStyle): { width: number; height: number; body: string; plot: { x: number; y: number; w: number; h: number }; toPixel: (x: number, y: number) => [number, number] } {
  const width = style.width ?? 720, height = style.height ?? 480;
  const logX = style.logX === true, logY = style.logY === true;
  const xs: number[] = [], ys: number[] = [];
  for (const s of series) for (let k = 0; k < s.x.length; k++) { xs.push(s.x[k]); ys.push(s.y[k]); }
  const [xa, xb] = span(xs, logX), [ya, yb] = span(ys, logY);
  const xt = logX ? logTicks(xa, xb) : linearTicks(xa, xb, 6), yt = logY ? logTicks(ya, yb) : linearTicks(ya, yb, 5);
  const xl = tickLabels(xt), yl = logY ? yt.map((v) => (v >= 1e4 || v < 1e-3 ? `1e${Math.round(Math.log10(v))}` : String(v))) : tickLabels(yt);
  const left = 16 + (style.ylabel ? 18 : 0) + Math.max(20, ...yl.map((s) => s.length * 7.2));
  const top = style.title ? 40 : 16, bottom = 34 + (style.xlabel ? 20 : 0), right = 20;
  const px = Math.round(left), py = top, w = width - px - right, h = height - py - bottom;
  const tx = (v: number) => (logX ? Math.log10(v) : v), ty = (v: number) => (logY ? Math.log10(v) : v);
  const sx = (v: number) => px + ((tx(v) - tx(xa)) / (tx(xb) - tx(xa))) * w;
  const sy = (v: number) => py + h - ((ty(v) - ty(ya)) / (ty(yb) - ty(ya))) * h;
  const parts: string[] = [];
  if (style.title) parts.push(text(width / 2, 26, style.title, 15));
  parts.push(`<clipPath id="plot"><rect x="${px}" y="${py}" width="${w}" height="${h}"/></clipPath>`);
  xt.forEach((v, k) => { const x = Math.round(sx(v)) + 0.5; parts.push(line(x, py, x, py + h, '#e0e0e0'), line(x, py + h, x, py + h + 5), text(x, py + h + 19, xl[k], 12)); });
  yt.forEach((v, k) => { const y = Math.round(sy(v)) + 0.5; parts.push(line(px, y, px + w, y, '#e0e0e0'), line(px - 5, y, px, y), text(px - 8, y + 4, yl[k], 12, 'end')); });
  const curves: string[] = [];
  series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    let pts: number[] = [];
    const flush = () => { if (pts.length >= 4) curves.push(polyline(pts, color)); else if (pts.length === 2) curves.push(`<circle cx="${pts[0].toFixed(1)}" cy="${pts[1].toFixed(1)}" r="2" fill="${color}"/>`); pts = []; };
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i], y = s.y[i];
      if (!Number.isFinite(x) || !Number.isFinite(y) || (logX && x <= 0) || (logY && y <= 0)) { flush(); continue; }
      pts.push(sx(x), sy(y));
    }
    flush();
  });
  parts.push(`<g clip-path="url(#plot)">${curves.join('')}</g>`);
  parts.push(rect(px + 0.5, py + 0.5, w, h));
  if (style.xlabel) parts.push(text(px + w / 2, py + h + 42, style.xlabel, 13));
  if (style.ylabel) parts.push(text(16, py + h / 2, style.ylabel, 13, 'middle', -90));
  if (style.legend ?? series.length > 1) {
    const lw = 40 + Math.max(...series.map((s) => s.name.length * 7.2)), lh = 8 + 18 * series.length;
    const lx = px + w - lw - 8, ly = py + 8;
    parts.push(rect(lx + 0.5, ly + 0.5, lw, lh, '#999', '#ffffff'));
    series.forEach((s, k) => {
      const y = ly + 14 + 18 * k, color = s.color ?? PALETTE[k % PALETTE.length];
      parts.push(line(lx + 8, y, lx + 30, y, color, 2), text(lx + 36, y + 4, s.name, 12, 'start'));
    });
  }
  return { width, height, body: parts.join(''), plot: { x: px, y: py, w, h }, toPixel: (x, y) => [sx(x), sy(y)] };
}
