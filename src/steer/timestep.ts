/**
 * The time step rule of `sim.timestep(fn, options)`: every rank proposes a step (a CFL bound
 * over its own block), the loop takes the minimum over ranks, and this rule shapes it: a safety
 * factor, a largest growth (and optionally shrink) per step, and bounds.
 */
import { ArgumentError, describe } from '../errors.js';
import { TimestepError } from './errors.js';

/** Options of `sim.timestep`. */
export interface TimestepOptions {
  /** Factor applied to the minimum over ranks (default 1). */
  safety?: number;
  /** Largest ratio of one step's dt to the previous one's (default: unlimited). */
  maxChange?: number;
  /** Smallest ratio of one step's dt to the previous one's (default: unlimited, any shrink is allowed). */
  minChange?: number;
  /** Bounds: dt is clamped into [min, max]. */
  min?: number;
  max?: number;
}

/** The checked rule; `next` shapes the global minimum into the step's dt. */
export class TimestepRule {
  readonly safety: number;
  readonly maxChange: number;
  readonly minChange: number;
  readonly min: number;
  readonly max: number;

  /** Checks the options. Throws ArgumentError. */
  constructor(readonly local: () => number, options: TimestepOptions = {}) {
    if (typeof local !== 'function') throw new ArgumentError(`timestep needs a function that returns this rank's largest stable dt, got ${describe(local)}`);
    const num = (v: unknown, name: string, dflt: number, ok: (x: number) => boolean, rule: string) => {
      if (v === undefined) return dflt;
      if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) throw new ArgumentError(`timestep option ${name} must be ${rule}, got ${describe(v)}`);
      return v;
    };
    this.safety = num(options.safety, 'safety', 1, (x) => x > 0 && Number.isFinite(x), 'a positive number');
    this.maxChange = num(options.maxChange, 'maxChange', Infinity, (x) => x >= 1, 'a number ≥ 1');
    this.minChange = num(options.minChange, 'minChange', 0, (x) => x >= 0 && x <= 1, 'a number from 0 to 1');
    this.min = num(options.min, 'min', 0, (x) => x >= 0 && Number.isFinite(x), 'a number ≥ 0');
    this.max = num(options.max, 'max', Infinity, (x) => x > 0, 'a positive number');
    if (this.min > this.max) throw new ArgumentError(`timestep option min (${this.min}) is above max (${this.max})`);
  }

  /** This rank's proposal, checked: a positive number (Infinity is allowed: no limit here), or NaN when unusable. */
  propose(): number {
    const v = this.local();
    return typeof v === 'number' && v > 0 ? v : NaN;
  }

  /**
   * The step's dt from the minimum over ranks and the previous step's dt (0 before the first step).
   * Throws TimestepError (on every rank alike) when some rank proposed an unusable value or none bounded dt.
   */
  next(globalMin: number, previous: number, step: number): number {
    if (Number.isNaN(globalMin)) throw new TimestepError(`the timestep function returned zero, a negative number or NaN on some rank at step ${step}; it must return a positive dt (Infinity for no limit)`);
    let dt = this.safety * globalMin;
    if (previous > 0) {
      dt = Math.min(dt, previous * this.maxChange);
      dt = Math.max(dt, previous * this.minChange);
    }
    dt = Math.min(Math.max(dt, this.min), this.max);
    if (!(dt > 0 && Number.isFinite(dt))) throw new TimestepError(`no finite time step at step ${step}: every rank returned Infinity and no max bound is set (timestep(fn, { max }))`);
    return dt;
  }
}
