/**
 * Output: what a worker rank holds to write dumps, series and checkpoints, restart, and close.
 * startOutput returns one; two kinds share this API: with helper ranks (HelperOutput, writes
 * travel to the helpers and the worker goes on) and without (DirectOutput, rank 0 gathers and
 * writes while the others wait). A deck runs unchanged with either.
 */
import type { Comm } from '../comm/comm.js';
import type { TypedArray } from '../comm/collectives.js';
import { Op } from '../comm/ops.js';
import { ArgumentError, describe } from '../errors.js';
import type { DistributedArray } from '../../decomposition/index.js';
import { publishMetrics } from '../steer/publish.js';
import { checkFields } from './blocks.js';
import { checkState, readCheckpoint, restartFile, type Restorable } from './checkpoint.js';
import type { DumpInfo, LoopState } from './dumpFile.js';
import { OutputStateError } from './errors.js';
import { releaseLock } from './lock.js';
import { checkInfo, mergeInfo, type CheckedOptions } from './options.js';
import type { WriterStats } from './writer.js';

/** The figures of a run's output, as close() returns and prints them. */
export interface OutputReport {
  /** Files written whole (dumps, checkpoints) and their bytes. */
  files: number;
  bytes: number;
  /** Time series appended to (one file each, not in `files` or `bytes`). */
  series: number;
  /** Helper ranks (0: rank 0 of the workers wrote). */
  helpers: number;
  /** Write throughput of the writing ranks (HDF5, fsync, rename), MB/s. */
  writeMBps: number;
  /** Files archived. */
  archived: number;
  /** Dumps and checkpoints written by the workers. */
  dumps: number;
  /** Milliseconds a worker spent per dump inside write() and checkpoint() (slowest worker). */
  perDumpMs: number;
  /**
   * CPU milliseconds per dump inside write() and checkpoint() (slowest worker; the process's
   * user + system time, so its other threads count too): perDumpMs without the time the process
   * waited for a core, or slept (in a gather, in fsync).
   */
  perDumpCpuMs: number;
  /** Milliseconds the slowest worker waited in all for buffer space (back-pressure), and its longest wait. */
  waitedMs: number;
  maxWaitMs: number;
  /** Milliseconds close() waited for the writers to finish. */
  closeMs: number;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** A loop to checkpoint (steer's Simulation), or its state itself. */
export type Checkpointable = Pick<Restorable, 'state'> | LoopState;

/** The output service as the workers see it. */
export abstract class Output {
  /** Dumps and checkpoints submitted, bytes of blocks sent, time spent in write(), waits. */
  protected dumps = 0;
  protected callMs = 0;
  protected callCpuMs = 0;
  protected waitMs = 0;
  protected maxWaitMs = 0;
  protected lastStep = 0;
  protected written = 0;
  private prepareMs = 0;
  private closed = false;
  private readonly registered = new Map<string, DistributedArray<TypedArray>>();
  private readonly seriesColumns = new Map<string, string>();

  /** @internal Use startOutput. */
  constructor(
    /** The workers' communicator: build the simulation's grids on it. */
    readonly comm: Comm,
    /** @internal */
    protected readonly options: CheckedOptions) {}

  /** Helper ranks serving this output (0 when rank 0 of the workers writes). */
  get helpers(): number {
    return this.options.helpers;
  }

  /** The output directory (absolute). */
  get dir(): string {
    return this.options.dir;
  }

  /**
   * Writes `fields` (named DistributedArrays on grids of `comm`) as one HDF5 file
   * `dir/NAME_STEP.h5` with the attributes of `info`. Collective over the workers (all call it in
   * the same order). With helpers it returns as soon as this rank's blocks are copied out
   * (waiting only when its buffer space is used up); without, rank 0 gathers and writes while
   * the others wait. Throws ArgumentError for bad arguments, OutputStateError after close(),
   * and the typed IoError of an earlier write that failed (DiskFullError, NotWritableError...).
   */
  write(name: string, step: number, fields: Record<string, DistributedArray<TypedArray>>, info: DumpInfo = {}): void {
    this.checkOpen('write');
    this.checkName(name, 'write');
    this.checkStep(step, 'write');
    const list = checkFields(fields, 'write');
    const merged = mergeInfo(this.options.info, checkInfo(info, 'write: info'));
    this.timed(() => this.submit('dump', name, step, list, merged, undefined));
    this.lastStep = Math.max(this.lastStep, step);
  }

  /**
   * Sets up, before the loop, the memory that writes of `fields` will need, so that the first
   * dumps do not pay for it: fresh memory is slow to fault in (tens to hundreds of ms per dump
   * of a 2048² field on some VMs). With helpers, each worker makes its send buffers and every
   * helper its assembly buffers and HDF5's heap; without, rank 0 makes HDF5's heap ready.
   * Optional: without it the first writes do the same. Collective over the workers, blocking
   * (waits until the helpers are ready). Throws ArgumentError for bad fields, OutputStateError
   * after close(), and the typed IoError of an earlier write that failed.
   */
  prepare(fields: Record<string, DistributedArray<TypedArray>>): void {
    this.checkOpen('prepare');
    const list = checkFields(fields, 'prepare');
    const t0 = performance.now();
    this.reserve(list);
    this.prepareMs += performance.now() - t0;
  }

  /** Milliseconds this worker spent in prepare(). */
  get preparedMs(): number {
    return this.prepareMs;
  }

  /** Registers the arrays a checkpoint holds and a restart fills, by name (as { u, v }). Local; may be called again to add more. */
  register(arrays: Record<string, DistributedArray<TypedArray>>): void {
    for (const [name, a] of checkFields(arrays, 'register')) this.registered.set(name, a);
  }

  /**
   * Writes a checkpoint `dir/checkpoint_STEP.h5`: every registered array and the loop's state
   * (step, time, dt, parameters) from `loop.state` (steer's Simulation) or a state object.
   * Collective over the workers; nonblocking with helpers, as write(). Throws ArgumentError
   * for a bad state, OutputStateError when no array is registered.
   */
  checkpoint(loop: Checkpointable, info: DumpInfo = {}): void {
    this.checkOpen('checkpoint');
    if (this.registered.size === 0) throw new OutputStateError('checkpoint: no array is registered; call output.register({ u, ... }) with the arrays a restart needs first');
    const raw = typeof loop === 'object' && loop !== null && 'state' in loop ? (loop as Pick<Restorable, 'state'>).state : loop;
    const state = checkState(raw, 'checkpoint');
    const merged = mergeInfo(this.options.info, checkInfo(info, 'checkpoint: info'));
    this.timed(() => this.submit('checkpoint', 'checkpoint', state.step, [...this.registered], { ...merged, time: state.time, ...(state.params ? { params: state.params } : {}) }, state));
    this.lastStep = Math.max(this.lastStep, state.step);
  }

  /**
   * Restarts from checkpoint `file` (default: SIMDECK_RESTART, which `--restart FILE` sets):
   * fills the registered arrays, each rank its own block, and returns the saved state, also
   * handed to `loop.restore(state)` when a loop is given; resolves to null when there is no
   * file to restart from. Collective over the workers; async. Throws MissingFileError,
   * FileFormatError or CheckpointMismatchError saying what to change.
   */
  async restart(file: string | null = restartFile(), loop?: Pick<Restorable, 'restore'>): Promise<LoopState | null> {
    this.checkOpen('restart');
    if (file === null || file === undefined) return null;
    if (this.registered.size === 0) throw new OutputStateError('restart: no array is registered; call output.register({ u, ... }) first, with the names the checkpoint used');
    return readCheckpoint(file, Object.fromEntries(this.registered), loop);
  }

  /**
   * Appends one row to the time series `dir/NAME.h5` (a dataset per quantity along an
   * unlimited dimension, and `step`). Call it on every worker with the same values (global
   * diagnostics); worker 0's are recorded. Nonblocking. Throws ArgumentError for bad values or
   * quantities that differ from the series' first row.
   */
  series(name: string, step: number, values: Record<string, number>): void {
    this.checkOpen('series');
    this.checkName(name, 'series');
    this.checkStep(step, 'series');
    if (typeof values !== 'object' || values === null || Array.isArray(values) || Object.keys(values).length === 0) {
      throw new ArgumentError(`series: values must be an object of named numbers, as { energy: e }, got ${describe(values)}`);
    }
    for (const [k, v] of Object.entries(values)) {
      if (typeof v !== 'number') throw new ArgumentError(`series: '${k}' must be a number, got ${describe(v)}`);
      if (!NAME.test(k) || k === 'step') throw new ArgumentError(`series: quantity name '${k}' must hold only letters, digits, _, . and - (and not be 'step')`);
    }
    const cols = Object.keys(values).join(',');
    const known = this.seriesColumns.get(name);
    if (known !== undefined && known !== cols) throw new ArgumentError(`series '${name}': this row has ${cols} but the series has ${known}; every row needs the same quantities`);
    this.seriesColumns.set(name, cols);
    if (this.comm.rank === 0) this.submitSeries(name, { step, values: { ...values } });
  }

  /**
   * Blocks until every dump written so far is complete on disk (and archived). Collective-free:
   * each worker waits for its own. Throws the typed IoError of a failed write.
   */
  flush(): void {
    this.checkOpen('flush');
    this.drain();
  }

  /**
   * Ends the output: waits until every file is written and archived, lets the helpers end,
   * prints the report on worker 0 (unless `report: false`) and returns it. Collective over the
   * workers, blocking. Throws the typed IoError of a failed write.
   */
  close(): OutputReport {
    this.checkOpen('close');
    this.closed = true;
    const t0 = performance.now();
    const stats = this.finish();
    const closeMs = performance.now() - t0;
    const perDump = (ms: number) => (this.dumps > 0 ? ms / this.dumps : 0);
    const mine = new Float64Array([perDump(this.callMs), this.waitMs, this.maxWaitMs, closeMs, perDump(this.callCpuMs)]);
    const worst = this.comm.allreduce(mine, Op.MAX) as Float64Array;
    const report: OutputReport = {
      files: stats.files, bytes: stats.bytes, series: this.seriesColumns.size, helpers: this.helpers,
      writeMBps: stats.writeMs > 0 ? stats.bytes / 1e6 / (stats.writeMs / 1000) : 0,
      archived: stats.archived, dumps: this.dumps,
      perDumpMs: worst[0], waitedMs: worst[1], maxWaitMs: worst[2], closeMs: worst[3], perDumpCpuMs: worst[4],
    };
    if (this.comm.rank === 0) {
      releaseLock(this.dir);
      this.publish(report);
      if (this.options.report) process.stdout.write(formatReport(report, this.options.shownDir) + '\n');
    }
    return report;
  }

  /** Whether close() has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  // ------------------------------------------------------------ for the two kinds

  /** Sends or writes one dump. */
  protected abstract submit(kind: 'dump' | 'checkpoint', name: string, step: number, fields: [string, DistributedArray<TypedArray>][], info: DumpInfo, state: LoopState | undefined): void;
  /** Makes the buffers (and HDF5's heap) that writes of `fields` need. */
  protected abstract reserve(fields: [string, DistributedArray<TypedArray>][]): void;
  /** Sends or queues one series row (worker 0 only). */
  protected abstract submitSeries(name: string, row: { step: number; values: Record<string, number> }): void;
  /** Waits until everything submitted is on disk. */
  protected abstract drain(): void;
  /** Ends the writers; returns their figures summed (the same on every worker). */
  protected abstract finish(): WriterStats;

  /** Publishes the output panel of the dashboard (worker 0). */
  protected publish(r?: OutputReport): void {
    if (this.comm.rank !== 0) return;
    publishMetrics({
      panel: 'output',
      values: {
        helpers: this.helpers, dumps: this.dumps, 'files written': r?.files ?? this.written,
        'ms per dump (worker)': round(this.dumps > 0 ? this.callMs / this.dumps : 0),
        'waited for buffer ms': round(this.waitMs), 'longest wait ms': round(this.maxWaitMs),
        ...(r ? { 'write MB/s': round(r.writeMBps), 'close ms': round(r.closeMs) } : {}),
      },
    });
  }

  private timed(fn: () => void): void {
    const t0 = performance.now(), c0 = process.cpuUsage();
    fn();
    this.callMs += performance.now() - t0;
    const c = process.cpuUsage(c0);
    this.callCpuMs += (c.user + c.system) / 1000;
    this.dumps++;
    this.publish();
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new OutputStateError(`${what}: the output is closed; call it before output.close()`);
  }

  private checkName(name: unknown, what: string): void {
    if (typeof name !== 'string' || !NAME.test(name)) throw new ArgumentError(`${what}: name must be a file-name stem of letters, digits, _, . and - (as 'fields'), got ${describe(name)}`);
  }

  private checkStep(step: unknown, what: string): void {
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new ArgumentError(`${what}: step must be a non-negative integer, got ${describe(step)}`);
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The report line: `output: 12 files (384.0 MB) and 1 series in out/ by 1 helper at 45.6 MB/s; ...`. */
export function formatReport(r: OutputReport, dir: string): string {
  const who = r.helpers === 0 ? 'rank 0' : `${r.helpers} helper${r.helpers > 1 ? 's' : ''}`;
  const size = r.bytes >= 1e6 ? `${(r.bytes / 1e6).toFixed(1)} MB` : `${(r.bytes / 1e3).toFixed(1)} kB`;
  const series = r.series > 0 ? ` and ${r.series} series` : '';
  return `output: ${r.files} files (${size})${series} in ${dir} by ${who} at ${r.writeMBps.toFixed(1)} MB/s` +
    `${r.archived > 0 ? `, ${r.archived} archived` : ''}; workers spent ${r.perDumpMs.toFixed(2)} ms per dump, ` +
    `waited ${r.waitedMs.toFixed(1)} ms for buffer space (longest ${r.maxWaitMs.toFixed(1)} ms) and ${r.closeMs.toFixed(1)} ms at close`;
}
