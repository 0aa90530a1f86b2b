/**
 * Typed errors of the task farm. All inherit from SimdeckError, so `catch (e) { if (e instanceof
 * SimdeckError) ... }` still separates simdeck's complaints from the deck's own errors.
 */
import { SimdeckError } from '../errors.js';
import type { Outcome, Summary } from './outcome.js';

/**
 * A task function cannot be found on the rank (or in the isolated child) that must run it: a
 * closure made on one rank only, a function registered on rank 0 but not on the others, or a
 * function given to `isolate: true` that was not registered before the deck's first Pool.
 */
export class FarmFunctionError extends SimdeckError {}

/** An external command could not be started (no such file, not executable, bad cwd). */
export class CommandError extends SimdeckError {}

/** A farm call was made in the wrong place: a collective call made by rank 0 only, submit outside serve, ... */
export class FarmUsageError extends SimdeckError {}

/**
 * `map` ended with tasks that failed after every retry. `outcomes` holds every task's outcome in
 * input order and `summary` the counts by cause; the successful results are in the outcomes.
 */
export class TaskFailedError extends SimdeckError {
  constructor(message: string, readonly outcomes: Outcome[], readonly summary: Summary) {
    super(message);
  }
}

/**
 * A task's final result was a failure, re-thrown on the caller by `TaskHandle.get()`. `outcome`
 * holds the cause (error, timeout, crash, exit), the remote stack and every attempt.
 */
export class RemoteTaskError extends SimdeckError {
  constructor(message: string, readonly outcome: Outcome) {
    super(message);
  }
}
