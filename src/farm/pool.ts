/**
 * Pool: a task farm over a communicator. Rank 0 schedules and works too; the other ranks ask it
 * for work. `map`, `outcomes` and `imap` are collective (every rank calls them with the same
 * function; items are read on rank 0); `serve` lets rank 0 `submit` tasks one by one while the
 * other ranks serve.
 */
import type { Comm } from '../comm/comm.js';
import { ArgumentError, describe } from '../errors.js';
import { getWorld } from '../runtime/world.js';
import { isIsolatedChild, serveAsChild } from './child.js';
import { FarmUsageError, RemoteTaskError, TaskFailedError } from './errors.js';
import { helperStarted, theHelper } from './helper.js';
import type { TaskContext } from './execute.js';
import { readJournal, Journal } from './journal.js';
import { checkSeconds } from './options.js';
import { CAUSES, retryPolicy, type Outcome, type Summary } from './outcome.js';
import { defaultProgressMode, Progress, type ProgressMode } from './progress.js';
import { keyFor } from './registry.js';
import { Scheduler, type TaskGroup } from './scheduler.js';
import { serveCall } from './worker.js';

/** Options of a farm call (map, outcomes, imap) and of submit. */
export interface TaskOptions {
  /** Time limit of one attempt, in seconds. An isolated task (or a command) is killed at once; a task in the rank's own process is judged when it returns. */
  timeout?: number;
  /** Seconds between SIGTERM and SIGKILL when an isolated task passes its limit (default 2). */
  grace?: number;
  /** Retries per cause (`{ crash: 2, timeout: 1 }`), or one number for every cause. Each retry goes to another rank while one has not tried. Default none. */
  retries?: number | Partial<Record<'error' | 'timeout' | 'crash' | 'exit', number>>;
  /** Run each task in a child process of the rank, so a segfault kills only the child (status `crash`). The function must be registered with task() before the first Pool. */
  isolate?: boolean;
}

/** Options of map, outcomes and imap. */
export interface MapOptions<T> extends TaskOptions {
  /** Journal file (JSON lines, one final result per task id), written by rank 0. */
  journal?: string;
  /** With a journal: skip tasks it already has a final result for (`true`), or only those that ended ok (`'failed'` runs the failures again). */
  resume?: boolean | 'failed';
  /** The task id kept in the journal (default: the item's index as a string). Must be unique. */
  id?: (item: T, index: number) => string;
  /** How progress is shown on rank 0 (default: a bar on a terminal, else a line every 10 s; always a summary). */
  progress?: boolean | ProgressMode;
  /** Name on progress lines and the dashboard panel (default 'farm'). */
  label?: string;
  /** Tasks per batch; default adaptive (about 20 ms of work per batch). */
  batch?: number;
}

/** Options of imap. */
export interface IMapOptions<T> extends MapOptions<T> {
  /** Yield in input order (each result as soon as those before it are in) instead of completion order. */
  ordered?: boolean;
}

/** A task function for map: gets the item and the task's context. */
export type ItemFunction<T, R> = (item: T, ctx: TaskContext) => R;

let sharedVersions = 0;

/** A task farm over a communicator (default: world). */
export class Pool {
  /** The pool's own communicator (a dup of the one given). */
  readonly comm: Comm;
  private sharedValue: unknown = undefined;
  private sharedVersion = ++sharedVersions;
  private active: Scheduler | null = null;
  private submitGroups = new Map<string, TaskGroup>();
  private submitted = 0;
  private lastSummary: Summary | null = null;

