/**
 * The drawing functions on plain arrays, for serial tools on one rank (gather, then plot):
 * heatmap() and lines() return a PNG file's bytes and, given `file`, write it atomically.
 * Synchronous; they load resvg on first use.
 */
import { ArgumentError, describe } from '../errors.js';
import { writeAtomic } from './files.js';
import { checkHeatmapStyle, figureToPng, figureToSvg, layoutHeatmap, type HeatmapStyle, type Image2D } from './heatmapFigure.js';
import { checkLines, layoutLines, type LinesStyle, type Series } from './linesFigure.js';
import { poolArray, type PoolMode } from './reduce.js';

/** Options of heatmap(): the look (HeatmapStyle) and how the array is read and reduced. */
export interface HeatmapOptions extends HeatmapStyle {
  /** [nx, ny] for a flat array (required then); an array of arrays gives it itself. */
  shape?: readonly [number, number];
  /** Memory order of a flat array: 'C' (values[i * ny + j], the default, as a C-layout gather) or 'F' (values[i + j * nx]). */
  layout?: 'C' | 'F';
  /** Largest number of pixels per side; bigger arrays are pooled down (default 512). */
  size?: number;
  /** How a pooled pixel summarises its cells (default 'mean'). */
  pool?: PoolMode;
  /** Text after the title, e.g. "step 500, t = 1.25 s". */
  caption?: string;
  /** Also write the PNG here (atomically). */
  file?: string;
}

/** Reads values (array of arrays, or a flat array with shape) into an index-order Image2D, pooled to `size`. */
export function toImage(values: unknown, o: HeatmapOptions, what: string): Image2D {
  let nx: number, ny: number, flat: Float64Array;
  if (Array.isArray(values) && values.length > 0 && (Array.isArray(values[0]) || ArrayBuffer.isView(values[0]))) {
    nx = values.length; ny = (values[0] as ArrayLike<number>).length;
    flat = new Float64Array(nx * ny);
    values.forEach((row: ArrayLike<number>, i) => {
      if (!(Array.isArray(row) || ArrayBuffer.isView(row)) || row.length !== ny) throw new ArgumentError(`${what}: row ${i} has ${describe(row)}; every row must hold ${ny} numbers`);
      for (let j = 0; j < ny; j++) flat[i * ny + j] = Number(row[j]);
    });
  } else if ((Array.isArray(values) || (ArrayBuffer.isView(values) && !(values instanceof DataView))) && o.shape !== undefined) {
    const s = o.shape;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((x) => Number.isInteger(x) && x > 0)) throw new ArgumentError(`${what}: shape must be [nx, ny] of positive integers, got ${describe(s)}`);
    [nx, ny] = s;
    const v = values as ArrayLike<number>;
    if (v.length !== nx * ny) throw new ArgumentError(`${what}: shape [${nx}, ${ny}] needs ${nx * ny} values, got ${v.length}`);
    if (o.layout !== undefined && o.layout !== 'C' && o.layout !== 'F') throw new ArgumentError(`${what}: layout must be 'C' or 'F', got ${describe(o.layout)}`);
    flat = new Float64Array(nx * ny);
    if (o.layout === 'F') { for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) flat[i * ny + j] = v[i + j * nx]; } else for (let k = 0; k < nx * ny; k++) flat[k] = v[k];
  } else {
    throw new ArgumentError(`${what}: pass an array of rows (values[i][j], i left to right, j bottom to top) or a flat array with options.shape [nx, ny], got ${describe(values)}`);
  }
  const size = o.size ?? 512;
  if (!Number.isInteger(size) || size < 1) throw new ArgumentError(`${what}: size must be a positive integer, got ${describe(o.size)}`);
  const pool = o.pool ?? 'mean';
  if (!['mean', 'min', 'max', 'sample'].includes(pool)) throw new ArgumentError(`${what}: pool must be 'mean', 'min', 'max' or 'sample', got ${describe(pool)}`);
  if (nx > size || ny > size) {
    const mx = Math.min(nx, size), my = Math.min(ny, size);
    return { values: poolArray(flat, nx, ny, mx, my, pool), nx: mx, ny: my };
  }
  return { values: flat, nx, ny };
}

function checkFile(file: unknown, what: string): void {
  if (file !== undefined && (typeof file !== 'string' || file === '')) throw new ArgumentError(`${what}: file must be a path, got ${describe(file)}`);
}

/**
 * Draws a heat map of a 2-D array with its colour bar, axes and title; returns the PNG bytes
 * (and writes options.file). values[i][j]: i runs left to right, j bottom to top. Local,
 * synchronous. Throws ArgumentError for bad values or options, GraphicsError if it cannot render.
 */
export function heatmap(values: readonly (readonly number[])[] | ArrayLike<number>, options: HeatmapOptions = {}): Uint8Array {
  checkHeatmapStyle(options, 'heatmap');
  checkFile(options.file, 'heatmap');
  const img = toImage(values, options, 'heatmap');
  const png = figureToPng(layoutHeatmap(img, { ...options, extent: options.extent ?? defaultExtent(values, options, img) }, options.caption ?? ''));
  if (options.file !== undefined) writeAtomic(options.file, png);
  return png;
}

/** The index-space extent of the original array (pooling must not change axis labels). */
function defaultExtent(values: unknown, o: HeatmapOptions, img: Image2D): [number, number, number, number] {
  if (o.shape) return [0, o.shape[0], 0, o.shape[1]];
  if (Array.isArray(values) && values.length > 0) return [0, values.length, 0, (values[0] as ArrayLike<number>).length];
  return [0, img.nx, 0, img.ny];
}

/** The same heat map as an SVG document (image and colour bar embedded as PNG data URIs). Local. Throws as heatmap(). */
export function heatmapSvg(values: readonly (readonly number[])[] | ArrayLike<number>, options: HeatmapOptions = {}): string {
  checkHeatmapStyle(options, 'heatmapSvg');
  const img = toImage(values, options, 'heatmapSvg');
  return figureToSvg(layoutHeatmap(img, { ...options, extent: options.extent ?? defaultExtent(values, options, img) }, options.caption ?? ''));
}

/**
 * Draws one or more series (y against x) with axes, ticks, a legend and optional log scales;
 * returns the PNG bytes (and writes options.file). Local, synchronous. Throws ArgumentError for
 * bad series or options, GraphicsError if it cannot render.
 */
export function lines(series: Series | readonly Series[], options: LinesStyle & { file?: string } = {}): Uint8Array {
  const list = Array.isArray(series) ? series : [series as Series];
  checkLines(list, options, 'lines');
  checkFile(options.file, 'lines');
  const png = figureToPng({ ...layoutLines(list, options), rasters: [] });
  if (options.file !== undefined) writeAtomic(options.file, png);
  return png;
}
