/**
 * The command log: every steering command a run accepted (and every one it refused), one JSON
 * object per line, written by rank 0 as the command is applied:
 *
 *   {"seq":1,"step":120,"time":0.6,"source":"browser","command":{"kind":"set","name":"alpha","value":0.2}}
 *
 * The first line describes the run (`{"simdeck":"steer-log","version":1,"params":{...}}`).
 * Replaying a log (`new Simulation(comm, { replay })`, `SIMDECK_REPLAY`, `simdeck run --replay`)
 * applies the same commands at the same steps, so a steered run can be redone bit for bit.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { describe } from '../errors.js';
import type { SteerCommand } from './link.js';
import { roundTime } from './duration.js';
import { ReplayError } from './errors.js';

/** One applied (or refused) command as logged. */
export interface LogEntry {
  seq: number;
  step: number;
  time: number;
  source: string;
  command: SteerCommand;
  /** Set on refused commands: why. Replay skips them. */
  error?: string;
}

/** Appends entries to a JSON-lines file, one write per line (no buffering: a crash loses nothing logged). */
export class CommandLog {
  private fd: number | null;
  /** The most recent lines, for the dashboard's log tail (times rounded: see roundTime). */
  readonly tail: string[] = [];

  /** Creates (truncates) `path` and writes the header line. Throws the file system's error. */
  constructor(readonly path: string, params: Record<string, unknown>) {
    this.fd = openSync(path, 'w', 0o644);
    writeSync(this.fd, JSON.stringify({ simdeck: 'steer-log', version: 1, params }) + '\n');
  }

  /** Appends one entry (exact in the file; its time rounded for people in `tail`). */
  append(entry: LogEntry): void {
    const line = JSON.stringify(entry);
    const shown = roundTime(entry.time);
    this.tail.push(shown === entry.time ? line : JSON.stringify({ ...entry, time: shown }));
    if (this.tail.length > 50) this.tail.shift();
    if (this.fd !== null) writeSync(this.fd, line + '\n');
  }

  /** Closes the file. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

const KINDS = new Set(['set', 'pause', 'resume', 'step', 'stop', 'checkpoint', 'eval']);

/** Reads a log for replay: the applied entries in sequence order. Throws ReplayError naming the bad line. */
export function readCommandLog(path: string): LogEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ReplayError(`cannot read the command log to replay, ${path}: ${(e as Error).message}`);
  }
  const out: LogEntry[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let o: unknown;
    try { o = JSON.parse(line); } catch { throw new ReplayError(`${path}:${i + 1}: not a JSON line: ${describe(line)}`); }
    const e = o as Partial<LogEntry> & { simdeck?: string };
    if (e.simdeck === 'steer-log') return; // the header
    if (typeof e.seq !== 'number' || !Number.isInteger(e.step) || (e.step as number) < 0 || typeof e.time !== 'number'
      || typeof e.command !== 'object' || e.command === null || !KINDS.has((e.command as { kind?: string }).kind ?? '')) {
      throw new ReplayError(`${path}:${i + 1}: not a command log entry (needs seq, step, time, source, command): ${describe(line)}`);
    }
    if (e.error === undefined) out.push(e as LogEntry);
  });
  out.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.step < out[i - 1]!.step) throw new ReplayError(`${path}: entry seq ${out[i]!.seq} is at step ${out[i]!.step}, before the previous entry's step ${out[i - 1]!.step}`);
  }
  return out;
}
