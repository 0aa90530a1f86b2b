/**
 * Typed errors of `simdeck/couple`. Every one extends CouplingError (itself a SimdeckError),
 * names the components and fields involved, and says what to change. The checks that throw
 * them run before the first step (`coupling.check()`, `coupling.connect(...)`).
 */
import { SimdeckError } from '../errors.js';

/** Base class of every error thrown by `simdeck/couple` on purpose. */
export class CouplingError extends SimdeckError {}

/**
 * The coupling description is malformed: an unknown component or field, an interface from a
 * received field or to a sent one, a field fed twice, components that do not match the job's,
 * or ranks that declared different couplings.
 */
export class DeclarationError extends CouplingError {}

/** A field is sent and nobody receives it, or is received and nothing is sent to it. */
export class UnconnectedFieldError extends CouplingError {
  constructor(message: string,
    /** The field, as 'component.field'. */
    readonly field: string,
    /** Whether the field is sent ('sends') or received ('receives'). */
    readonly role: 'sends' | 'receives') {
    super(message);
  }
}

/** The two ends of an interface declare different units. */
export class UnitMismatchError extends CouplingError {
  constructor(message: string, readonly from: string, readonly to: string, readonly fromUnits: string, readonly toUnits: string) {
    super(message);
  }
}

/**
 * The two ends of an interface cannot be mapped: different dimensions or components per point,
 * a target grid reaching outside the source grid, or an array whose grid is not the declared one.
 */
export class ShapeMismatchError extends CouplingError {
  constructor(message: string, readonly from: string, readonly to: string) {
    super(message);
  }
}

/** An interface's coupling interval is not a whole number of steps of both components (no common coupling times). */
export class IntervalError extends CouplingError {
  constructor(message: string, readonly from: string, readonly to: string) {
    super(message);
  }
}

/** Serial interfaces form a cycle: every component in it waits for another before sending, so none ever sends. */
export class WaitCycleError extends CouplingError {
  constructor(message: string,
    /** The components of the cycle, in wait order (the first one repeated at the end). */
    readonly cycle: readonly string[]) {
    super(message);
  }
}

/** `exchange()` was called at a time that is not a step of the component, or out of order. */
export class CouplingTimeError extends CouplingError {}
