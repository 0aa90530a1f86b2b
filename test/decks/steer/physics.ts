// A tiny model whose result depends on every parameter change and on the step it happens at:
// shared by loop.ts (a steered run, then its replay) and replay.ts (a replay from SIMDECK_REPLAY).
import type { Simulation } from 'simdeck/steer';

export const PARAMS = {
  alpha: { value: 0.1, min: 0, max: 0.5, unit: '1/s' },
  mode: { value: 'plain', choices: ['plain', 'wave'] },
};

/** Runs the loop and returns x, which any change of alpha or mode (and its step) alters. */
export function physics(sim: Simulation<typeof PARAMS>): number {
  let x = 1;
  sim.expose({ x: () => x });
  sim.run((s) => { x = x * (1 + s.params.alpha * s.dt) + (s.params.mode === 'wave' ? Math.sin(s.step) * 1e-3 : 0); });
  return x;
}

/** The bits of a double as hex, to compare results bit for bit. */
export const bits = (v: number): string => Buffer.from(new Float64Array([v]).buffer).toString('hex');
