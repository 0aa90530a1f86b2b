/**
 * Deadlock detection over MPI, where ranks may sit on several machines: a protocol of waves on
 * the transport's own envelopes (in the manner of Mattern's four-counter method). The
 * coordinator — the lowest rank that has not finished its deck — starts a wave while it waits
 * in a simdeck call: it asks every other unfinished rank for a report (PROBE), and each answers
 * (REPORT) with whether it waits in a simdeck call that nothing local can complete ("idle"), how
 * many envelopes it has sent and taken, how many waits it has entered, how many finished ranks
 * it knows of, and what it waits for. A rank busy outside simdeck answers only when it next
 * enters simdeck, and then as not idle.
 *
 * The job is deadlocked when two waves in a row find every rank idle, as many envelopes sent as
 * taken over the job (nothing in flight), and every count unchanged between the two: no rank
 * moved, so none ever will. A rank that computes, or sits in a native kernel, is never idle,
 * so the waiting ranks around it are never taken for deadlocked.
 */

/** What a rank tells the coordinator about itself. */
export interface WaitReport {
  rank: number;
  /** Waiting in a simdeck call that no local transfer in progress can complete. */
  idle: boolean;
  /** Envelopes sent to and taken from unfinished ranks (modulo 2^32). */
  sent: number;
  taken: number;
  /** Waits entered so far (modulo 2^32): tells a rank still in the same wait from one that moved on. */
  waits: number;
  /** Finished ranks this rank knows of. */
  finished: number;
  /** What it waits for, e.g. `recv(source=1, tag=0, comm=world)`. */
  text: string;
}

/** A coordinator's wait must last this long before it starts probing, and waves start at most this often. */
const START_AFTER_MS = 100;
const WAVE_MS = 100;

/** The coordinator's side of the protocol (members just answer probes). */
export class DeadlockProbe {
  private wave = 0;
  private open: { members: number[]; reports: Map<number, WaitReport>; self: WaitReport } | null = null;
  private lastStart = 0;
  private previous = '';

  /** `probe(rank, wave)` sends a PROBE envelope. */
  constructor(private readonly probe: (rank: number, wave: number) => void) {}

  /**
   * Coordinator, between polls of a wait that has lasted `waitedMs`: starts a wave when due and
   * judges a wave once every report is in. Returns every rank's report, in rank order, once the
   * job is deadlocked; null otherwise. Never blocks.
   */
  tick(now: number, waitedMs: number, self: () => WaitReport, members: () => number[]): WaitReport[] | null {
    if (this.open === null) {
      if (waitedMs < START_AFTER_MS || now - this.lastStart < WAVE_MS) return null;
      this.lastStart = now;
      this.wave = (this.wave + 1) | 0;
      this.open = { members: members(), reports: new Map(), self: self() };
      for (const r of this.open.members) this.probe(r, this.wave);
    }
    const o = this.open;
    if (o.reports.size < o.members.length) return null;
    this.open = null;
    const all = [o.self, ...o.reports.values()].sort((a, b) => a.rank - b.rank);
    let balance = 0;
    for (const r of all) balance += r.sent - r.taken;
    const quiet = balance % 4294967296 === 0 && all.every((r) => r.idle && r.finished === o.self.finished);
    if (!quiet) { this.previous = ''; return null; }
    const key = all.map((r) => `${r.rank}:${r.waits}:${r.sent}:${r.taken}`).join(',');
    if (key === this.previous) return all;
    this.previous = key;
    return null;
  }

  /** A REPORT envelope arrived for `wave`. */
  report(wave: number, report: WaitReport): void {
    const o = this.open;
    if (o !== null && wave === this.wave && o.members.includes(report.rank)) o.reports.set(report.rank, report);
  }

  /** Forgets a wave in progress (the coordinator's wait ended; a new wait starts afresh). */
  reset(): void {
    this.open = null;
    this.previous = '';
  }
}
