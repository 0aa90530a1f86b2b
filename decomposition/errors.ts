/**
 * Typed errors of the decomposition layer. Every one extends simdeck's SimdeckError (through
 * DecompositionError), says what is wrong and what to change, and carries the offending values
 * as fields so code can react to them.
 */
import { SimdeckError } from '../src/index.js';

/** Base class of every error thrown by `simdeck/decomposition` on purpose. */
export class DecompositionError extends SimdeckError {}

/**
 * The process grid cannot be used: `procs` does not multiply to the communicator's size, asks
 * for more processes than points along a dimension, or no process grid fits the shape.
 */
export class ProcessGridError extends DecompositionError {
  constructor(message: string,
    /** The process grid that was asked for or tried (0 = free), when there was one. */
    readonly procs: readonly number[] | null = null,
    /** The size of the communicator. */
    readonly commSize: number = -1) {
    super(message);
  }
}

/** Custom ownership ranges (`ownership`, PETSc's lx/ly/lz) do not describe the global shape. */
export class OwnershipError extends DecompositionError {
  constructor(message: string,
    /** The dimension whose ranges are wrong. */
    readonly dim: number) {
    super(message);
  }
}

/**
 * A ghost layer is wider than a neighbour's block along some dimension, so a halo exchange
 * would need points from beyond the nearest neighbour.
 */
export class GhostWidthError extends DecompositionError {
  constructor(message: string,
    /** The dimension, the ghost width along it, and the narrowest block along it. */
    readonly dim: number, readonly ghosts: number, readonly blockSize: number) {
    super(message);
  }
}

/**
 * Two grids or arrays that must match do not: a different global shape, dof, decomposition
 * or element type in `dot`, `copy` or `redistribute`; or ranks that built one Grid with
 * different options.
 */
export class GridMismatchError extends DecompositionError {}

/**
 * A split-phase operation was used out of order: `exchangeEnd()` without `exchangeBegin()`,
 * or a second exchange (or accumulate) started while one is still pending on the same array.
 */
export class ExchangeStateError extends DecompositionError {}
