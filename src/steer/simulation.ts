/**
 * The simulation loop: step, time, dt and wall time; `run(body)` until a stop criterion holds;
 * hooks at cadences in steps, simulation time or wall time; a time step from a global reduction;
 * steerable parameters changed at step boundaries, on every rank at the same step; a command log
 * that replays bit for bit; phase timers gathered across ranks.
 *
 * How ranks agree. Everything a rank can decide alone (step counts, simulation time, cadences in
 * steps and time) it decides alone: the loop sends nothing for it. What only rank 0 knows (its
 * wall clock, steering commands) travels in one small control vector at *agreement points*:
 * every step when a collective runs each step anyway (a `timestep` reduction or a `stop.when`
 * predicate: the control rides in the same allreduce), otherwise at steps rank 0 schedules a few
 * milliseconds apart (a nonblocking bcast of 7 doubles, read at the next step). Commands follow in a second bcast only when there
 * are some. So an idle steered loop reads no clock per step and sends one small message per 10 ms.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Comm } from '../comm/comm.js';
import type { Request } from '../comm/request.js';
import { Op } from '../comm/ops.js';
import { ArgumentError, describe } from '../errors.js';
import { type Cadence, type Hook, dueTime, parseCadence } from './cadence.js';
import { checkCommand } from './commands.js';
import { CommandLog, type LogEntry, readCommandLog } from './commandLog.js';
import { formatSeconds, parseDuration, roundTime } from './duration.js';
import { evaluate, type EvalAnswer } from './evaluate.js';
import type { ParamDescription, SteerReply, SteerRequest, SteerStatus, SteeringLink, TimerSummary } from './link.js';
import { steeringRequested, startupLink } from './openLink.js';
import { type ParamSchema, type ParamValue, type ParamValues, checkValue, describeParams, initialValues } from './params.js';
import { ParameterError, ReplayError, SteeringUnavailableError } from './errors.js';
import { type NativeLoopHost, runNativeLoop } from './nativeLoop.js';
import { StatusLine, formatStatus } from './statusLine.js';
import { PhaseTimers, formatTimers } from './timers.js';
import { TimestepRule, type TimestepOptions } from './timestep.js';

/** When the loop stops: the first criterion that holds. */
export interface StopCriteria<S = Simulation> {
  /** Stop after this many steps (counted from step 0, so a restored run stops at the same step). */
  steps?: number;
  /** Stop when the simulation time reaches this value (the last step is shortened to land on it). */
  time?: number;
  /** Wall-clock budget: seconds, or a duration like '2h', '15m', '1h30m' (rank 0's clock). */
  wall?: number | string;
  /** Stop when this returns true on any rank (evaluated on every rank after each step). */
  when?: (s: S) => boolean;
}

/** Options of the {@link Simulation} constructor. */
export interface SimulationOptions<P extends ParamSchema = ParamSchema> {
  /** Steerable parameters: name → { value, min, max, unit, choices, description } (or just a value). */
  params?: P;
  stop?: StopCriteria<Simulation<P>>;
  /** A fixed time step (when `timestep()` is not used). */
  dt?: number;
  /** Simulation time at step 0 (default 0). */
  time?: number;
  /**
   * Steering: a SteeringLink (on rank 0; other ranks pass true), true to use the server opened by
   * `simdeck run --steer`, false for none. Default: on when SIMDECK_STEER=1.
   */
  steer?: boolean | SteeringLink;
  /** Replay this command log (default: $SIMDECK_REPLAY, set by `simdeck run --replay LOG`). */
  replay?: string;
  /**
   * Where rank 0 writes the command log when steering is on: a file, or a directory (existing, or
   * ending in '/') for `steer-<date>-<pid>.jsonl`; false: none. Default: $SIMDECK_STEER_LOG
   * (`simdeck run --steer-log PATH`), else that file name in the working directory.
   */
  log?: string | false;
  /** Live status line on rank 0: true, or the seconds between lines when not on a terminal (default false). */
  status?: boolean | number;
  /** Print the end-of-run summary and timer table on rank 0 (default true). */
  report?: boolean;
  /**
   * Seconds between agreement points when no collective runs every step (default 0.01). Rank 0
   * posts its control without waiting and the others read it at the next step, so a command
   * applies one step after an agreement point; with 0 every step is an agreement point, and it
   * blocks: a command applies at the boundary right after it arrives.
   */
  syncInterval?: number;
}

/** What `onChange` hooks receive. */
export interface ParamChange {
  name: string;
  value: ParamValue;
  previous: ParamValue;
  seq: number;
  step: number;
  time: number;
  source: string;
}

/** The loop's state for a checkpoint: `sim.state` gives it, `sim.restore(state)` sets it. */
export interface SimulationState {
  step: number;
  time: number;
  dt: number;
  params: Record<string, ParamValue>;
}

/** Why the loop stopped. */
export type StopReason = 'steps' | 'time' | 'wall' | 'when' | 'steering' | 'solver';

/** Named points of the loop. */
export type LoopPoint = 'beforeStep' | 'afterStep' | 'stop';

/** A command rank 0 accepted, with the request id to reply to. */
type Accepted = { entry: LogEntry; id: number };

// control vector slots
const C_NEXT = 0, C_WALL = 1, C_FLAGS = 2, C_WALLHOOKS = 3, C_NCMD = 4, C_WHEN = 5, C_NEGDT = 6, C_LEN = 7;
const F_STOP_WALL = 1, F_TIMERS = 2;
/** Seconds between gathers of live timers across ranks while steered. */
const LIVE_TIMERS_SECONDS = 2;
/** Milliseconds between status publications (10 Hz). */
const STATUS_MS = 100;
/** Milliseconds a paused rank 0 sleeps per wait (the other ranks hear from it this often). */
const PAUSE_WAIT_MS = 500;

