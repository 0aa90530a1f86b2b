/**
 * Wall-clock budgets as users write them: seconds as a number, or a string such as `'90s'`,
 * `'15m'`, `'2h'`, `'1h30m'`, `'1.5h'`, `'500ms'`; and times as people read them.
 */
import { ArgumentError, describe } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1e-3, s: 1, m: 60, min: 60, h: 3600, d: 86400 };

/** Seconds in `value` (a positive number of seconds or a duration string). Throws ArgumentError. */
export function parseDuration(value: unknown, what: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > 0) return value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)/g)];
    if (parts.length > 0 && parts.map((p) => p[0]).join('').replace(/\s/g, '') === text.replace(/\s/g, '')) {
      const s = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
      if (s > 0) return s;
    }
  }
  throw new ArgumentError(`${what} must be a positive number of seconds or a duration like '90s', '15m', '2h' or '1h30m', got ${describe(value)}`);
}

/** A number of seconds as people read it: `812 µs`, `12.3 ms`, `4.10 s`, `2 min 5 s`, `1 h 02 min`. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  if (s === 0) return '0 s';
  if (s < 0.9995e-3) return `${(s * 1e6).toPrecision(3)} µs`;
  if (s < 0.9995) return `${(s * 1e3).toPrecision(3)} ms`;
  if (s < 59.95) return `${s.toPrecision(3)} s`;
  const r = Math.round(s);
  if (r < 3600) return `${Math.floor(r / 60)} min ${r % 60} s`;
  return `${Math.floor(r / 3600)} h ${String(Math.floor((r % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * A simulation time as people read it, in human output (the end-of-run line, the dashboard's log
 * tail): rounded to 12 significant digits, so sums of steps such as 6.879999999999898 show as
 * 6.88. Machine output (the command log file, replies, status) keeps the exact value.
 */
export function roundTime(t: number): number {
  return Number.isFinite(t) ? Number(t.toPrecision(12)) : t;
}
