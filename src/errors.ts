/**
 * Typed errors thrown by simdeck's public entry points. Every message says what to change.
 * All inherit from {@link SimdeckError}, so `catch (e) { if (e instanceof SimdeckError) ... }`
 * separates simdeck's complaints from the deck's own errors.
 */

/** Base class of every error simdeck throws on purpose. */
export class SimdeckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An argument has the wrong type, range or shape (a rank out of range, a negative tag, ...). */
export class ArgumentError extends SimdeckError {}

/** A value cannot be encoded as a message (functions, symbols, ...). */
export class EncodeError extends SimdeckError {}

/** A receive buffer is smaller than the message. The message stays queued. */
export class TruncationError extends SimdeckError {}

/** The job is being torn down because another rank failed; thrown out of blocked calls. */
export class JobAbortedError extends SimdeckError {}

/** A call could not be completed by the transport (system call failure, dead peer). */
export class TransportError extends SimdeckError {}

/** A deck could not be loaded: missing file or syntax error (message carries file:line:column). */
export class DeckError extends SimdeckError {}

/** Ranks of one communicator entered different collectives or disagree on root or sizes. */
export class CollectiveMismatchError extends SimdeckError {}

/** Throws an ArgumentError unless `value` is an integer in [min, max]. */
export function checkInt(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ArgumentError(`${what} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/**
 * @internal The ArgumentError for a method called without its object, e.g. `const { wait } = request;
 * wait()`: says to call it on the object or bind it.
 */
export function unboundCall(cls: string, method: string, example: string): ArgumentError {
  return new ArgumentError(`${cls}.${method} was called without its object (as after \`const { ${method} } = ${example}\`); ` +
    `call it as ${example}.${method}(...), or bind it first: ${example}.${method}.bind(${example})`);
}

/** A short printable description of any value, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return typeof value;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length?: number }).length ?? value.byteLength})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return String(value);
}

/** A message's element type differs from the receive buffer's. The message stays queued. */
export class MessageTypeError extends SimdeckError {}

/** A blocked call can never complete: the rank it waits for has finished its deck. */
export class DeadlockError extends SimdeckError {}