/**
 * A time-stepping loop run by every rank of `comm` together.
 * @example
 * const sim = new Simulation(world, { params: { alpha: { value: 0.1, min: 0, max: 0.25 } }, stop: { time: 5 } });
 * sim.timestep(() => 0.2 / u.max());
 * sim.every({ steps: 50 }, (s) => report(s));
 * sim.run((s) => advance(s.dt, s.params.alpha));
 */
export class Simulation<P extends ParamSchema = ParamSchema> {
  /** Steps completed. */
  step = 0;
  /** Simulation time. */
  time: number;
  /** The current step's dt (inside the body), or the last one's. */
  dt: number;
  /** Why the loop stopped (null while running or before). */
  stopReason: StopReason | null = null;
  /** Path of the command log rank 0 writes, or null. */
  readonly logPath: string | null = null;

  private paramValues: Readonly<Record<string, ParamValue>>;
  private readonly descriptions: ParamDescription[];
  private readonly byName: Map<string, ParamDescription>;
  private readonly stopSteps: number | null;
  private readonly stopTime: number | null;
  private readonly stopWall: number | null;
  private readonly when: ((s: Simulation<P>) => boolean) | null;
  private readonly fixedDt: number | null;
  private rule: TimestepRule | null = null;
  private naturalDt = 0;
  private readonly hooks: Hook<Simulation<P>>[] = [];
  private readonly points: Record<LoopPoint, { fn: (s: Simulation<P>) => void; slot: number }[]> = { beforeStep: [], afterStep: [], stop: [] };
  private readonly changeHooks: { name: string | null; fn: (c: ParamChange) => void }[] = [];
  private readonly checkpointHooks: ((s: Simulation<P>) => void)[] = [];
  private readonly exposed: Record<string, unknown> = {};
  readonly timers = new PhaseTimers();
  private readonly tStep: number;
  private readonly tSteer: number;
  /** Rank 0 of a steered run: the 'steer' timer (its own steering work, apart from waiting in 'sync'); -1 elsewhere. */
  private tWork = -1;
  /** Milliseconds of steering work in the current agreement point (rank 0). */
  private work = 0;
  private readonly tDt: number;

  // steering
  private readonly link: SteeringLink | null;
  private readonly fromStartup: boolean;
  private readonly steered: boolean;
  private readonly replayEntries: LogEntry[] | null;
  private replayNext = 0;
  private log: CommandLog | null = null;
  private seq = 0;
  private paused = false;
  private pauseAt = -1;
  private stopRequested: StopReason | null = null;
  private readonly ctl = new Float64Array(C_LEN);
  private nextSync = 0;
  private syncInterval: number;
  private perStep = false;
  private syncOn = false;
  private running = false;
  // rank 0 bookkeeping
  private t0 = 0;
  private lastSyncWall = 0;
  private lastSyncStep = 0;
  private lastPublish = -Infinity;
  private lastGather = 0;
  private liveTimers: TimerSummary[] = [];
  private rateSteps = 0;
  private rateWall = 0;
  private stepsPerSecond = 0;
  private status: StatusLine | null = null;
  private readonly options: SimulationOptions<P>;

