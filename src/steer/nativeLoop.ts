/**
 * Steering for codes that keep their own time loop in C or Fortran (what libsim and Catalyst are
 * for): the Simulation hands the compiled loop a native function pointer, which the loop calls
 * once per iteration:
 *
 *   C:       int steer(int step, double time, double dt, double *params);
 *   Fortran: integer(c_int) function steer(step, time, dt, params) bind(C)
 *              integer(c_int), value :: step; real(c_double), value :: time, dt
 *              real(c_double) :: params(*)
 *
 * `step` is the number of steps done, `time` the current time, `dt` the step about to be taken.
 * The call runs the loop's boundary (hooks for the step just done, agreement with rank 0,
 * commands, pause, stop criteria), writes the current parameter values into `params` (declaration
 * order; a boolean as 0/1, a string as its index among the choices) and returns 0 to go on or
 * 1 to stop. Call it once more after the last step (a `for (;;) { if (steer(...)) break; ... }`
 * loop does), so that the last step's hooks run.
 */
import koffi from 'koffi';
import { ArgumentError, describe } from '../errors.js';
import type { ParamDescription } from './link.js';
import type { ParamValue } from './params.js';

/** What the native loop needs from the Simulation (its loop parts). */
export interface NativeLoopHost {
  step: number;
  time: number;
  dt: number;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly schema: readonly ParamDescription[];
  begin(native: boolean): void;
  boundary(): boolean;
  beforeStep(): void;
  afterStep(): void;
  end(): void;
  cleanup(): void;
}

let protoType: unknown = null;

/** The C prototype of the callback the compiled loop calls. */
export const STEER_CALLBACK_PROTO = 'int simdeck_steer_fn(int step, double time, double dt, double *params)';

/** The parameters as the native loop reads them: numbers, booleans as 0/1, strings as the index of their choice (-1 without choices). */
export function nativeParams(schema: readonly ParamDescription[], values: Readonly<Record<string, ParamValue>>, out: Float64Array): Float64Array {
  for (let i = 0; i < schema.length; i++) {
    const d = schema[i]!;
    const v = values[d.name]!;
    out[i] = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : (d.choices?.indexOf(v) ?? -1);
  }
  return out;
}

/**
 * Collective, blocking: calls `solve(pointer)` on every rank, where `pointer` is the address (a
 * BigInt, for a `void *` kernel parameter) of the steering callback, and steers the compiled loop
 * through it until the loop returns. Errors thrown in hooks are kept, the callback answers
 * "stop", and the error is rethrown once the compiled loop has returned.
 */
export function runNativeLoop(host: NativeLoopHost, solve: (callback: bigint) => void): void {
  if (typeof solve !== 'function') throw new ArgumentError(`runNative needs a function that calls the compiled loop with the callback address, got ${describe(solve)}`);
  protoType ??= koffi.proto(STEER_CALLBACK_PROTO);
  const n = host.schema.length;
  const values = new Float64Array(Math.max(1, n));
  let error: unknown = null;
  let stopped = false;
  let started = false;
  const callback = (step: number, time: number, dt: number, params: unknown): number => {
    try {
      if (error !== null || stopped) return 1;
      if (started) {
        if (step > host.step) {
          host.step = step;
          host.time = time;
          host.afterStep();
        }
      }
      host.step = step;
      host.time = time;
      host.dt = dt;
      started = true;
      if (host.boundary()) { stopped = true; return 1; }
      host.dt = dt;
      host.beforeStep();
      if (n > 0 && params !== null) {
        nativeParams(host.schema, host.params, values);
        new Float64Array(koffi.view(params as never, n * 8) as ArrayBuffer).set(values.subarray(0, n));
      }
      return 0;
    } catch (e) {
      error = e;
      return 1;
    }
  };
  host.begin(true);
  const registered = koffi.register(callback, koffi.pointer(protoType as never));
  try {
    const address = koffi.address(registered) as bigint;
    solve(address);
    if (error !== null) throw error;
    host.end();
  } finally {
    koffi.unregister(registered);
    host.cleanup();
  }
}
