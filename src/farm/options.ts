/** Checks of the farm's options, shared by run() and the pool. */
import { ArgumentError, describe } from '../errors.js';

/** A positive finite number of seconds, or undefined. Throws ArgumentError naming `what`. */
export function checkSeconds(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new ArgumentError(`${what} must be a positive number of seconds, got ${describe(value)}`);
  }
  return value;
}
