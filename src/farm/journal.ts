/**
 * The journal of a farm call: one JSON line per task's final result, keyed by task id, written
 * by rank 0 only and fsync'ed in batches (every 64 results or 200 ms, and at the end). A run that
 * is killed loses at most the results since the last sync; those tasks run again on resume, and
 * no task ever has two final lines from one run. Like GNU parallel's --joblog and --resume.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { ArgumentError } from '../errors.js';
import type { Attempt, Outcome, RemoteError, TaskStatus } from './outcome.js';

/** One line of the journal. */
export interface JournalRecord {
  id: string;
  index: number;
  status: TaskStatus;
  value?: unknown;
  error?: RemoteError;
  attempts: Attempt[];
}

const SYNC_EVERY = 64;
const SYNC_MS = 200;

/** JSON with typed arrays kept (as `{"$typed": "Float64Array", "data": [...]}`) and bigints as strings. */
function replacer(_key: string, v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return { $typed: v.constructor.name, data: Array.from(v as unknown as ArrayLike<number>, Number) };
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function reviver(_key: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && typeof (v as { $typed?: unknown }).$typed === 'string') {
    const { $typed, data } = v as { $typed: string; data: number[] };
    const ctor = (globalThis as unknown as Record<string, { from?: (d: number[]) => unknown }>)[$typed];
    if (ctor?.from) return ctor.from(data);
  }
  return v;
}

/**
 * Reads a journal: the last complete record of each id. A torn last line (the run was killed while
 * writing) is ignored. Throws ArgumentError for a file that is not a journal.
 */
export function readJournal(path: string): Map<string, JournalRecord> {
  const records = new Map<string, JournalRecord>();
  if (!existsSync(path)) return records;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (!text.endsWith('\n')) lines.pop(); // torn
  lines.forEach((line, n) => {
    if (line === '') return;
    let r: JournalRecord;
    try {
      r = JSON.parse(line, reviver) as JournalRecord;
    } catch {
      throw new ArgumentError(`resume: line ${n + 1} of ${path} is not JSON; is this a farm journal?`);
    }
    if (typeof r?.id !== 'string' || typeof r.status !== 'string') throw new ArgumentError(`resume: line ${n + 1} of ${path} is not a farm journal record (no id or status)`);
    records.set(r.id, r);
  });
  return records;
}

/** An open journal that rank 0 appends final results to. */
export class Journal {
  private fd: number;
  private buffered: string[] = [];
  private lastSync = performance.now();

  /** Opens `path` for appending (created if missing); a torn last line is cut off first. */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a+');
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      if (text.length > 0 && !text.endsWith('\n')) ftruncateSync(this.fd, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
    }
  }

  /** Queues the final result of a task; syncs when enough have queued or time has passed. */
  append(o: Outcome): void {
    const record: JournalRecord = { id: o.id, index: o.index, status: o.status, attempts: o.attempts };
    if (o.value !== undefined) record.value = o.value;
    if (o.error !== undefined) record.error = o.error;
    let line: string;
    try {
      line = JSON.stringify(record, replacer);
    } catch {
      line = JSON.stringify({ ...record, value: undefined }, replacer);
    }
    this.buffered.push(line);
    if (this.buffered.length >= SYNC_EVERY) this.sync();
  }

  /** Syncs if results are waiting and the last sync is old enough. Cheap to call often. */
  tick(): void {
    if (this.buffered.length > 0 && performance.now() - this.lastSync > SYNC_MS) this.sync();
  }

  /** Writes queued results and fsyncs the file. */
  sync(): void {
    if (this.buffered.length > 0) {
      writeSync(this.fd, this.buffered.join('\n') + '\n');
      this.buffered = [];
    }
    fsyncSync(this.fd);
    this.lastSync = performance.now();
  }

  /** Syncs and closes. */
  close(): void {
    this.sync();
    closeSync(this.fd);
  }
}
