/**
 * Typed errors of the simulation loop and its steering. All are SimdeckErrors; each message says
 * what to change.
 */
import { ArgumentError, SimdeckError } from '../errors.js';

/** A parameter schema or a parameter value is invalid (unknown name, wrong type, out of range). */
export class ParameterError extends ArgumentError {}

/** The time step function returned a value that cannot be used (zero, negative, NaN) on some rank. */
export class TimestepError extends SimdeckError {}

/** A command log cannot be replayed (missing file, bad line, a step this run never reaches). */
export class ReplayError extends SimdeckError {}

/** Steering was asked for but the steering server could not be opened. */
export class SteeringUnavailableError extends SimdeckError {}
