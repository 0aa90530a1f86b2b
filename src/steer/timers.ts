/**
 * Phase and hook timers of the simulation loop: each rank adds up the seconds spent in each
 * named phase ("step", "timestep", "steering", one per hook); `summarize` gathers them across
 * ranks (min, mean, max) and `formatTimers` prints the table shown at the end of a run.
 */
import type { Comm } from '../comm/comm.js';
import { formatSeconds } from './duration.js';
import type { TimerSummary } from './link.js';

/** One rank's accumulated time per phase. */
export class PhaseTimers {
  private readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  /** seconds[i] and calls[i] belong to names[i]. */
  seconds = new Float64Array(8);
  calls = new Float64Array(8);

  /** The slot of phase `name` (created on first use); keep it to add to cheaply. */
  slot(name: string): number {
    let i = this.index.get(name);
    if (i !== undefined) return i;
    i = this.names.length;
    this.names.push(name);
    this.index.set(name, i);
    if (i >= this.seconds.length) {
      const s = new Float64Array(this.seconds.length * 2); s.set(this.seconds); this.seconds = s;
      const c = new Float64Array(this.calls.length * 2); c.set(this.calls); this.calls = c;
    }
    return i;
  }

  /** Adds one call of `seconds` to slot `i`. */
  add(i: number, seconds: number): void {
    this.seconds[i]! += seconds;
    this.calls[i]! += 1;
  }

  /** This rank's figures only (min = mean = max), for live status between gathers. */
  local(): TimerSummary[] {
    return this.names.map((name, i) => ({ name, calls: this.calls[i]!, min: this.seconds[i]!, mean: this.seconds[i]!, max: this.seconds[i]! }));
  }

  /**
   * Collective over `comm`: every rank's figures gathered to every rank, as min/mean/max over
   * ranks per phase (phases are matched by name; a phase missing on a rank counts as 0 s there).
   */
  summarize(comm: Comm): TimerSummary[] {
    const mine = this.names.map((n, i) => [n, this.calls[i]!, this.seconds[i]!] as const);
    const all = comm.size === 1 ? [mine] : comm.allgather(mine);
    const by = new Map<string, { calls: number; s: number[] }>();
    for (const rank of all) {
      for (const [n, c, s] of rank) {
        const e = by.get(n) ?? { calls: 0, s: [] };
        e.calls = Math.max(e.calls, c);
        e.s.push(s);
        by.set(n, e);
      }
    }
    return [...by].map(([name, e]) => {
      while (e.s.length < all.length) e.s.push(0);
      return { name, calls: e.calls, min: Math.min(...e.s), mean: e.s.reduce((a, b) => a + b, 0) / e.s.length, max: Math.max(...e.s) };
    });
  }
}

/** The end-of-run table: one line per phase, seconds over ranks. */
export function formatTimers(timers: readonly TimerSummary[], ranks: number): string {
  const w = Math.max(5, ...timers.map((t) => t.name.length));
  const head = `${'phase'.padEnd(w)}  ${'calls'.padStart(7)}  ${'min'.padStart(9)}  ${'mean'.padStart(9)}  ${'max'.padStart(9)}   (over ${ranks} rank${ranks === 1 ? '' : 's'})`;
  const rows = timers.map((t) => `${t.name.padEnd(w)}  ${String(t.calls).padStart(7)}  ${formatSeconds(t.min).padStart(9)}  ${formatSeconds(t.mean).padStart(9)}  ${formatSeconds(t.max).padStart(9)}`);
  return [head, ...rows].join('\n');
}
