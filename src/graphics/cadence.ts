/**
 * When a live plot draws: every N steps, every interval of simulation time, or within a budget
 * (a share of the run time the graphics may take, measured and adapted as the run goes).
 *
 * Every rank must take the same decision (a frame is a collective reduction), so decisions use
 * only the step, the simulation time (the same on every rank) and, in budget mode, figures the
 * ranks agreed on in the previous frame's allreduce: the largest time any rank spent in graphics
 * so far and the largest elapsed time.
 */
import { ArgumentError, describe } from '../errors.js';

/** How often a plot draws: `{ steps: 50 }`, `{ time: 0.5 }` or `{ budget: 0.02 }` (2 % of run time). */
export type Every = { steps: number } | { time: number } | { budget: number };

/** What a plot needs to know about the current step (any loop's state has it). */
export interface StepState {
  step: number;
  time: number;
}

/** Checks an Every; throws ArgumentError saying what to pass. */
export function checkEvery(every: unknown, what: string): Every {
  const e = every as Record<string, unknown>;
  const keys = typeof e === 'object' && e !== null ? Object.keys(e) : [];
  const ok = keys.length === 1 && (
    (keys[0] === 'steps' && Number.isInteger(e.steps) && (e.steps as number) >= 1) ||
    (keys[0] === 'time' && typeof e.time === 'number' && e.time > 0 && Number.isFinite(e.time)) ||
    (keys[0] === 'budget' && typeof e.budget === 'number' && e.budget > 0 && e.budget < 1));
  if (!ok) throw new ArgumentError(`${what}: every must be { steps: N } (N ≥ 1), { time: dt } (dt > 0) or { budget: share } (0 < share < 1, e.g. 0.02), got ${typeof every === 'object' && every !== null ? JSON.stringify(every) : describe(every)}`);
  return every as Every;
}

/** Whether `s` is a loop state { step, time }: an integer step and a finite time (checkState's test). Local. */
export function isStepState(s: unknown): s is StepState {
  const t = s as StepState;
  return typeof t === 'object' && t !== null && Number.isInteger(t.step) && typeof t.time === 'number' && Number.isFinite(t.time);
}

/** Checks a step state; throws ArgumentError. */
export function checkState(state: unknown, what: string): StepState {
  const s = state as StepState;
  if (!isStepState(s)) {
    throw new ArgumentError(`${what}: pass the loop's state { step, time } (an integer step and a finite time), got ${typeof state === 'object' && state !== null ? JSON.stringify(state) : describe(state)}`);
  }
  return s;
}

/** The drawing schedule of one plot (or of all plots sharing a budget). */
export class Cadence {
  private lastStep = -Infinity;
  private lastDecision = false;
  private nextTime = -Infinity;
  private nextStep = -Infinity;
  private startStep: number | null = null;
  private probeStep = -1;
  private frames = 0;
  /** The interval in steps the budget currently asks for (for reports). */
  interval = 0;

  constructor(readonly every: Every) {}

  /** Budget mode: whether this step only measures the pace (the ranks agree on timings without drawing). Local, deterministic. */
  probe(step: number): boolean {
    if (step !== this.probeStep) return false;
    this.probeStep = -1;
    return true;
  }

  /** Whether `state`'s step draws. Asking again within the same step gives the same answer. Local, deterministic. */
  due(state: StepState): boolean {
    if (state.step === this.lastStep) return this.lastDecision;
    this.startStep ??= state.step;
    this.lastStep = state.step;
    const e = this.every;
    let d: boolean;
    if ('steps' in e) d = state.step % e.steps === 0;
    else if ('time' in e) {
      d = state.time >= this.nextTime - 1e-12 * Math.max(1, Math.abs(state.time));
      if (d) this.nextTime = (Math.floor(state.time / e.time + 1e-9) + 1) * e.time;
    } else d = state.step >= this.nextStep;
    if (d) this.frames++;
    this.lastDecision = d;
    return d;
  }

  /**
   * Budget mode: plans the next frame from figures agreed at the end of the frame at `step` (the
   * same on every rank): `spent`, the largest time any rank has spent in graphics so far (this
   * frame included, the first frame's one-time set-up left out), and `elapsed`, the largest run
   * time so far (since the first frame, its set-up left out), both in ms. The next frame is
   * due at the step where the run time reaches (spent + half a frame's mean cost) / budget, at the simulation's own pace per
   * step measured so far. After the first frame the pace is not known yet: the ranks agree once
   * more 10 steps later, without drawing (see probe). Local.
   */
  agree(step: number, spent: number, elapsed: number): void {
    if (!('budget' in this.every) || this.startStep === null) return;
    const b = this.every.budget;
    const steps = step - this.startStep;
    if (steps < 1) { this.nextStep = Infinity; this.probeStep = step + 10; this.interval = 0; return; }
    const perStep = Math.max(1e-6, (elapsed - spent) / steps); // the simulation's own time per step
    // the share is exactly the budget half-way through the next frame's cost (a frame costs what
    // the frames so far did on average), so it swings as much above the budget as below it
    // (LivePlots leaves a plot's first frame, its set-up, out of `spent`: the mean is over the others)
    const frame = this.frames > 1 ? spent / (this.frames - 1) : 0;
    const ahead = Math.max(1, Math.round(((spent + frame / 2) / b - elapsed) / perStep));
    this.interval = ahead;
    this.nextStep = step + ahead;
  }
}