  /**
   * Collective over `comm` (every rank constructs the Simulation with the same options). Rank 0
   * reads a replay log and tells the others; with steering on, rank 0 opens its command log.
   * Throws ArgumentError/ParameterError for bad options, ReplayError for an unreadable log,
   * SteeringUnavailableError when steering is asked for and no server could be opened.
   */
  constructor(readonly comm: Comm, options: SimulationOptions<P> = {}) {
    if (typeof comm !== 'object' || comm === null || typeof (comm as Comm).bcast !== 'function') {
      throw new ArgumentError(`Simulation needs a communicator (world, or a Comm made from it) as its first argument, got ${describe(comm)}`);
    }
    if (typeof options !== 'object' || options === null) throw new ArgumentError(`Simulation options must be an object, got ${describe(options)}`);
    this.options = options;
    this.descriptions = describeParams(options.params);
    this.byName = new Map(this.descriptions.map((d) => [d.name, d]));
    this.paramValues = initialValues(this.descriptions);
    const stop = options.stop ?? {};
    if (typeof stop !== 'object' || stop === null) throw new ArgumentError(`stop must be an object { steps, time, wall, when }, got ${describe(stop)}`);
    const unknownStop = Object.keys(stop).filter((k) => !['steps', 'time', 'wall', 'when'].includes(k));
    if (unknownStop.length > 0) throw new ArgumentError(`unknown stop criteria ${unknownStop.join(', ')}: use steps, time, wall or when`);
    if (stop.steps !== undefined && (!Number.isInteger(stop.steps) || stop.steps < 0)) throw new ArgumentError(`stop.steps must be a non-negative integer, got ${describe(stop.steps)}`);
    if (stop.time !== undefined && (typeof stop.time !== 'number' || !Number.isFinite(stop.time))) throw new ArgumentError(`stop.time must be a finite number, got ${describe(stop.time)}`);
    if (stop.when !== undefined && typeof stop.when !== 'function') throw new ArgumentError(`stop.when must be a function (s) => boolean, got ${describe(stop.when)}`);
    this.stopSteps = stop.steps ?? null;
    this.stopTime = stop.time ?? null;
    this.stopWall = stop.wall !== undefined ? parseDuration(stop.wall, 'stop.wall') : null;
    this.when = stop.when ?? null;
    if (options.dt !== undefined && (typeof options.dt !== 'number' || !(options.dt > 0) || !Number.isFinite(options.dt))) throw new ArgumentError(`dt must be a positive number, got ${describe(options.dt)}`);
    this.fixedDt = options.dt ?? null;
    this.dt = options.dt ?? 0;
    if (options.time !== undefined && (typeof options.time !== 'number' || !Number.isFinite(options.time))) throw new ArgumentError(`time must be a finite number, got ${describe(options.time)}`);
    this.time = options.time ?? 0;
    this.syncInterval = options.syncInterval ?? 0.01;
    if (typeof this.syncInterval !== 'number' || !(this.syncInterval >= 0)) throw new ArgumentError(`syncInterval must be a number of seconds ≥ 0, got ${describe(options.syncInterval)}`);
    if (options.status !== undefined && typeof options.status !== 'boolean' && !(typeof options.status === 'number' && options.status > 0)) {
      throw new ArgumentError(`status must be true, false or a number of seconds between lines, got ${describe(options.status)}`);
    }
    const replayPath = options.replay ?? (process.env.SIMDECK_REPLAY || undefined);
    if (replayPath !== undefined && typeof replayPath !== 'string') throw new ArgumentError(`replay must be the path of a command log, got ${describe(replayPath)}`);
    const steer = options.steer ?? steeringRequested();
    if (typeof steer !== 'boolean' && (typeof steer !== 'object' || steer === null || typeof (steer as SteeringLink).poll !== 'function')) {
      throw new ArgumentError(`steer must be true, false or a SteeringLink, got ${describe(steer)}`);
    }
    if (options.log !== undefined && options.log !== false && typeof options.log !== 'string') throw new ArgumentError(`log must be a path or false, got ${describe(options.log)}`);
    this.tStep = this.timers.slot('step');
    this.tDt = this.timers.slot('timestep');
    this.tSteer = this.timers.slot('sync');

    // Rank 0 decides steering and reads the replay log; one bcast tells everyone (collective).
    let link: SteeringLink | null = null;
    let fromStartup = false;
    let shared: { steered: boolean; replay: LogEntry[] | null; error: string | null } = { steered: false, replay: null, error: null };
    if (comm.rank === 0) {
      try {
        if (replayPath !== undefined) shared.replay = readCommandLog(replayPath);
        else if (typeof steer === 'object') link = steer;
        else if (steer) {
          link = startupLink();
          fromStartup = true;
          if (link === null) throw new SteeringUnavailableError('steering was asked for (steer: true or SIMDECK_STEER=1) but no steering server is open on this rank: start the job with `simdeck run --steer`, or pass steer: await openSteering()');
        }
        shared.steered = link !== null;
      } catch (e) {
        shared.error = `${(e as Error).name}: ${(e as Error).message}`;
        if (comm.size === 1) throw e;
      }
    }
    if (comm.size > 1) shared = comm.bcast(shared, 0);
    if (shared.error !== null) {
      if (shared.error.startsWith('ReplayError')) throw new ReplayError(shared.error.replace(/^ReplayError: /, ''));
      throw new SteeringUnavailableError(shared.error.replace(/^\w+: /, ''));
    }
    this.link = link;
    if (link !== null) this.tWork = this.timers.slot('steer');
    this.fromStartup = fromStartup;
    this.steered = shared.steered;
    this.replayEntries = shared.replay;
    if (comm.rank === 0 && this.steered) {
      const path = options.log === false ? false : logPathFor(options.log);
      if (path !== false) {
        this.log = new CommandLog(path, { ...this.paramValues });
        (this as { logPath: string | null }).logPath = path;
      }
      link!.announce(this.descriptions.map((d) => ({ ...d })));
    }
  }

  /** The current parameter values (a frozen object, replaced at each change). */
  get params(): ParamValues<P> {
    return this.paramValues as ParamValues<P>;
  }

  /** The parameters' schema, in declaration order. */
  get schema(): readonly ParamDescription[] {
    return this.descriptions;
  }

  /** Seconds since run() started, by this rank's clock (decisions use rank 0's). */
  get wall(): number {
    return this.running ? (performance.now() - this.t0) / 1000 : this.ctl[C_WALL]!;
  }

  /** Whether the loop is paused by steering. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** The loop's state for a checkpoint (step, time, dt, parameter values). */
  get state(): SimulationState {
    return { step: this.step, time: this.time, dt: this.dt, params: { ...this.paramValues } };
  }

  /**
   * Sets step, time, dt and parameters from a checkpoint's state, before run(). Call it on every
   * rank with the same state. Throws ArgumentError/ParameterError for a malformed state.
   */
  restore(state: SimulationState): void {
    if (typeof state !== 'object' || state === null) throw new ArgumentError(`restore needs { step, time, dt, params }, got ${describe(state)}`);
    if (!Number.isInteger(state.step) || state.step < 0) throw new ArgumentError(`restore: step must be a non-negative integer, got ${describe(state.step)}`);
    if (typeof state.time !== 'number' || !Number.isFinite(state.time)) throw new ArgumentError(`restore: time must be a finite number, got ${describe(state.time)}`);
    if (state.dt !== undefined && (typeof state.dt !== 'number' || !(state.dt >= 0))) throw new ArgumentError(`restore: dt must be a number ≥ 0, got ${describe(state.dt)}`);
    if (this.running) throw new ArgumentError('restore() must be called before run(), not while the loop runs');
    const next: Record<string, ParamValue> = { ...this.paramValues };
    for (const [name, v] of Object.entries(state.params ?? {})) {
      const d = this.byName.get(name);
      if (d === undefined) continue; // a parameter the deck no longer declares
      const c = checkValue(d, v);
      if ('error' in c) throw new ParameterError(`restore: parameter ${name} ${c.error}`);
      next[name] = c.value;
    }
    this.step = state.step;
    this.time = state.time;
    if (state.dt !== undefined && state.dt > 0) { this.dt = state.dt; this.naturalDt = state.dt; }
    this.paramValues = Object.freeze(next);
    for (const h of this.hooks) if (h.kind === 'time') h.k = Math.floor((this.time - h.origin) / h.every + 1e-9) + 1;
  }

