/**
 * The WebSocket protocol between the steering server and its clients (the browser dashboard,
 * `simdeck attach`), and the hand-written check of every frame a client sends. Network input is
 * hostile: a frame is accepted only if it is a JSON object of exactly the documented shape,
 * with bounded strings and numbers; anything else gets an error reply naming what was wrong.
 *
 * Client to server (text frames, JSON):
 *   { "id": 7, "command": { "kind": "set", "name": "alpha", "value": 0.2 } }
 *   kinds: set {name, value}, pause, resume, step {count}, stop, checkpoint, eval {expr}
 * Server to client:
 *   { "type": "hello", "params": [...], "status": {...} | null, "plots": [...], "metrics": [...] }
 *   { "type": "status", "status": {...} }          latest-wins, at most ~10 per second
 *   { "type": "params", "params": [...] }          the schema, when the loop announces it
 *   { "type": "reply", "reply": {...} }            the loop's answer; reply.id is the client's id
 *   { "type": "error", "id": 7 | null, "error": "..." }   a frame the server refused
 *   { "type": "plot", "name", "step", "time", "src" }      a new frame of a live plot (src: URL of the PNG)
 *   { "type": "metrics", "panel", "values" }
 */
import type { SteerCommand } from '../link.js';

/** Largest frame a client may send, in bytes; a bigger one closes the connection (code 1009). */
export const MAX_FRAME_BYTES = 16 * 1024;
/** Longest `eval` expression, in characters. */
export const MAX_EXPR_CHARS = 4096;
/** Longest string parameter value, in characters. */
export const MAX_STRING_VALUE_CHARS = 1024;
/** Largest `step N`. */
export const MAX_STEP_COUNT = 1_000_000_000;

/** A client frame that passed the checks. */
export interface ClientFrame {
  id: number;
  command: SteerCommand;
}

/** The outcome of checking one frame: the frame, or the reason it was refused (and its id when readable). */
export type FrameCheck = { ok: true; frame: ClientFrame } | { ok: false; id: number | null; error: string };

const KINDS: Record<SteerCommand['kind'], readonly string[]> = {
  set: ['name', 'value'],
  pause: [],
  resume: [],
  step: ['count'],
  stop: [],
  checkpoint: [],
  eval: ['expr'],
};

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function extraKeys(o: Record<string, unknown>, allowed: readonly string[]): string[] {
  return Object.keys(o).filter((k) => !allowed.includes(k));
}

/** Checks one command object (the `command` member of a frame); returns an error message or null. */
export function checkCommand(c: unknown): string | null {
  if (!isPlainObject(c)) return 'command must be an object such as {"kind":"pause"}';
  const kind = c.kind;
  if (typeof kind !== 'string' || !Object.prototype.hasOwnProperty.call(KINDS, kind)) {
    return `command.kind must be one of ${Object.keys(KINDS).join(', ')}`;
  }
  const allowed = KINDS[kind as SteerCommand['kind']];
  const extra = extraKeys(c, ['kind', ...allowed]);
  if (extra.length > 0) return `command ${kind} has unknown member ${JSON.stringify(extra[0].slice(0, 40))}`;
  switch (kind) {
    case 'set': {
      if (typeof c.name !== 'string' || !NAME.test(c.name)) return 'set needs name: a parameter name (letters, digits, _ . -; at most 64)';
      const v = c.value;
      if (typeof v === 'number') { if (!Number.isFinite(v)) return 'set value must be a finite number'; }
      else if (typeof v === 'string') { if (v.length > MAX_STRING_VALUE_CHARS) return `set value must be at most ${MAX_STRING_VALUE_CHARS} characters`; }
      else if (typeof v !== 'boolean') return 'set needs value: a number, string or boolean';
      return null;
    }
    case 'step': {
      const n = c.count;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_STEP_COUNT) return `step needs count: a whole number from 1 to ${MAX_STEP_COUNT}`;
      return null;
    }
    case 'eval': {
      if (typeof c.expr !== 'string' || c.expr.trim() === '') return 'eval needs expr: a non-empty string';
      if (c.expr.length > MAX_EXPR_CHARS) return `eval expr must be at most ${MAX_EXPR_CHARS} characters`;
      return null;
    }
    default:
      return null;
  }
}

/** Checks one text frame from a client. Never throws, whatever the input. */
export function checkFrame(text: string): FrameCheck {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, id: null, error: 'frame is not valid JSON' };
  }
  if (!isPlainObject(v)) return { ok: false, id: null, error: 'frame must be a JSON object {"id": n, "command": {...}}' };
  const id = v.id;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
    return { ok: false, id: null, error: 'frame needs id: a whole number from 0 to 2147483647' };
  }
  const extra = extraKeys(v, ['id', 'command']);
  if (extra.length > 0) return { ok: false, id, error: `frame has unknown member ${JSON.stringify(extra[0].slice(0, 40))}` };
  const problem = checkCommand(v.command);
  if (problem !== null) return { ok: false, id, error: problem };
  return { ok: true, frame: { id, command: v.command as SteerCommand } };
}

/**
 * Parses a command as typed in a terminal (`set alpha=0.2`, `step 10`, `eval world.rank`) into a
 * SteerCommand. Values: `true`/`false`, numbers, otherwise the text (quotes removed). Returns an
 * error message for anything else.
 */
export function parseCommandLine(line: string): SteerCommand | { error: string } {
  const text = line.trim();
  const space = text.search(/\s/);
  const word = space < 0 ? text : text.slice(0, space);
  const rest = space < 0 ? '' : text.slice(space + 1).trim();
  let command: unknown;
  switch (word) {
    case 'pause': case 'resume': case 'stop': case 'checkpoint':
      if (rest !== '') return { error: `${word} takes no argument` };
      command = { kind: word };
      break;
    case 'step': {
      const n = rest === '' ? 1 : Number(rest);
      command = { kind: 'step', count: /^\d+$/.test(rest) || rest === '' ? n : NaN };
      break;
    }
    case 'set': {
      const eq = rest.indexOf('=');
      if (eq <= 0) return { error: 'usage: set NAME=VALUE' };
      const name = rest.slice(0, eq).trim();
      const raw = rest.slice(eq + 1).trim();
      let value: number | string | boolean = raw;
      if (raw === 'true' || raw === 'false') value = raw === 'true';
      else if (raw !== '' && Number.isFinite(Number(raw))) value = Number(raw);
      else if (/^(['"]).*\1$/.test(raw)) value = raw.slice(1, -1);
      command = { kind: 'set', name, value };
      break;
    }
    case 'eval':
      command = { kind: 'eval', expr: rest };
      break;
    default:
      return { error: `unknown command ${JSON.stringify(word)}: status, set NAME=VALUE, pause, resume, step N, stop, checkpoint, eval EXPR` };
  }
  const problem = checkCommand(command);
  return problem === null ? (command as SteerCommand) : { error: problem };
}
