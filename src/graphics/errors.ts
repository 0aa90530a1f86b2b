/**
 * Typed errors of simdeck/graphics. Bad arguments throw the shared ArgumentError; these cover
 * what only graphics can get wrong.
 */
import { SimdeckError } from '../errors.js';

/** A figure could not be rendered or written (resvg failed to load or render, a PNG is malformed, the output directory is unusable). */
export class GraphicsError extends SimdeckError {}
