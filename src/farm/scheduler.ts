/**
 * Rank 0's side of a farm call: the task table, the queue, adaptive batches for the ranks that
 * ask for work, retries by cause on another rank, and rank 0's own share of the work, run one
 * task at a time with the requests of the other ranks served in between (the deck's thread is
 * synchronous: rank 0 checks for messages between its tasks, and while it waits for a command or
 * an isolated child its helper's idle hook serves them).
 */
import type { Comm } from '../comm/comm.js';
import { ANY_SOURCE, ANY_TAG } from '../comm/constants.js';
import type { Request } from '../comm/request.js';
import { Status } from '../comm/status.js';
import { FarmFunctionError } from './errors.js';
import type { TaskContext } from './execute.js';
import { setIdleHook } from './helper.js';
import { emptySummary, type Attempt, type Outcome, type RemoteError, type RetryPolicy, type Summary, type TaskStatus } from './outcome.js';
import { TAG_DONE, TAG_END, TAG_RESULTS, TAG_WORK, type Batch, type BatchHead, type ResultsMessage } from './protocol.js';
import { runAssigned } from './runAssigned.js';

/** How the tasks of one farm call (or one submit) run. */
export interface TaskGroup extends BatchHead {
  retries: RetryPolicy;
  /** Fixed batch size, or 0 for adaptive. */
  batch: number;
}

interface TaskState {
  seq: number;
  index: number;
  id: string;
  customId: boolean;
  group: TaskGroup;
  arg: unknown;
  attempts: Attempt[];
  /** Ranks that failed it: a retry goes elsewhere while some rank has not tried. */
  avoid: number[];
  final: boolean;
}

/** Work worth this much time goes into one batch. */
const BATCH_TARGET_MS = 20;
const MAX_BATCH = 4096;
/** Rank 0 looks for requests at least this often while it runs its own tasks. */
const SERVE_EVERY_MS = 0.2;

/** The scheduler of one farm call on rank 0. */
export class Scheduler {
  /** Tasks by sequence number (undefined once final). */
  private tasks: (TaskState | undefined)[] = [];
  private queue: TaskState[] = [];
  private head = 0;
  private retryQueue: TaskState[] = [];
  private readonly wants: number[];
  private sends: Request[] = [];
  private nextSeq = 0;
  private meanMs = NaN;
  private lastServe = 0;
  private readonly status = new Status();
  private readonly started = performance.now();
  /** Tasks not final yet. */
  unfinished = 0;
  readonly summary: Summary = emptySummary();
  private cancelled = false;

  constructor(
    private readonly comm: Comm,
    private readonly shared: () => { value: unknown; version: number },
    private readonly onFinal: (o: Outcome) => void,
  ) {
    this.wants = new Array<number>(comm.size).fill(0);
  }

  /** Adds a task; returns its sequence number. Serves waiting ranks at once. */
  add(group: TaskGroup, index: number, id: string, customId: boolean, arg: unknown): number {
    const t: TaskState = { seq: this.nextSeq++, index, id, customId, group, arg, attempts: [], avoid: [], final: false };
    this.tasks.push(t);
    this.queue.push(t);
    this.unfinished++;
    this.summary.total++;
    return t.seq;
  }

  /** Counts a result read from the journal (not run). */
  addResumed(o: Outcome): void {
    this.summary.total++;
    this.summary.resumed++;
    this.summary[o.status]++;
  }

  /** Whether task `seq` has its final result. */
  isFinal(seq: number): boolean {
    return this.tasks[seq]?.final ?? true;
  }

  /** Drops every task not started yet (an imap left early): they get no result. */
  cancelQueued(): void {
    this.cancelled = true;
    for (const t of [...this.queue.slice(this.head), ...this.retryQueue]) {
      if (!t.final) { t.final = true; this.unfinished--; this.summary.total--; this.tasks[t.seq] = undefined; }
    }
    this.queue = [];
    this.head = 0;
    this.retryQueue = [];
  }

  private eligible(t: TaskState, rank: number): boolean {
    return t.avoid.length === 0 || !t.avoid.includes(rank) || t.avoid.length >= this.comm.size;
  }

  private queued(): number {
    return this.queue.length - this.head + this.retryQueue.length;
  }