  /**
   * Collective over `comm`: makes a pool; `shared` (read on rank 0) is sent to every rank once.
   * In an isolated child process this is where the child starts serving tasks (it never returns).
   * Throws ArgumentError for a bad communicator.
   */
  constructor(comm?: Comm, options: { shared?: unknown } = {}) {
    if (isIsolatedChild()) serveAsChild();
    const base = comm ?? getWorld();
    if (base === null || typeof base !== 'object' || typeof (base as Comm).dup !== 'function') {
      throw new ArgumentError(`Pool: expected a communicator (world, or one made by split/slice), got ${describe(base)}`);
    }
    if (typeof options !== 'object' || options === null) throw new ArgumentError(`Pool: options must be an object, got ${describe(options)}`);
    this.comm = base.dup();
    if ('shared' in options) this.share(options.shared);
  }

  /** This rank in the pool, and the number of ranks (each one works). */
  get rank(): number { return this.comm.rank; }
  get size(): number { return this.comm.size; }

  /** Collective: sends rank 0's `value` to every rank once; tasks read it as `ctx.shared` (read-only: changes stay local). */
  share(value: unknown): void {
    this.sharedValue = this.comm.bcast(value, 0);
    this.sharedVersion = ++sharedVersions;
  }

  /** The shared data on this rank (see share). */
  get shared(): unknown {
    return this.sharedValue;
  }

  /** The summary of the last farm call (every rank gets rank 0's; null before the first). */
  get summary(): Summary | null {
    return this.lastSummary;
  }

  private sharedNow = () => ({ value: this.sharedValue, version: this.sharedVersion });

  private group(key: string, mode: 'item' | 'args', o: TaskOptions, what: string, batch = 0): TaskGroup {
    if (typeof o !== 'object' || o === null) throw new ArgumentError(`${what}: options must be an object, got ${describe(o)}`);
    const timeout = checkSeconds(o.timeout, `${what}: timeout`);
    const grace = checkSeconds(o.grace, `${what}: grace`) ?? 2;
    if (o.isolate !== undefined && typeof o.isolate !== 'boolean') throw new ArgumentError(`${what}: isolate must be true or false, got ${describe(o.isolate)}`);
    if (!Number.isInteger(batch) || batch < 0) throw new ArgumentError(`${what}: batch must be a positive whole number of tasks, got ${describe(batch)}`);
    return {
      key, mode, isolate: o.isolate === true, timeoutMs: timeout === undefined ? 0 : timeout * 1000, graceMs: grace * 1000,
      retries: retryPolicy(o.retries, what), batch,
    };
  }

  private checkIdle(what: string): void {
    if (this.active !== null) throw new FarmUsageError(`${what}: a farm call is already running on this pool; farm calls do not nest (use submit inside serve)`);
  }

  /**
   * Collective: runs `fn(item, ctx)` for every item (read on rank 0) over the pool's ranks; returns
   * the results in input order on rank 0, null on the others. Blocks until every task has its
   * final result. Throws TaskFailedError on every rank (after the call) when tasks failed after
   * their retries (on rank 0 with every outcome); ArgumentError for bad options; FarmFunctionError
   * (rank 0) when a rank cannot find `fn`.
   */
  map<T, R>(fn: ItemFunction<T, R>, items: readonly T[] | Iterable<T> | null, options: MapOptions<T> = {}): R[] | null {
    const outcomes = this.outcomes(fn, items, options);
    const s = this.lastSummary!;
    if (outcomes === null) {
      // The other ranks learn the summary from rank 0, so every rank throws together.
      const failures = s.total - s.ok;
      if (failures > 0) throw new TaskFailedError(`map: ${failures} of ${s.total} tasks failed (${CAUSES.filter((c) => s[c] > 0).map((c) => `${s[c]} ${c}`).join(', ')}); rank 0's exception has the details`, [], s);
      return null;
    }
    const failed = outcomes.filter((o) => o.status !== 'ok');
    if (failed.length > 0) {
      const first = failed[0];
      throw new TaskFailedError(
        `map: ${failed.length} of ${outcomes.length} tasks failed (${CAUSES.filter((c) => s[c] > 0).map((c) => `${s[c]} ${c}`).join(', ')}); ` +
        `first: task ${first.id} (${first.status}): ${first.error?.message ?? ''}\n${first.error?.stack ?? ''}\n` +
        '(use pool.outcomes() to get every result with its status instead of an exception)', outcomes, s);
    }
    return outcomes.map((o) => o.value as R);
  }

