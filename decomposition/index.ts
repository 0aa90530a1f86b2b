/**
 * simdeck/decomposition: structured-grid domain decomposition for decks. A Grid splits a global
 * 1-D, 2-D or 3-D grid among the ranks of a communicator; a DistributedArray holds one field
 * on it, each rank's block with ghost points in a plain typed array ready for C or Fortran
 * kernels, with halo exchange, gather/scatter, global reductions and redistribution between
 * decompositions. Built only on simdeck's public communicator API, so it runs on every
 * transport. Guide: docs/decomposition.md.
 */
export { Grid, type GridOptions, type Layout, type Stencil, type Corners, type Region, type TypedArrayClass } from './grid.js';
export { DistributedArray, type ElementOf } from './distributedArray.js';
export { Redistribution, redistribute } from './redistribute.js';
export { splitEven, chooseProcs } from './ownership.js';
export {
  DecompositionError, ProcessGridError, OwnershipError, GhostWidthError, GridMismatchError, ExchangeStateError,
} from './errors.js';
