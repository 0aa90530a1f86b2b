/**
 * Rank 0's check of an incoming steering request before it is given a sequence number: a
 * parameter exists and the value fits its schema, a step count is a positive integer, an
 * expression is a non-empty string. What passes is applied on every rank at the same boundary;
 * what fails gets an error reply and a log line, and changes nothing.
 */
import { describe } from '../errors.js';
import type { ParamDescription, SteerCommand } from './link.js';
import { checkValue } from './params.js';

/** The command as it will be applied (a set's value converted to the parameter's type), or why it is refused. */
export function checkCommand(c: unknown, params: ReadonlyMap<string, ParamDescription>): SteerCommand | string {
  if (typeof c !== 'object' || c === null) return `a command must be an object with a kind, got ${describe(c)}`;
  const cmd = c as Record<string, unknown>;
  switch (cmd.kind) {
    case 'set': {
      const name = cmd.name;
      const d = typeof name === 'string' ? params.get(name) : undefined;
      if (d === undefined) {
        const known = [...params.keys()];
        return `unknown parameter ${describe(name)}; ${known.length > 0 ? `steerable parameters are ${known.join(', ')}` : 'this run declares no steerable parameters'}`;
      }
      const v = checkValue(d, cmd.value);
      return 'error' in v ? `${d.name} ${v.error}` : { kind: 'set', name: d.name, value: v.value };
    }
    case 'step': {
      const n = typeof cmd.count === 'string' ? Number(cmd.count) : cmd.count;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1e12) return `step needs a positive integer count, got ${describe(cmd.count)}`;
      return { kind: 'step', count: n };
    }
    case 'eval':
      if (typeof cmd.expr !== 'string' || cmd.expr.trim() === '') return `eval needs a non-empty expression, got ${describe(cmd.expr)}`;
      return { kind: 'eval', expr: cmd.expr };
    case 'pause': case 'resume': case 'stop': case 'checkpoint':
      return { kind: cmd.kind };
    default:
      return `unknown command kind ${describe(cmd.kind)}; known: set, pause, resume, step, stop, checkpoint, eval`;
  }
}