  /**
   * Collective: like map, but returns every task's Outcome (status, value or remote error,
   * attempts) in input order on rank 0, null elsewhere; failures do not throw.
   */
  outcomes<T, R>(fn: ItemFunction<T, R>, items: readonly T[] | Iterable<T> | null, options: MapOptions<T> = {}): Outcome<R>[] | null {
    // Rank 0: a packed array of the right length (filling holes out of order would make V8 slow).
    const list = this.rank === 0 && items !== null && items !== undefined && !Array.isArray(items) && typeof (items as Iterable<T>)[Symbol.iterator] === 'function'
      ? Array.from(items as Iterable<T>) : items;
    const results: (Outcome<R> | null)[] = this.rank === 0 && Array.isArray(list) ? new Array<Outcome<R> | null>(list.length).fill(null) : [];
    for (const o of this.imap(fn, list, { ...options, ordered: false })) results[o.index] = o;
    return this.rank === 0 ? results as Outcome<R>[] : null;
  }

  /**
   * Collective generator: yields each task's Outcome on rank 0 as it completes (in input order
   * with `ordered: true`, each as soon as those before it are in); yields nothing elsewhere, but
   * every rank must iterate it. Leaving the loop early on rank 0 cancels the tasks not started.
   */
  *imap<T, R>(fn: ItemFunction<T, R>, items: readonly T[] | Iterable<T> | null, options: IMapOptions<T> = {}): Generator<Outcome<R>, void, undefined> {
    const what = 'map';
    this.checkIdle(what);
    const key = keyFor(fn, what, true);
    const group = this.group(key, 'item', options, what, options.batch ?? 0);
    if (options.resume !== undefined && options.resume !== false && typeof options.journal !== 'string') {
      throw new ArgumentError(`${what}: resume needs a journal: pass journal: 'path/to/journal.jsonl'`);
    }
    if (options.journal !== undefined && (typeof options.journal !== 'string' || options.journal === '')) {
      throw new ArgumentError(`${what}: journal must be a file path, got ${describe(options.journal)}`);
    }
    if (options.id !== undefined && typeof options.id !== 'function') throw new ArgumentError(`${what}: id must be a function (item, index) => string, got ${describe(options.id)}`);
    const progressMode = progressOption(options.progress, what);

    if (this.rank !== 0) {
      this.active = {} as Scheduler;
      try { this.lastSummary = serveCall(this.comm, this.sharedNow); } finally { this.active = null; }
      return;
    }
    if (items === null || items === undefined || typeof (items as Iterable<T>)[Symbol.iterator] !== 'function') {
      throw new ArgumentError(`${what}: items must be an array (or iterable) on rank 0, got ${describe(items)}`);
    }
    const list = Array.isArray(items) ? items as readonly T[] : Array.from(items as Iterable<T>);
    const ids = list.map((item, i) => {
      if (options.id === undefined) return String(i);
      const id = options.id(item, i);
      if (typeof id !== 'string' || id === '') throw new ArgumentError(`${what}: id(item, ${i}) must return a non-empty string, got ${describe(id)}`);
      return id;
    });
    if (options.id !== undefined) {
      const seen = new Set<string>();
      for (const id of ids) { if (seen.has(id)) throw new ArgumentError(`${what}: id ${JSON.stringify(id)} is given to two items; ids must be unique`); seen.add(id); }
    }
    const earlier = options.journal !== undefined && options.resume ? readJournal(options.journal) : new Map();
    const journal = options.journal !== undefined ? new Journal(options.journal) : null;

    const ordered = options.ordered === true;
    const ready: Outcome<R>[] = [];
    const byIndex: (Outcome<R> | undefined)[] = ordered ? new Array(list.length) : [];
    let nextOrdered = 0;
    const progress = new Progress(list.length, progressMode, options.label ?? 'farm');
    const sched: Scheduler = new Scheduler(this.comm, this.sharedNow, (o) => {
      journal?.append(o);
      if (ordered) byIndex[o.index] = o as Outcome<R>; else ready.push(o as Outcome<R>);
      progress.update(sched.summary);
    });
    this.active = sched;
    let finished = false;
    let failed = false;
    try {
      list.forEach((item, i) => {
        const rec = earlier.get(ids[i]);
        if (rec !== undefined && (options.resume === true || rec.status === 'ok')) {
          const o: Outcome<R> = { index: i, id: ids[i], status: rec.status, attempts: rec.attempts, resumed: true };
          if (rec.value !== undefined) o.value = rec.value as R;
          if (rec.error !== undefined) o.error = rec.error;
          sched.addResumed(o);
          if (ordered) byIndex[i] = o; else ready.push(o);
        } else {
          sched.add(group, i, ids[i], options.id !== undefined, item);
        }
      });
      const drain = function* (): Generator<Outcome<R>> {
        if (ordered) {
          while (nextOrdered < list.length && byIndex[nextOrdered] !== undefined) {
            const o = byIndex[nextOrdered]!;
            byIndex[nextOrdered++] = undefined;
            yield o;
          }
        } else {
          while (ready.length > 0) yield ready.shift()!;
        }
      };
      yield* drain();
      while (sched.step()) {
        journal?.tick();
        yield* drain();
      }
      yield* drain();
      finished = true;
    } catch (e) {
      // Rank 0 fails (a FarmFunctionError, a journal that cannot be written): the other ranks stay
      // in the call, so they do not run on past it; fail-fast ends the job.
      failed = true;
      throw e;
    } finally {
      if (failed) {
        journal?.close();
        this.active = null;
      } else if (!finished) {
        // Left early (break, or an error): cancel what has not started, let the rest finish.
        sched.cancelQueued();
        try { while (sched.step()) journal?.tick(); } catch { /* the original error wins */ }
      }
      if (!failed) {
        sched.finish();
        journal?.close();
        this.active = null;
        this.lastSummary = sched.summary;
        progress.end(sched.summary); // prints nothing when off, still publishes
      }
    }
  }

