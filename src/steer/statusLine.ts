/**
 * The live status line rank 0 prints while the loop runs: on a terminal one line updated in
 * place (about 5 times a second), otherwise a plain line every few seconds.
 * `SIMDECK_STATUS=tty|plain|off` forces a mode. Under `simdeck run` a rank's stdout is a pipe to
 * the launcher, so the terminal is reached through /dev/tty when the job has one.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ArgumentError } from '../errors.js';
import { formatSeconds } from './duration.js';
import type { SteerStatus } from './link.js';

/** How the status line is shown. */
export type StatusMode = 'tty' | 'plain' | 'off';

/** One status line as text: `step 1200  t 0.42/1  dt 3.5e-4  850 steps/s  ETA 3.2 s`. */
export function formatStatus(s: SteerStatus, stopTime: number | null, stopSteps: number | null): string {
  const t = stopTime !== null ? `t ${fmt(s.time)}/${fmt(stopTime)}` : `t ${fmt(s.time)}`;
  const n = stopSteps !== null ? `step ${s.step}/${stopSteps}` : `step ${s.step}`;
  const rate = `${s.stepsPerSecond >= 100 ? Math.round(s.stepsPerSecond) : s.stepsPerSecond.toPrecision(3)} steps/s`;
  const eta = s.eta === null || s.state === 'finished' || s.stepsPerSecond === 0 ? '' : `  ETA ${formatSeconds(s.eta)}`;
  const state = s.state === 'running' ? '' : `  [${s.state}]`;
  return `${n}  ${t}  dt ${fmt(s.dt)}  ${rate}${eta}${state}`;
}

function fmt(x: number): string {
  return x === 0 ? '0' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5 ? String(Number(x.toPrecision(4))) : x.toExponential(2);
}

/** Prints status lines at a bounded rate. */
export class StatusLine {
  private fd: number;
  private own = false;
  private last = 0;
  private width = 0;
  readonly mode: StatusMode;

  /** `mode` 'auto' picks tty (stdout or /dev/tty) or plain; `everySeconds` spaces plain lines. Throws ArgumentError for a bad SIMDECK_STATUS. */
  constructor(mode: StatusMode | 'auto', private readonly everySeconds = 5) {
    const env = process.env.SIMDECK_STATUS;
    if (env !== undefined && env !== '') {
      if (!['tty', 'plain', 'off', 'auto'].includes(env)) throw new ArgumentError(`SIMDECK_STATUS must be tty, plain, off or auto, got ${JSON.stringify(env)}`);
      if (env !== 'auto') mode = env as StatusMode;
    }
    this.fd = 1;
    if (mode === 'auto' || mode === 'tty') {
      if (process.stdout.isTTY) mode = 'tty';
      else {
        try { this.fd = openSync('/dev/tty', 'w'); this.own = true; mode = 'tty'; } catch { mode = mode === 'tty' ? 'plain' : 'plain'; }
      }
    }
    this.mode = mode;
  }

  /** Shows `line` if enough time passed since the last one (always when `force`). */
  show(line: string, force = false): void {
    if (this.mode === 'off') return;
    const now = performance.now();
    if (!force && now - this.last < (this.mode === 'tty' ? 200 : this.everySeconds * 1000)) return;
    this.last = now;
    if (this.mode === 'tty') {
      // the cursor goes back to the line's start, so output other ranks print meanwhile (through
      // the launcher) writes over the status line instead of after it; the next update redraws it
      this.width = line.length;
      write(this.fd, `\r${line}\x1b[K\r`);
    } else {
      write(this.fd, line + '\n');
    }
  }

  /** Ends the line (on a terminal) and releases /dev/tty. */
  close(): void {
    if (this.mode === 'tty' && this.width > 0) write(this.fd, '\n');
    if (this.own) closeSync(this.fd);
    this.own = false;
    this.width = 0;
  }
}

function write(fd: number, text: string): void {
  try { writeSync(fd, text); } catch { /* a closed terminal never stops the run */ }
}