  /**
   * Chooses each step's dt as `safety * min over ranks of local()`, limited in change per step
   * and clamped to bounds. `local` runs on every rank before every step (the reduction is collective).
   * Throws ArgumentError for bad options; the loop throws TimestepError for an unusable dt.
   */
  timestep(local: () => number, options: TimestepOptions = {}): this {
    this.rule = new TimestepRule(local, options);
    return this;
  }

  /** Runs `fn` after every step that completes a cadence: `{ steps: n }`, `{ time: t }` (landed on exactly) or `{ wall: '10m' }`. Same hooks on every rank. */
  every(cadence: Cadence, fn: (s: Simulation<P>) => void): this {
    const c = parseCadence(cadence);
    if (typeof fn !== 'function') throw new ArgumentError(`every() needs a function to call, got ${describe(fn)}`);
    const origin = c.kind === 'time' ? this.time : 0;
    this.hooks.push({ ...c, fn, slot: this.timers.slot(c.name), origin, k: 1 });
    return this;
  }

  /** Runs `fn` at a named point: 'beforeStep', 'afterStep' (each step) or 'stop' (once, when the loop ends). */
  on(point: LoopPoint, fn: (s: Simulation<P>) => void): this {
    if (!(point in this.points)) throw new ArgumentError(`on() takes 'beforeStep', 'afterStep' or 'stop', got ${describe(point)}`);
    if (typeof fn !== 'function') throw new ArgumentError(`on('${point}') needs a function, got ${describe(fn)}`);
    this.points[point].push({ fn, slot: this.timers.slot(point) });
    return this;
  }

  /** Runs `fn` on every rank when a parameter (`name`, or any) is changed by steering, at the boundary where it changes. */
  onChange(name: string | ((c: ParamChange) => void), fn?: (c: ParamChange) => void): this {
    if (typeof name === 'function') { this.changeHooks.push({ name: null, fn: name }); return this; }
    if (!this.byName.has(name)) throw new ParameterError(`onChange: no parameter named ${describe(name)}; declared: ${[...this.byName.keys()].join(', ') || 'none'}`);
    if (typeof fn !== 'function') throw new ArgumentError(`onChange('${name}', fn) needs a function, got ${describe(fn)}`);
    this.changeHooks.push({ name, fn });
    return this;
  }

  /** Registers what "checkpoint now" from steering runs, on every rank at the same boundary. */
  onCheckpoint(fn: (s: Simulation<P>) => void): this {
    if (typeof fn !== 'function') throw new ArgumentError(`onCheckpoint needs a function, got ${describe(fn)}`);
    this.checkpointHooks.push(fn);
    return this;
  }

  /** Makes names reachable from `eval` commands (besides sim, world, comm and params). */
  expose(values: Record<string, unknown>): this {
    if (typeof values !== 'object' || values === null) throw new ArgumentError(`expose needs an object of name: value, got ${describe(values)}`);
    Object.assign(this.exposed, values);
    return this;
  }

  /**
   * Collective, blocking: runs `body` once per step on every rank until a stop criterion holds;
   * returns why it stopped. Throws what the body or a hook throws, TimestepError for an unusable dt.
   */
  run(body: (s: Simulation<P>) => void): StopReason {
    if (typeof body !== 'function') throw new ArgumentError(`run() needs the step function (s) => { ... }, got ${describe(body)}`);
    this.begin();
    try {
      // no clock is read per step (a clock read costs 0.05-0.5 µs): the body's time is what
      // remains of the loop's wall time once the other phases are taken out (settleStepTimer)
      for (;;) {
        if (this.boundary()) break;
        this.prepareStep();
        body(this);
        this.completeStep(this.landing);
      }
      this.end();
      return this.stopReason!;
    } finally {
      this.cleanup();
    }
  }

  // ---- the loop's parts, shared with the native loop (nativeLoop.ts) ----

  /**
   * Collective, blocking: steers a time loop that lives in compiled code. `solve` calls the C or
   * Fortran loop with the callback's address (pass it to a `void *` / `type(c_ptr), value`
   * parameter); the loop calls it once per iteration (see nativeLoop.ts for the prototype).
   * Returns why the loop stopped ('solver' when the compiled loop ended by itself).
   */
  runNative(solve: (callback: bigint) => void): StopReason {
    runNativeLoop(this as unknown as NativeLoopHost, solve);
    return this.stopReason ?? 'solver';
  }

  /** @internal */
  landing = NaN;

  /** @internal Checks run-time requirements and starts the clocks. */
  begin(native = false): void {
    if (this.running) throw new ArgumentError('run() is already running on this Simulation');
    const timeBased = this.stopTime !== null || this.hooks.some((h) => h.kind === 'time');
    if (!native && timeBased && this.rule === null && this.fixedDt === null && !(this.dt > 0)) {
      throw new ArgumentError('a stop time or a time cadence needs a time step: give options.dt or call sim.timestep(fn)');
    }
    if (!native && this.stopSteps === null && this.stopTime === null && this.stopWall === null && this.when === null && !this.steered && this.replayEntries === null) {
      throw new ArgumentError('the loop has no stop criterion: give stop: { steps, time, wall or when } (or steer it)');
    }
    this.perStep = this.comm.size > 1 && (this.rule !== null || this.when !== null);
    this.syncOn = this.steered || this.stopWall !== null || this.hooks.some((h) => h.kind === 'wall');
    this.running = true;
    this.stopReason = null;
    this.t0 = performance.now();
    this.lastSyncWall = 0;
    this.lastSyncStep = this.step;
    this.nextSync = this.step;
    this.rateSteps = this.step;
    this.rateStart = this.step;
    this.nextStatusStep = this.step;
    this.lastStatusStep = this.step;
    this.lastLookWall = 0;
    this.rateWall = 0;
    this.ctl.fill(0);
    for (const h of this.hooks) if (h.kind === 'wall') h.origin = 0;
    if (this.comm.rank === 0 && (this.options.status ?? false) !== false) {
      this.status = new StatusLine('auto', typeof this.options.status === 'number' ? this.options.status : 5);
    }
    if (this.comm.rank === 0 && this.link !== null && this.link.url && this.fromStartup) {
      process.stdout.write(`steering: ${this.link.url}\n`);
    }
  }

