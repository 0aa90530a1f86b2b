/**
 * `eval EXPR` from a steering client: evaluated on every rank at a step boundary, in the deck's
 * global scope (a Function, like an indirect eval) with the simulation's names in reach.
 */
import { inspect } from 'node:util';

/** What one rank answers: a plain value, a printed form of anything else, or the error it threw. */
export type EvalAnswer = number | string | boolean | null | { error: string };

/**
 * Evaluates `expr` with `scope`'s names defined (`sim`, `world`, `params`, what the deck
 * exposed). An expression is tried first; if it does not parse as one, the text runs as
 * statements (their `return` value is the answer). Never throws: errors become answers.
 */
export function evaluate(expr: string, scope: Readonly<Record<string, unknown>>): EvalAnswer {
  const names = Object.keys(scope);
  let fn: (...args: unknown[]) => unknown;
  try {
    try {
      fn = new Function(...names, `"use strict"; return (${expr}\n);`) as typeof fn;
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      fn = new Function(...names, `"use strict"; ${expr}`) as typeof fn;
    }
    return answerOf(fn(...names.map((n) => scope[n])));
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/** A value as it can travel to the client: primitives as they are, the rest printed. */
export function answerOf(v: unknown): EvalAnswer {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
    return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
  }
  if (v === undefined) return null;
  return inspect(v, { depth: 2, breakLength: Infinity, maxArrayLength: 20, maxStringLength: 200 });
}
