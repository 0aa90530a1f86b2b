/**
 * simdeck/graphics: plots while the simulation runs and serial plots of plain arrays.
 * LivePlots reduces distributed fields in parallel (pooling, regions, slices, profiles, point
 * densities, time series) so only a small image reaches the drawing rank, where a worker thread
 * renders PNG frames off the critical path, within a cadence or a run-time budget. heatmap(),
 * lines() and heatmapSvg() draw the same figures from plain arrays. Guide: docs/graphics.md.
 */
/** Live plots of a running simulation. */
export { LivePlots, type LivePlotsOptions, type FieldPlotOptions, type ProfileOptions, type DensityOptions, type SeriesOptions, type PlotStats } from './livePlots.js';
/** Cadence: every N steps, every interval of time, or a budget. */
export { Cadence, type Every, type StepState } from './cadence.js';
/** Serial drawing of plain arrays. */
export { heatmap, heatmapSvg, lines, type HeatmapOptions } from './serial.js';
/** The figures' looks. */
export { type HeatmapStyle, type Image2D } from './heatmapFigure.js';
export { type LinesStyle, type Series, PALETTE } from './linesFigure.js';
/** Colour maps. */
export { COLORMAPS, COLOR_STEPS, colormapTable, colorStep, colorIndex, colorOf, type ColormapName } from './colormaps.js';
/** The parallel reductions behind the plots, for decks that want the data. */
export { reduceField, poolArray, type ReduceOptions, type ReducedField, type PoolMode } from './reduce.js';
export { depositPoints, type DepositOptions } from './deposit.js';
/** PNG encoding and decoding (8-bit grey, RGB, RGBA, indexed colour). */
export { encodePng, decodePng, type DecodedPng } from './png.js';
/** Atomic file writes. */
export { writeAtomic } from './files.js';
/** Errors. */
export { GraphicsError } from './errors.js';