  /**
   * @internal The boundary before a step: agreement with rank 0 (when due), commands, pause,
   * stop criteria, and the step's dt. Returns true when the loop must stop.
   */
  boundary(): boolean {
    let globalMin = NaN;
    const syncDue = this.perStep || (this.syncOn && (this.step >= this.nextSync || this.pending !== null));
    if (syncDue || this.pauseAt === this.step || this.replayEntries !== null || (this.rule !== null && this.comm.size === 1) || this.when !== null) {
      globalMin = this.agree(syncDue);
      if (this.stopRequested !== null) return this.stopWith(this.stopRequested);
    }
    if (this.stopSteps !== null && this.step >= this.stopSteps) return this.stopWith('steps');
    if (this.stopTime !== null && this.time >= this.stopTime) return this.stopWith('time');
    if (this.rule !== null) {
      this.naturalDt = this.rule.next(globalMin, this.naturalDt, this.step);
      this.dt = this.naturalDt;
    } else if (this.fixedDt !== null) {
      this.dt = this.fixedDt;
    }
    if (this.status !== null && this.step >= this.nextStatusStep) this.showStatus(false);
    return false;
  }

  /** The stop decision, taken identically on every rank. */
  private stopWith(reason: StopReason): true {
    this.stopReason = reason;
    return true;
  }

  /**
   * One agreement point (or a local evaluation when nothing must travel): rank 0's control vector
   * (with the `when` predicate and dt proposals riding along), then commands, the pause loop and
   * replayed commands. Returns the global minimum of dt proposals (NaN when no rule).
   */
  private agree(syncDue: boolean): number {
    const a = performance.now();
    const ctl = this.ctl;
    const rank0 = this.comm.rank === 0;
    let whenFlag = 0;
    if (this.when !== null) whenFlag = this.when(this) ? 1 : 0;
    let negDt = -Infinity;
    let b = a;
    if (this.rule !== null) {
      const p = this.rule.propose();
      negDt = Number.isNaN(p) ? Infinity : -p;
      b = performance.now();
      this.timers.add(this.tDt, (b - a) / 1000);
    }
    if (this.perStep) {
      // a collective runs every step anyway: the control rides in it (MAX: rank 0's slots, any rank's predicate, -min dt)
      let accepted: Accepted[] = [];
      if (rank0) accepted = this.fillTimed(a);
      else ctl.fill(-Infinity);
      ctl[C_WHEN] = whenFlag;
      ctl[C_NEGDT] = negDt;
      this.comm.allreduceInto(ctl, ctl, Op.MAX);
      this.nextSync = ctl[C_NEXT]!;
      whenFlag = ctl[C_WHEN]!;
      negDt = ctl[C_NEGDT]!;
      this.afterControl(accepted);
      if (rank0) this.publishAt(a); // after the collective: no rank waits while rank 0 builds a status
      if (this.paused && this.stopRequested === null) this.pauseLoop();
    } else if (syncDue && this.syncInterval === 0) {
      // agreement at every step, blocking: a command is applied at the very next boundary
      let accepted: Accepted[] = [];
      if (rank0) accepted = this.fillTimed(a);
      if (this.comm.size > 1) this.comm.bcastInto(ctl, 0);
      this.nextSync = ctl[C_NEXT]!;
      this.afterControl(accepted);
      if (rank0) this.publishAt(a);
      if (this.paused && this.stopRequested === null) this.pauseLoop();
    } else if (syncDue) {
      // Pipelined: the control rank 0 posts at an agreement point (a nonblocking bcast) is read by
      // every rank at the next step's boundary, by when it has long arrived, so no rank waits.
      if (this.pending !== null) {
        const got = this.pending.wait();
        if (!rank0) ctl.set(got);
        this.pending = null;
        this.nextSync = ctl[C_NEXT]!;
        this.afterControl(this.pendingAccepted);
        this.pendingAccepted = [];
        if (this.paused && this.stopRequested === null) this.pauseLoop();
      }
      if (this.step >= this.nextSync && this.stopRequested === null && this.pauseAt !== this.step && !this.localStop()) {
        if (rank0) this.pendingAccepted = this.fillTimed(a);
        if (this.comm.size > 1) {
          this.pending = this.comm.ibcast(rank0 ? Float64Array.from(ctl) : null, 0) as Request<Float64Array>;
          if (rank0) this.publishAt(a); // after posting: the others never wait for a status to be built
        } else {
          this.nextSync = ctl[C_NEXT]!;
          this.afterControl(this.pendingAccepted);
          this.pendingAccepted = [];
          this.publishAt(a);
          if (this.paused && this.stopRequested === null) this.pauseLoop();
        }
      }
    }
    let applied = false;
    if (this.replayEntries !== null) applied = this.replayDue();
    if (this.pauseAt === this.step && this.stopRequested === null) {
      this.pauseAt = -1;
      this.paused = true;
      this.pauseLoop();
    }
    if (whenFlag > 0 && this.stopRequested === null) this.stopRequested = 'when';
    let globalMin = -negDt;
    if (this.rule !== null && (applied || this.commandsApplied) && this.stopRequested === null) {
      // a command may change what the rule computes (a CFL bound with a new coefficient): ask again
      const p = this.rule.propose();
      const v = Number.isNaN(p) ? -Infinity : p;
      globalMin = this.comm.size > 1 ? this.comm.allreduce(v, Op.MIN) : v;
      if (globalMin === -Infinity) globalMin = NaN;
    } else if (globalMin === -Infinity) globalMin = NaN;
    this.commandsApplied = false;
    const work = this.work;
    this.work = 0;
    this.timers.add(this.tSteer, (performance.now() - b - work) / 1000);
    if (this.tWork >= 0) this.timers.add(this.tWork, work / 1000);
    return globalMin;
  }