  /** The next task rank `rank` may run, removed from the queue; null when none. */
  private takeOne(rank: number, like: TaskGroup | null): TaskState | null {
    for (let i = 0; i < this.retryQueue.length; i++) {
      const t = this.retryQueue[i];
      if ((like === null || t.group === like) && this.eligible(t, rank)) {
        this.retryQueue.splice(i, 1);
        return t;
      }
    }
    while (this.head < this.queue.length && this.queue[this.head].final) this.head++;
    if (this.head < this.queue.length) {
      const t = this.queue[this.head];
      if (like !== null && t.group !== like) return null;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.queue.length) { this.queue = this.queue.slice(this.head); this.head = 0; }
      return t;
    }
    return null;
  }

  /** How many tasks go into the next batch: about 20 ms of work, fewer as the queue runs out (guided). */
  private batchSize(group: TaskGroup): number {
    if (group.batch > 0) return group.batch;
    if (Number.isNaN(this.meanMs)) return 1;
    const byTime = Math.floor(BATCH_TARGET_MS / Math.max(this.meanMs, 1e-4));
    const guided = Math.ceil(this.queued() / (2 * this.comm.size));
    return Math.max(1, Math.min(byTime, guided, MAX_BATCH));
  }

  private batchFor(rank: number): Batch | null {
    const first = this.takeOne(rank, null);
    if (first === null) return null;
    const g = first.group;
    const n = this.batchSize(g);
    const tasks = [first];
    while (tasks.length < n) {
      const t = this.takeOne(rank, g);
      if (t === null) break;
      tasks.push(t);
    }
    const custom = tasks.some((t) => t.customId);
    return {
      key: g.key, mode: g.mode, isolate: g.isolate, timeoutMs: g.timeoutMs, graceMs: g.graceMs,
      seq: tasks.map((t) => t.seq), index: tasks.map((t) => t.index), id: custom ? tasks.map((t) => t.id) : null,
      attempt: tasks.map((t) => t.attempts.length + 1), arg: tasks.map((t) => t.arg),
    };
  }

  /** Answers every outstanding request for which there is work. Non-blocking. */
  private dispatch(): void {
    for (let r = 1; r < this.comm.size; r++) {
      while (this.wants[r] > 0) {
        const b = this.batchFor(r);
        if (b === null) break;
        this.sends.push(this.comm.isend(b, r, TAG_WORK));
        this.wants[r]--;
      }
    }
    if (this.sends.length > 0) this.sends = this.sends.filter((s) => !s.test());
  }

  /** Receives every waiting message from the other ranks and answers the requests. Non-blocking. */
  serve(): void {
    this.lastServe = performance.now();
    while (this.comm.iprobe(ANY_SOURCE, TAG_RESULTS, this.status)) {
      const src = this.status.source;
      const msg = this.comm.recv(src, TAG_RESULTS) as ResultsMessage;
      for (const r of msg.r) this.record(src, r[0], r[1], r[2], r[3], r[4]);
      this.wants[src] += msg.want;
    }
    this.dispatch();
  }

  private record(rank: number, seq: number, status: string, value: unknown, error: unknown, ms: number): void {
    const t = this.tasks[seq];
    if (t === undefined || t.final) return;
    if (status === 'missing') throw new FarmFunctionError((error as RemoteError).message);
    this.meanMs = Number.isNaN(this.meanMs) ? ms : 0.8 * this.meanMs + 0.2 * ms;
    const st = status as TaskStatus;
    const err = error as RemoteError | null;
    t.attempts.push(err ? { rank, status: st, ms: round(ms), message: err.message.split('\n')[0] } : { rank, status: st, ms: round(ms) });
    if (st !== 'ok') {
      const tries = t.attempts.filter((a) => a.status === st).length;
      if (tries <= t.group.retries[st] && !this.cancelled) {
        t.avoid.push(rank);
        this.retryQueue.push(t);
        this.summary.retries++;
        return;
      }
    }
    t.final = true;
    this.unfinished--;
    this.summary[st]++;
    this.tasks[seq] = undefined;
    const o: Outcome = { index: t.index, id: t.id, status: st, attempts: t.attempts };
    if (value !== undefined && value !== null || st === 'ok') o.value = value;
    if (err) o.error = err;
    t.arg = undefined;
    this.onFinal(o);
  }

  /** Runs one of rank 0's own tasks, serving the others while an isolated child or a command runs. */
  private runLocal(t: TaskState): void {
    const g = t.group;
    const { value, version } = this.shared();
    const ctx: TaskContext = { rank: 0, index: t.index, id: t.id, attempt: t.attempts.length + 1, shared: value };
    const previous = setIdleHook(() => this.serve());
    let r;
    try {
      r = runAssigned(g, t.arg, ctx, version, 'rank 0');
    } finally {
      setIdleHook(previous);
    }
    this.record(0, t.seq, r.status, r.value, r.error ?? null, r.ms);
  }

  /**
   * One unit of progress: serve, then run one task of rank 0's own, or (nothing to run here) wait
   * for the next message: blocking, or until `deadline` (performance.now() ms). Returns false when
   * every task has its final result.
   */
  step(deadline?: number): boolean {
    if (performance.now() - this.lastServe >= SERVE_EVERY_MS || this.queued() === 0) this.serve();
    if (this.unfinished === 0) return false;
    const t = this.takeOne(0, null);
    if (t !== null) { this.runLocal(t); return true; }
    if (deadline === undefined) {
      this.comm.probe(ANY_SOURCE, TAG_RESULTS, this.status);
    } else {
      const nap = new Int32Array(new SharedArrayBuffer(4));
      while (performance.now() < deadline && !this.comm.iprobe(ANY_SOURCE, TAG_RESULTS)) Atomics.wait(nap, 0, 0, 1);
    }
    return true;
  }

  /** Ends the call on every other rank (END with the summary, then each one's DONE); leaves nothing in flight. */
  finish(): void {
    this.summary.seconds = (performance.now() - this.started) / 1000;
    for (let r = 1; r < this.comm.size; r++) this.comm.send(this.summary, r, TAG_END);
    for (let r = 1; r < this.comm.size; r++) {
      for (;;) {
        this.comm.probe(r, ANY_TAG, this.status);
        const tag = this.status.tag;
        this.comm.recv(r, tag);
        if (tag === TAG_DONE) break;
      }
    }
    for (const s of this.sends) s.wait();
    this.sends = [];
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
