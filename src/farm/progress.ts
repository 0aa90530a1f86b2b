/**
 * Progress of a farm call, on rank 0: a live bar on the launcher's terminal when there is one
 * (done/total, failures by cause, rate, ETA), otherwise a plain line every few seconds on stderr,
 * and a summary line at the end. The same figures go to the steering dashboard's `farm` panel.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { publishMetrics } from '../steer/publish.js';
import { CAUSES, formatRate, formatSeconds, formatSummary, type Summary } from './outcome.js';

/** How progress is shown: a live bar, periodic lines, or only the summary... or nothing at all. */
export type ProgressMode = 'bar' | 'lines' | 'summary' | 'off';

const BAR_MS = 150;
const PUBLISH_MS = 500;

/** The mode to use by default: SIMDECK_FARM_PROGRESS if set, else a bar when rank 0 shares the launcher's terminal, else lines. */
export function defaultProgressMode(): ProgressMode {
  const env = process.env.SIMDECK_FARM_PROGRESS;
  if (env === 'bar' || env === 'lines' || env === 'summary' || env === 'off') return env;
  return isatty(0) || isatty(2) ? 'bar' : 'lines';
}

/** Live progress of one farm call; `update` is cheap and may be called for every result. */
export class Progress {
  private tty = -1;
  private lastDraw = 0;
  private lastPublish = 0;
  private readonly started = performance.now();
  private readonly lineMs: number;

  constructor(private readonly total: number, private mode: ProgressMode, private readonly label = 'farm') {
    if (mode === 'bar') {
      try { this.tty = openSync('/dev/tty', 'w'); } catch { this.mode = 'lines'; }
    }
    const every = Number(process.env.SIMDECK_FARM_PROGRESS_INTERVAL);
    this.lineMs = every > 0 ? every * 1000 : 10_000;
    this.lastDraw = performance.now();
  }

  /** Redraws (bar), prints (lines) and publishes when their interval has passed. */
  update(s: Summary): void {
    const now = performance.now();
    if (now - this.lastPublish >= PUBLISH_MS) { this.lastPublish = now; this.publish(s, now); }
    if (this.mode === 'bar' && now - this.lastDraw >= BAR_MS) {
      this.lastDraw = now;
      this.writeTty(`\r\x1b[K${this.line(s, now, true)}`);
    } else if (this.mode === 'lines' && now - this.lastDraw >= this.lineMs) {
      this.lastDraw = now;
      process.stderr.write(`${this.label}: ${this.line(s, now, false)}\n`);
    }
  }

  /** Clears the bar, publishes the final figures and prints the summary (unless off). */
  end(s: Summary): void {
    this.publish(s, performance.now());
    if (this.tty >= 0) {
      this.writeTty('\r\x1b[K');
      try { closeSync(this.tty); } catch { /* gone */ }
      this.tty = -1;
    }
    if (this.mode !== 'off') process.stderr.write(`${this.label}: ${formatSummary(s)}\n`);
  }

  private writeTty(text: string): void {
    try { writeSync(this.tty, text); } catch { this.mode = 'lines'; }
  }

  private done(s: Summary): number {
    return s.ok + s.error + s.timeout + s.crash + s.exit;
  }

  private rate(s: Summary, now: number): number {
    const seconds = (now - this.started) / 1000;
    return seconds > 0 ? (this.done(s) - s.resumed) / seconds : 0;
  }

  /** `[#####-----] 512/1000 ok 490 crash 12 | 85 tasks/s, ETA 6.0 s` (bar) or without the bar (lines). */
  line(s: Summary, now: number, bar: boolean): string {
    const done = this.done(s);
    const parts: string[] = [];
    if (bar) {
      const width = 24;
      const fill = this.total > 0 ? Math.round((width * done) / this.total) : width;
      parts.push(`[${'#'.repeat(fill)}${'-'.repeat(width - fill)}]`);
    }
    parts.push(`${done}/${this.total} done`);
    const causes = [`${s.ok} ok`, ...CAUSES.filter((c) => s[c] > 0).map((c) => `${s[c]} ${c}`)];
    parts.push(`(${causes.join(', ')})`);
    const rate = this.rate(s, now);
    let tail = formatRate(rate);
    if (rate > 0 && done < this.total) tail += `, ETA ${formatSeconds((this.total - done) / rate)}`;
    return `${parts.join(' ')}, ${tail}`;
  }

  private publish(s: Summary, now: number): void {
    const rate = this.rate(s, now);
    const done = this.done(s);
    const values: Record<string, number | string> = {
      done, total: this.total, ok: s.ok, error: s.error, timeout: s.timeout, crash: s.crash, exit: s.exit,
      retries: s.retries, resumed: s.resumed, 'tasks/s': Math.round(rate * 10) / 10,
      eta: rate > 0 && done < this.total ? formatSeconds((this.total - done) / rate) : '-',
    };
    publishMetrics({ panel: this.label, values });
  }
}