  /** Rank 0 in agree(): fillControl, its time counted as steering work when a link is open (no clock read otherwise). */
  private fillTimed(a: number): Accepted[] {
    if (this.link === null) return this.fillControl(a, false);
    const w = performance.now();
    const accepted = this.fillControl(a, false);
    this.work += performance.now() - w;
    return accepted;
  }

  private commandsApplied = false;
  private pending: Request<Float64Array> | null = null;
  private pendingAccepted: Accepted[] = [];

  /** Whether a step count or end time stops the loop here (decided alike on every rank). */
  private localStop(): boolean {
    return (this.stopSteps !== null && this.step >= this.stopSteps) || (this.stopTime !== null && this.time >= this.stopTime);
  }

  /** Rank 0: fills the control vector (wall clock, flags, due wall hooks, schedule, commands); returns the commands accepted. The status is published after the collective (publishAt). */
  private fillControl(now: number, paused: boolean, waitMs = 0): Accepted[] {
    const ctl = this.ctl;
    const wall = (now - this.t0) / 1000;
    const accepted: Accepted[] = [];
    if (this.link !== null && this.replayEntries === null) {
      const requests = waitMs > 0 ? this.link.waitForCommands(waitMs) : this.link.poll();
      for (const r of requests) this.intake(r, accepted);
    }
    let flags = 0;
    if (this.stopWall !== null && wall >= this.stopWall && this.replayEntries === null) flags |= F_STOP_WALL;
    let mask = 0;
    let bit = 1;
    for (const h of this.hooks) {
      if (h.kind !== 'wall') continue;
      if (wall >= h.k * h.every) mask += bit;
      bit *= 2;
    }
    // live timers for the clients: a gather over the ranks every 2 s, only while someone watches
    if (this.steered && wall - this.lastGather >= LIVE_TIMERS_SECONDS && this.watched()) { flags |= F_TIMERS; this.lastGather = wall; }
    // schedule the next agreement about syncInterval seconds ahead, from the measured step rate
    const steps = this.step - this.lastSyncStep;
    const secs = wall - this.lastSyncWall;
    let k = 1;
    if (!paused && steps > 0 && secs > 0) k = Math.max(1, Math.min(4096, Math.floor(this.syncInterval * steps / secs)));
    this.lastSyncStep = this.step;
    this.lastSyncWall = wall;
    ctl[C_NEXT] = this.step + k;
    ctl[C_WALL] = wall;
    ctl[C_FLAGS] = flags;
    ctl[C_WALLHOOKS] = mask;
    ctl[C_NCMD] = accepted.length;
    return accepted;
  }

  /** Rank 0: checks one request; an accepted command gets a sequence number and a log line, a refused one an error reply. */
  private intake(r: SteerRequest, accepted: Accepted[]): void {
    const checked = checkCommand(r?.command, this.byName);
    const source = typeof r?.source === 'string' ? r.source : 'unknown';
    if (typeof checked === 'string') {
      this.link!.reply({ id: r?.id, ok: false, error: checked });
      this.log?.append({ seq: 0, step: this.step, time: this.time, source, command: r?.command, error: checked });
      return;
    }
    // step and time are set where every rank applies it (the next boundary at the latest), and logged there
    accepted.push({ entry: { seq: ++this.seq, step: this.step, time: this.time, source, command: checked }, id: r.id });
  }

  /** Every rank: after the control vector arrived, receive and apply commands, run due wall hooks, gather live timers. */
  private afterControl(accepted: Accepted[]): void {
    const ctl = this.ctl;
    const n = ctl[C_NCMD]!;
    if (n > 0) {
      const mine = accepted.map((x) => x.entry);
      const entries = this.comm.size > 1 ? this.comm.bcast<LogEntry[]>(mine, 0) : mine;
      entries.forEach((e, i) => this.apply(e, this.comm.rank === 0 ? accepted[i]!.id : -1));
      this.commandsApplied = true;
    }
    if ((ctl[C_FLAGS]! & F_STOP_WALL) && this.stopRequested === null) {
      this.stopRequested = 'wall';
      this.log?.append({ seq: ++this.seq, step: this.step, time: this.time, source: 'wall', command: { kind: 'stop' } }); // replays as a stop
    }
    const mask = ctl[C_WALLHOOKS]!;
    if (mask > 0) {
      let bit = 1;
      for (const h of this.hooks) {
        if (h.kind !== 'wall') continue;
        if (Math.floor(mask / bit) % 2 === 1) {
          this.callHook(h.fn, h.slot);
          h.k = Math.floor(ctl[C_WALL]! / h.every) + 1;
        }
        bit *= 2;
      }
    }
    if (ctl[C_FLAGS]! & F_TIMERS) {
      this.settleStepTimer((performance.now() - this.t0) / 1000);
      const live = this.timers.summarize(this.comm);
      if (this.comm.rank === 0) this.liveTimers = live;
    }
  }

