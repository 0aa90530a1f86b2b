/**
 * Cadences of `sim.every(...)`: every so many steps, every so much simulation time (the loop
 * shortens the step before a due time so that it lands on it exactly), or every so many seconds
 * of wall-clock time (decided on rank 0 and broadcast, so every rank runs the hook at the same step).
 */
import { ArgumentError, describe } from '../errors.js';
import { parseDuration } from './duration.js';

/** When a hook runs. */
export type Cadence = { steps: number; name?: string } | { time: number; name?: string } | { wall: number | string; name?: string };

/** A registered hook and its schedule. */
export interface Hook<S> {
  kind: 'steps' | 'time' | 'wall';
  /** Steps, simulation time units, or seconds between calls. */
  every: number;
  fn: (s: S) => void;
  /** Timer slot (see PhaseTimers). */
  slot: number;
  name: string;
  /** time: simulation time of the first call is origin + every; next due = origin + k * every. */
  origin: number;
  k: number;
}

/** Checks a cadence and returns its kind and interval. Throws ArgumentError. */
export function parseCadence(c: unknown): { kind: 'steps' | 'time' | 'wall'; every: number; name: string } {
  if (typeof c !== 'object' || c === null) throw new ArgumentError(`every() needs { steps: n }, { time: t } or { wall: seconds | '10m' }, got ${describe(c)}`);
  const o = c as Record<string, unknown>;
  const keys = ['steps', 'time', 'wall'].filter((k) => o[k] !== undefined);
  if (keys.length !== 1) throw new ArgumentError(`every() needs exactly one of steps, time or wall, got ${keys.length === 0 ? 'none' : keys.join(' and ')}`);
  const kind = keys[0] as 'steps' | 'time' | 'wall';
  let every: number;
  if (kind === 'steps') {
    every = o.steps as number;
    if (!Number.isInteger(every) || every < 1) throw new ArgumentError(`every({ steps }) must be a positive integer, got ${describe(o.steps)}`);
  } else if (kind === 'time') {
    every = o.time as number;
    if (typeof every !== 'number' || !(every > 0) || !Number.isFinite(every)) throw new ArgumentError(`every({ time }) must be a positive simulation time, got ${describe(o.time)}`);
  } else {
    every = parseDuration(o.wall, 'every({ wall })');
  }
  if (o.name !== undefined && typeof o.name !== 'string') throw new ArgumentError(`every({ name }) must be a string, got ${describe(o.name)}`);
  const unit = kind === 'steps' ? ' steps' : kind === 'wall' ? ' s wall' : ' time';
  return { kind, every, name: (o.name as string | undefined) ?? `every ${every}${unit}` };
}

/** The simulation time a time hook is next due at. */
export function dueTime(h: { origin: number; k: number; every: number }): number {
  return h.origin + h.k * h.every;
}
