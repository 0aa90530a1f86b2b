/**
 * simdeck/couple: coupling multi-component models. Components run on their own ranks
 * (`components(world, { ocean: 2, atmosphere: 3 })`, or one deck per component in an MPMD
 * job); a Coupling declares the fields they exchange, on which grids and in which units, and
 * how each interface maps them (nearest, linear, conservative) and how often. The coupling is
 * checked before the first step; `connect` computes the M×N routes and weights once, and
 * `exchange(time)` moves only overlapping data at each coupling time. Guide: docs/coupling.md.
 */
/** Components and their communicators. */
export { components, Component } from './components.js';
/** The coupling description, its check, and connecting a rank to it. */
export { Coupling } from './coupling.js';
export type { CouplingDescription, ComponentDeclaration, FieldDeclaration, FieldGrid, InterfaceDeclaration } from './description.js';
/** One rank's side of a connected coupling: exchange at coupling times. */
export { CouplingLink, type RouteInfo } from './link.js';
/** The mapping kinds. */
export type { MapKind } from './mapping.js';
/** Coordinated checkpoint and restart of all components. */
export { CoupledCheckpoint } from './checkpoint.js';
/** Typed errors. */
export {
  CouplingError, DeclarationError, UnconnectedFieldError, UnitMismatchError, ShapeMismatchError, IntervalError, WaitCycleError, CouplingTimeError,
} from './errors.js';