  /** Every rank: applies one accepted command; rank 0 replies to the client (id ≥ 0). */
  private apply(e: LogEntry, id: number): void {
    const c = e.command;
    const rank0 = this.comm.rank === 0;
    if (this.replayEntries === null) { // applied here, on every rank alike: this is the step a replay applies it at
      e.step = this.step;
      e.time = this.time;
    }
    this.log?.append(e);
    let answers: EvalAnswer[] | undefined;
    switch (c.kind) {
      case 'set': {
        const previous = this.paramValues[c.name]!;
        this.paramValues = Object.freeze({ ...this.paramValues, [c.name]: c.value });
        const change: ParamChange = { name: c.name, value: c.value, previous, seq: e.seq, step: e.step, time: e.time, source: e.source };
        for (const h of this.changeHooks) if (h.name === null || h.name === c.name) h.fn(change);
        break;
      }
      case 'pause': if (this.replayEntries === null) this.paused = true; break;
      case 'resume': this.paused = false; this.pauseAt = -1; break;
      case 'step':
        if (this.replayEntries === null) { this.paused = false; this.pauseAt = this.step + c.count; }
        break;
      case 'stop': this.stopRequested ??= e.source === 'wall' ? 'wall' : 'steering'; break;
      case 'checkpoint': {
        const slot = this.timers.slot('checkpoint');
        for (const fn of this.checkpointHooks) this.callHook(fn, slot);
        break;
      }
      case 'eval': {
        const mine = evaluate(c.expr, { sim: this, world: this.comm, comm: this.comm, params: this.paramValues, ...this.exposed });
        answers = this.comm.size > 1 ? (this.comm.gather(mine, 0) ?? undefined) : [mine];
        break;
      }
    }
    if (rank0 && id >= 0 && this.link !== null) {
      const reply: SteerReply = { id, ok: true, seq: e.seq, step: this.step, time: this.time };
      if (answers !== undefined) reply.answers = answers;
      this.link.reply(reply);
    }
  }

  /** Every rank: applies the replayed commands due at this step (no communication: every rank holds the log). */
  private replayDue(): boolean {
    const entries = this.replayEntries!;
    let applied = false;
    while (this.replayNext < entries.length && entries[this.replayNext]!.step <= this.step) {
      const e = entries[this.replayNext++]!;
      if (e.step < this.step || e.time !== this.time) {
        throw new ReplayError(`replayed command seq ${e.seq} was applied at step ${e.step}, time ${e.time}, but this run is at step ${this.step}, time ${this.time} there: replay the log with the same deck, options and rank count`);
      }
      this.apply(e, -1);
      applied = true;
    }
    return applied;
  }

  /** Every rank: while paused, rank 0 sleeps in the link and broadcasts what arrives (at least every PAUSE_WAIT_MS); the others wait in that bcast. */
  private pauseLoop(): void {
    while (this.paused && this.stopRequested === null) {
      let accepted: Accepted[] = [];
      if (this.comm.rank === 0) {
        const now = performance.now();
        this.publishAt(now); // clients see 'paused' before rank 0 goes to sleep
        accepted = this.fillControl(now, true, this.link !== null && this.replayEntries === null ? PAUSE_WAIT_MS : 0);
        this.showStatus(true, 'paused');
      }
      if (this.comm.size > 1) this.comm.bcastInto(this.ctl, 0);
      this.nextSync = this.ctl[C_NEXT]!;
      this.afterControl(accepted);
    }
    // wall time kept running while paused (a wall budget includes pauses); the rule proposes anew after a pause
    this.commandsApplied = true;
  }

  /** @internal Chooses the step's dt so that it lands exactly on the next due time (a time hook or the stop time). */
  prepareStep(): void {
    let target = this.stopTime ?? Infinity;
    for (const h of this.hooks) if (h.kind === 'time') { const t = dueTime(h); if (t < target) target = t; }
    this.landing = NaN;
    if (target !== Infinity && target - this.time <= this.dt * (1 + 1e-9)) {
      this.dt = target - this.time;
      this.landing = target;
    }
    this.beforeStep();
  }

  /** @internal The 'beforeStep' hooks. */
  beforeStep(): void {
    const before = this.points.beforeStep;
    for (let i = 0; i < before.length; i++) this.callHook(before[i]!.fn, before[i]!.slot);
  }

  /** @internal After the body: advance step and time, then the after-step and cadence hooks. */
  completeStep(landing: number): void {
    this.step++;
    this.time = Number.isNaN(landing) ? this.time + this.dt : landing;
    this.afterStep();
  }

  /** @internal The 'afterStep' hooks, then the cadence hooks due at this step or time. */
  afterStep(): void {
    const after = this.points.afterStep;
    for (let i = 0; i < after.length; i++) this.callHook(after[i]!.fn, after[i]!.slot);
    const hooks = this.hooks;
    for (let i = 0; i < hooks.length; i++) {
      const h = hooks[i]!;
      if (h.kind === 'steps') {
        if (this.step % h.every === 0) this.callHook(h.fn, h.slot);
      } else if (h.kind === 'time') {
        const due = dueTime(h);
        if (this.time >= due - 1e-12 * Math.max(1, Math.abs(due))) {
          while (dueTime(h) <= this.time + 1e-12 * Math.max(1, Math.abs(this.time))) h.k++;
          this.callHook(h.fn, h.slot);
        }
      }
    }
  }

  private callHook(fn: (s: Simulation<P>) => void, slot: number): void {
    const a = performance.now();
    fn(this);
    this.timers.add(slot, (performance.now() - a) / 1000);
  }

  /** @internal At the stop: 'stop' hooks, the summary (collective when reporting), the final status. */
  end(): void {
    this.stopReason ??= 'solver';
    if (this.pending !== null) { // cannot happen (a post is always read at the next boundary); keeps collectives matched regardless
      this.pending.wait();
      this.pending = null;
    }
    for (const p of this.points.stop) this.callHook(p.fn, p.slot);
    const wall = (performance.now() - this.t0) / 1000;
    this.ctl[C_WALL] = wall;
    this.settleStepTimer(wall);
    this.running = false;
    if (this.status !== null) { this.showStatus(true, 'finished'); this.status.close(); this.status = null; }
    const report = this.options.report ?? true;
    const summary = report || this.steered ? this.timers.summarize(this.comm) : [];
    if (this.comm.rank === 0) {
      this.liveTimers = summary;
      this.publish(performance.now(), wall, 'finished', true);
      if (report) {
        const rate = wall > 0 ? (this.step - this.rateStart) / wall : 0;
        const lines = [
          `simulation stopped (${describeReason(this.stopReason!)}) at step ${this.step}, time ${roundTime(this.time)}, after ${formatSeconds(wall)} (${rate >= 100 ? Math.round(rate) : rate.toPrecision(3)} steps/s)`,
          formatTimers(summary.filter((t) => t.calls > 0), this.comm.size),
        ];
        if (this.logPath !== null) lines.push(`command log: ${this.logPath}`);
        process.stdout.write(lines.join('\n') + '\n');
      }
    }
  }