  /**
   * Collective: on rank 0 runs `body`, in which `submit` hands tasks to the pool; the other ranks
   * serve until rank 0's body returns and every submitted task has its final result. Blocks.
   */
  serve(body: () => void, options: { progress?: boolean | ProgressMode; label?: string } = {}): void {
    const what = 'serve';
    this.checkIdle(what);
    if (typeof body !== 'function') throw new ArgumentError(`${what}: expected a function to run on rank 0, got ${describe(body)}`);
    const progressMode = progressOption(options.progress, what);
    if (this.rank !== 0) {
      this.active = {} as Scheduler;
      try { this.lastSummary = serveCall(this.comm, this.sharedNow); } finally { this.active = null; }
      return;
    }
    const progress = new Progress(0, progressMode === 'bar' ? 'bar' : progressMode === 'lines' ? 'lines' : progressMode, options.label ?? 'farm');
    const handles = new Map<number, TaskHandle<unknown>>();
    const sched: Scheduler = new Scheduler(this.comm, this.sharedNow, (o) => {
      handles.get(o.index)?.settle(o);
      progress.update(sched.summary);
    });
    this.active = sched;
    this.handles = handles;
    try {
      body();
      while (sched.step()) { /* finish what was submitted */ }
    } catch (e) {
      // As in imap: the other ranks stay in the call while fail-fast ends the job.
      this.active = null;
      this.handles = null;
      throw e;
    }
    sched.finish();
    this.active = null;
    this.handles = null;
    this.lastSummary = sched.summary;
    progress.end(sched.summary);
  }

  private handles: Map<number, TaskHandle<unknown>> | null = null;

