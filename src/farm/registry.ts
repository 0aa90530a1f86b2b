/**
 * How a rank finds a task function named by another rank. Every rank loaded the same deck, so a
 * function is named by a key: the name given to `task()`, or, for a function passed to a
 * collective map on every rank, its name and a hash of its source text. A key that a rank does
 * not know is a FarmFunctionError, never a call of some other function.
 */
import { ArgumentError, describe } from '../errors.js';
import { FarmFunctionError } from './errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

const byKey = new Map<string, AnyFunction>();
const keyOf = new Map<AnyFunction, string>();

/**
 * Registers a task function under a name, so that `submit`, `isolate: true` and ranks that did not
 * pass it themselves can find it. Call it at the top level of the deck (every rank runs it),
 * before the first `new Pool`. Returns the function, so `const f = task(function f(x) {...})` reads well.
 * Throws ArgumentError for a missing name or a name already used by another function.
 */
export function task<F extends AnyFunction>(fn: F): F;
export function task<F extends AnyFunction>(name: string, fn: F): F;
export function task<F extends AnyFunction>(a: string | F, b?: F): F {
  const fn = (typeof a === 'function' ? a : b) as F;
  const name = typeof a === 'function' ? a.name : a;
  if (typeof fn !== 'function') throw new ArgumentError(`task: expected a function, got ${describe(fn)}`);
  if (typeof name !== 'string' || name === '') {
    throw new ArgumentError('task: the function has no name; give one: task(\'simulate\', (x) => ...)');
  }
  const known = byKey.get(name);
  if (known !== undefined && known !== fn) {
    throw new ArgumentError(`task: the name ${JSON.stringify(name)} is already registered for another function; choose another name`);
  }
  byKey.set(name, fn);
  if (!keyOf.has(fn)) keyOf.set(fn, name);
  return fn;
}

/** FNV-1a hash of a string, as 8 hex digits. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The key of `fn`: its registered name, or (when `collective`: every rank passes its own copy in
 * the same call) its name and source hash, registered on the way. Throws ArgumentError for a
 * non-function and FarmFunctionError for an unregistered function outside a collective call.
 */
export function keyFor(fn: unknown, what: string, collective: boolean): string {
  if (typeof fn !== 'function') throw new ArgumentError(`${what}: expected a task function, got ${describe(fn)}`);
  const known = keyOf.get(fn as AnyFunction);
  if (known !== undefined) return known;
  if (!collective) {
    throw new FarmFunctionError(`${what}: function ${fn.name || '(anonymous)'} is not registered, so other ranks cannot find it; ` +
      'define it at the top level of the deck and register it there with task(fn) (or task(\'name\', fn)), which every rank runs');
  }
  const key = `${fn.name || 'anonymous'}@${hash(Function.prototype.toString.call(fn))}`;
  byKey.set(key, fn as AnyFunction);
  keyOf.set(fn as AnyFunction, key);
  return key;
}

/** The function registered under `key`, or undefined. */
export function lookup(key: string): AnyFunction | undefined {
  return byKey.get(key);
}

/** The message for a key this process does not know. */
export function missingMessage(key: string, where: string): string {
  const name = key.includes('@') ? key.slice(0, key.indexOf('@')) : key;
  return `task function ${JSON.stringify(name)} was not found on ${where}: every rank must pass the same function to a collective ` +
    'map (a closure created on one rank only cannot be found elsewhere), and a function for submit or isolate: true must be ' +
    "registered with task() at the top level of the deck, before the first new Pool";
}