  private rateStart = 0;
  private nextStatusStep = 0;

  /** The body's time: the loop's wall time on this rank minus every measured phase. */
  private settleStepTimer(wall: number): void {
    const t = this.timers;
    let others = 0;
    for (let i = 0; i < t.seconds.length; i++) if (i !== this.tStep) others += t.seconds[i]!;
    t.seconds[this.tStep] = Math.max(0, wall - others);
    t.calls[this.tStep] = this.step - this.rateStart;
  }

  /**
   * @internal Releases what rank 0 holds (log file, the status line). A link opened at start-up
   * stays open for the deck's next Simulation; it closes when the process exits (openLink.ts).
   */
  cleanup(): void {
    this.running = false;
    if (this.status !== null) { this.status.close(); this.status = null; }
    this.log?.close();
    this.log = null;
  }

  /**
   * Rank 0: the status clients see. Built and published only when the run changes state, when
   * `force`, or when a client waits for one (at most 10 times a second): with no client connected
   * a steered loop builds no status at all. Encoding and sending are the server thread's.
   */
  private publish(now: number, wall: number, state: SteerStatus['state'], force = false): void {
    const link = this.link;
    if (link === null) return;
    if (!force && state === this.publishedState && (now - this.lastPublish < STATUS_MS || !this.watched())) return;
    this.lastPublish = now;
    this.publishedState = state;
    const w = performance.now();
    link.publishStatus(this.statusOf(wall, state));
    this.work += performance.now() - w;
  }

  private publishedState: SteerStatus['state'] | null = null;

  /** Rank 0, after an agreement point's collective: publishes the status of `now` (running or paused) if a client wants it. */
  private publishAt(now: number): void {
    if (this.link !== null) this.publish(now, (now - this.t0) / 1000, this.paused ? 'paused' : 'running');
  }

  /** Rank 0: whether a client waits for a status (a link that cannot tell is always watched). */
  private watched(): boolean {
    return this.link !== null && (this.link.wantsStatus?.() ?? true);
  }

  private statusOf(wall: number, state: SteerStatus['state']): SteerStatus {
    // steps per second over the last second or so
    if (wall - this.rateWall >= 1 || this.stepsPerSecond === 0) {
      const ds = this.step - this.rateSteps, dw = wall - this.rateWall;
      if (dw > 0 && ds > 0) this.stepsPerSecond = ds / dw;
      this.rateSteps = this.step;
      this.rateWall = wall;
    }
    const sps = this.stepsPerSecond;
    const etas: number[] = [];
    if (sps > 0 && this.stopSteps !== null) etas.push((this.stopSteps - this.step) / sps);
    if (sps > 0 && this.stopTime !== null && this.dt > 0) etas.push((this.stopTime - this.time) / (this.dt * sps));
    if (this.stopWall !== null) etas.push(this.stopWall - wall);
    const status: SteerStatus = {
      step: this.step, time: this.time, dt: this.dt, wall, stepsPerSecond: sps,
      eta: etas.length > 0 ? Math.max(0, Math.min(...etas)) : null,
      state, params: { ...this.paramValues },
      timers: this.liveTimers.length > 0 ? this.liveTimers : this.timers.local(),
    };
    if (this.log !== null) status.log = [...this.log.tail];
    return status;
  }

  private showStatus(force: boolean, state: SteerStatus['state'] = 'running'): void {
    if (this.status === null) return;
    const wall = (performance.now() - this.t0) / 1000;
    // look at the clock again in about 0.1 s, judging by the steps done since the last look
    const steps = this.step - this.lastStatusStep, secs = wall - this.lastLookWall;
    this.nextStatusStep = this.step + (steps > 0 && secs > 0 ? Math.max(1, Math.min(100_000, Math.floor((0.1 * steps) / secs))) : 1);
    this.lastStatusStep = this.step;
    this.lastLookWall = wall;
    if (!force && wall - this.lastStatusWall < 0.2) return;
    this.lastStatusWall = wall;
    this.status.show(formatStatus(this.statusOf(wall, state), this.stopTime, this.stopSteps), force);
  }

  private lastStatusWall = -Infinity;
  private lastStatusStep = 0;
  private lastLookWall = 0;
}

function describeReason(r: StopReason): string {
  switch (r) {
    case 'steps': return 'step count reached';
    case 'time': return 'end time reached';
    case 'wall': return 'wall-clock budget used';
    case 'when': return 'stop condition met';
    case 'solver': return 'the compiled loop ended';
    default: return 'stopped by steering';
  }
}

/**
 * Where rank 0 writes the command log: `chosen` (the `log` option, else SIMDECK_STEER_LOG, which
 * `simdeck run --steer-log` sets), a file path or a directory (an existing one, or a path ending
 * in '/', created if need be) that gets `steer-<date>-<pid>.jsonl`; with neither, that name in
 * the working directory.
 */
function logPathFor(chosen: string | undefined): string {
  const d = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  const name = `steer-${d}-${process.pid}.jsonl`;
  const where = chosen ?? (process.env.SIMDECK_STEER_LOG || '');
  if (where === '') return name;
  if (where.endsWith('/') || (existsSync(where) && statSync(where).isDirectory())) {
    mkdirSync(where, { recursive: true });
    return join(where, name);
  }
  return where;
}