  /**
   * Rank 0, inside serve: hands `fn(...args)` to the pool and returns a handle at once. `fn` must
   * be registered with task() at the top level of the deck. Throws FarmUsageError outside serve,
   * FarmFunctionError for an unregistered function.
   */
  submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): TaskHandle<R> {
    return this.submitWith(fn, args, {});
  }

  /** As submit, with options (timeout, retries, isolate) for this task. */
  submitWith<A extends unknown[], R>(fn: (...args: A) => R, args: A, options: TaskOptions): TaskHandle<R> {
    const what = 'submit';
    const sched = this.active;
    if (sched === null || this.handles === null || this.rank !== 0) {
      throw new FarmUsageError(`${what}: call it on rank 0 inside pool.serve(() => { ... }), while the other ranks serve`);
    }
    if (!Array.isArray(args)) throw new ArgumentError(`${what}: args must be an array, got ${describe(args)}`);
    const key = keyFor(fn, what, false);
    const signature = `${key}|${JSON.stringify(options)}`;
    let group = this.submitGroups.get(signature);
    if (group === undefined) { group = this.group(key, 'args', options, what); this.submitGroups.set(signature, group); }
    const index = this.submitted++;
    const handle = new TaskHandle<R>(sched, index);
    this.handles.set(index, handle as TaskHandle<unknown>);
    const seq = sched.add(group, index, String(index), false, args);
    handle.seq = seq;
    sched.serve();
    return handle;
  }

  /** Collective: stops this rank's isolated child, if any, and frees the pool's communicator. */
  close(): void {
    this.checkIdle('close');
    if (helperStarted()) theHelper().wait(theHelper().post({ op: 'stop' }));
    this.comm.barrier();
    this.comm.free();
  }

  /** `Pool(rank 0 of 4)`. */
  toString(): string {
    return `Pool(rank ${this.rank} of ${this.size})`;
  }
}

/** The handle of a submitted task (pp's job, ipyparallel's AsyncResult). */
export class TaskHandle<R> {
  private result: Outcome<R> | null = null;
  /** @internal */
  seq = -1;

  /** @internal */
  constructor(private readonly sched: Scheduler, readonly index: number) {}

  /** @internal */
  settle(o: Outcome): void {
    this.result = o as Outcome<R>;
  }

  /** Non-blocking: serves the other ranks once and tells whether the task has its final result. */
  ready(): boolean {
    if (this.result === null) this.sched.serve();
    return this.result !== null;
  }

  /**
   * Blocks until the task has its final result, or `timeout` seconds pass; rank 0 works on tasks
   * meanwhile. Returns whether it is ready.
   */
  wait(timeout?: number): boolean {
    const limit = checkSeconds(timeout, 'wait: timeout');
    const deadline = limit === undefined ? undefined : performance.now() + limit * 1000;
    while (this.result === null) {
      if (deadline !== undefined && performance.now() >= deadline) break;
      if (!this.sched.step(deadline)) break;
    }
    return this.result !== null;
  }

  /** Blocks until the final result and returns the value; throws RemoteTaskError (with the remote stack) if the task failed. */
  get(): R {
    this.wait();
    const o = this.result!;
    if (o.status !== 'ok') {
      throw new RemoteTaskError(`task ${o.id} ended with ${o.status}: ${o.error?.message ?? ''}\n${o.error?.stack ?? ''}`, o as Outcome);
    }
    return o.value as R;
  }

  /** The final Outcome (null until ready). */
  get outcome(): Outcome<R> | null {
    return this.result;
  }
}

function progressOption(p: unknown, what: string): ProgressMode {
  if (p === undefined || p === true) return defaultProgressMode();
  if (p === false) return 'off';
  if (p === 'bar' || p === 'lines' || p === 'summary' || p === 'off') return p;
  throw new ArgumentError(`${what}: progress must be true, false, 'bar', 'lines', 'summary' or 'off', got ${describe(p)}`);
}

