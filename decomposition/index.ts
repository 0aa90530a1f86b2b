/**
 * simdeck/decomposition: structured-grid domain decomposition for decks. A Grid splits a global
 * 1-D, 2-D or 3-D grid among the ranks of a communicator; a DistributedArray holds one field
 * on it, each rank's block with ghost points in a plain typed array ready for C or Fortran
 * kernels, with halo exchange, gather/scatter, global reductions and redistribution between
 * decompositions. Built only on simdeck's public communicator API, so it runs on every
 * transport. Guide: docs/decomposition.md.
 */
/** The grid, its options and the shapes it hands out. */
export { Grid, type GridOptions, type Layout, type Stencil, type Corners, type Region, type TypedArrayClass } from './grid.js';
/** A field on a grid: local block with ghosts, halo exchange, whole-field operations. */
export { DistributedArray, type ElementOf } from './distributedArray.js';
/** Moving fields between decompositions (M×N). */
export { Redistribution, redistribute } from './redistribute.js';
/** The ownership arithmetic, for decks that plan their own splits. */
export { splitEven, chooseProcs } from './ownership.js';
/** Typed errors. */
export {
  DecompositionError, ProcessGridError, OwnershipError, GhostWidthError, GridMismatchError, ExchangeStateError,
} from './errors.js';
