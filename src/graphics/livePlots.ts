/**
 * LivePlots: plots made while the simulation runs. The deck calls a plot every step with the
 * loop's state; the plot decides by its cadence (every N steps, every interval of simulation
 * time, or a budget share of the run time) whether this step draws. A drawing step reduces the
 * field in parallel (only the small image travels to the drawing rank), hands the image to a
 * render worker thread there and returns: rasterising, PNG encoding and writing happen off the
 * critical path. When the renderer cannot keep up, frames are skipped and counted, never waited
 * for. Frames are written as numbered PNG files, pushed to the steering dashboard, and listed in
 * an index.html gallery when the plots are closed.
 *
 * Works with any loop: `plots.heatmap('T', u, s)` takes any `{ step, time }`, so it can be called
 * from a hand-written for loop or from a Simulation's callbacks.
 */
import { resolve } from 'node:path';
import { ArgumentError, describe, Op, type Comm, type Request } from '../index.js';
import type { DistributedArray } from '../../decomposition/distributedArray.js';
import { Cadence, checkEvery, checkState, isStepState, type Every, type StepState } from './cadence.js';
import { depositPoints, type DepositOptions } from './deposit.js';
import { GraphicsError } from './errors.js';
import { writeAtomic } from './files.js';
import { galleryHtml, type FrameRecord } from './gallery.js';
import { checkHeatmapStyle, type HeatmapStyle } from './heatmapFigure.js';
import { checkLines, type LinesStyle, type Series } from './linesFigure.js';
import { keptDims, reduceField, settleReductions, startReduction, warmUpReduction, type PendingImage, type ReduceOptions, type ReducedField } from './reduce.js';
import { RenderQueue, type RenderResult } from './renderQueue.js';

/** Options of `new LivePlots(comm, options)`. Every field is optional. */
export interface LivePlotsOptions {
  /** Directory for the PNG frames and index.html, on the drawing rank (default 'plots'); null writes no files (dashboard only). */
  dir?: string | null;
  /** Default cadence of every plot (default { budget: 0.02 }: at most 2 % of the run time). */
  every?: Every;
  /**
   * Frames that may wait for or be in the renderer before new ones are skipped (default 4; it was
   * 2). Each waiting frame holds its image: a 512 × 512 live heat map 1 MiB in single precision.
   */
  queue?: number;
  /** Push each frame to the steering dashboard (default true; dropped when no dashboard runs). */
  publish?: boolean;
  /**
   * Run the renderer at the lowest CPU priority (SCHED_IDLE on Linux where allowed, else nice 19),
   * so ranks sharing its cores keep them (default true). A SCHED_IDLE renderer is raised to nice
   * 19 while a frame waits behind another, where the kernel allows it, and goes back when its
   * queue is empty.
   */
  lowPriority?: boolean;
  /** Unit of the simulation time in titles ("s"). */
  timeUnit?: string;
  /** Title of the gallery page (default "simdeck plots"). */
  title?: string;
  /** The rank that draws (default 0). */
  root?: number;
}

/** Options of a field heat map: how to reduce it, how it looks, and optionally its own cadence. */
export interface FieldPlotOptions extends ReduceOptions, Omit<HeatmapStyle, 'extent'> {
  /** Physical coordinates of the whole grid's edges along the two plotted dimensions [x0, x1, y0, y1]. */
  extent?: readonly [number, number, number, number];
  every?: Every;
}

/** Options of a profile: the line, the reduction along it, the look. */
export interface ProfileOptions extends LinesStyle {
  /** The dimension the line runs along. */
  axis: number;
  /** A global index on the line (its entry along `axis` is ignored). */
  at: readonly number[];
  /** Pixels along the line (default: every cell, up to 4096) and their pooling. */
  size?: number;
  pool?: ReduceOptions['pool'];
  component?: number;
  /** Physical coordinates of the grid's edges along the axis [x0, x1] (default: cell indices). */
  extent?: readonly [number, number];
  /** Legend name of the curve (default the plot's name). */
  label?: string;
  every?: Every;
}

/** Options of a density plot of points. */
export interface DensityOptions extends DepositOptions, Omit<HeatmapStyle, 'extent'> {
  every?: Every;
}

/** Options of a time series. */
export interface SeriesOptions extends LinesStyle {
  /** Horizontal axis: the simulation 'time' (default) or the 'step'. */
  x?: 'time' | 'step';
  every?: Every;
}

/** What the plots did, on this rank. */
export interface PlotStats {
  /** Frames made (due steps), on every rank. */
  frames: number;
  /** Frames drawn and written by the renderer (drawing rank). */
  drawn: number;
  /** Frames skipped because the renderer was busy (drawing rank). */
  skipped: number;
  /**
   * Times the render worker was raised from SCHED_IDLE to nice 19 because a frame was queued
   * behind another (drawing rank; it goes back to SCHED_IDLE when its queue is empty).
   */
  raised: number;
  /** Frames the renderer failed to draw, with the first error (drawing rank). */
  failed: number;
  firstError?: string;
  /** Time this rank spent in plot calls, in ms, and per frame made (set-up frames left out of both). */
  criticalMs: number;
  perFrameMs: number;
  /** The median time of one frame on this rank (set-up frames left out), ms. */
  medianFrameMs: number;
  /**
   * One-time set-up, ms: the time this rank spent in each plot's first frame (building the
   * reduction's plan, V8 compiling its loops, the private communicator), and on the drawing
   * rank the render thread's CPU time for those frames (the first overlay). Kept apart from
   * criticalMs, renderCpuMs and the shares: the budget holds the steady cost of the plots.
   */
  setupMs: number;
  setupRenderCpuMs: number;
  /** criticalMs as a share of the run time (since the first plot call), set-up time left out. */
  share: number;
  /** Renderer time per drawn frame, ms (drawing rank): wall clock, and the render thread's own CPU time. */
  renderMs: number;
  renderCpuMs: number;
  /**
   * What graphics cost the run as a share of its time: the time in plot calls plus, on the
   * drawing rank, the render thread's CPU time (on a machine with no idle core that CPU is taken
   * from a stepping rank), set-up left out. The budget mode holds this share (largest over ranks).
   */
  costShare: number;
  /** One line for a log: "12 frames, 12 drawn, 0 skipped, 0 failed; 0.8 % of run time (3.1 ms per frame; set-up 95 ms)". */
  summary: string;
}

const DEFAULT_FIELD: FieldPlotOptions = Object.freeze({});
const isField = (a: unknown) => typeof a === 'object' && a !== null && typeof (a as DistributedArray).grid === 'object' && ArrayBuffer.isView((a as DistributedArray).data);

/** Plots drawn while a simulation runs, within a cadence or a budget. */
export class LivePlots {
  private readonly comm: Comm;
  private readonly root: number;
  private readonly dir: string | null;
  private readonly timeUnit: string;
  private readonly title: string;
  private readonly cadence: Cadence;
  private readonly cadences = new Map<string, Cadence>();
  private readonly queue: RenderQueue | null = null;
  private readonly frames = new Map<string, FrameRecord[]>();
  private readonly history = new Map<string, { steps: number[]; times: number[]; values: Map<string, number[]> }>();
  /**
   * When the run's time starts for the shares and the budget: the first plot call (the
   * simulation's loop), not the creation, so start-up between the two (other ranks starting,
   * setting up fields) is not taken for the simulation's pace.
   */
  private started: number | null = null;
  private spent = 0;
  private readonly frameTimes: number[] = [];
  private made = 0;
  private drawn = 0;
  private failed = 0;
  private renderMs = 0;
  private renderCpu = 0;
  /** One-time set-up (each plot's first frame): time in plot calls, frames, render thread CPU. */
  private setup = 0;
  private setupFrames = 0;
  private setupRenderCpu = 0;
  /** Plots that have made their first frame. */
  private readonly warm = new Set<string>();
  /** Image buffers the renderer handed back, filled again by later frames (drawing rank). */
  private readonly spares: (Float64Array | Float32Array)[] = [];
  /** Heat maps reduced but still receiving pixels from other ranks, and how to submit each (drawing rank). */
  private readonly arriving: { image: PendingImage<Float32Array>; submit: (img: ReducedField<Float32Array>) => void }[] = [];
  private rendered = 0;
  private firstError: string | undefined;
  private closed = false;
  private agreeComm: Comm | null = null;
  private pendingAgree: { req: Request<number[]>; step: number; cadences: Set<Cadence> } | null = null;
  /** Drawing rank: a new live image, in the memory the render worker reads in place (RenderQueue.alloc32). */
  private readonly alloc32 = (n: number): Float32Array => this.queue!.alloc32(n);
  private readonly onExit = () => { if (!this.closed) this.finishDrawing(); };
  /**
   * Per heat map, the field and options object of its last call checked in full. A step that
   * does not draw runs right after the simulation's own step, which has pushed the plot's code
   * and data out of the caches: the full checks (name, field, style) then cost about 30 µs of
   * CPU per call instead of 0.5 µs, as much as a whole frame's pooling over 50 steps. A call
   * with the same field and options object as the last checked one checks only its state; the
   * options are checked again at every drawing step, before any message.
   */
  private readonly checked = new Map<string, { field: DistributedArray; options: FieldPlotOptions }>();
  /**
   * The heat map whose last call did not draw, when its cadence is every N steps: a later call
   * with the same name, field, options object and cadence option, at a step that is not a
   * multiple of N, returns at once (no map look-up, no cadence object). Between frames such a
   * call costs its cold cache misses more than its work (16 µs measured right after a heat2d
   * step, against 6 µs for a call touching only two objects), so it touches as little as it can.
   * Set only while no image is arriving and no budget agreement is pending; cleared when either
   * starts (and by close()). Kept in fields of its own, not an object, and the call checks the
   * state inline: after the simulation's step every further object, and Number.isInteger /
   * isFinite, cost a few µs more (microbenchmark after streaming 64 MB: 9.6 against 6-7 µs).
   */
  private quickName: string | null = null;
  private quickField: DistributedArray | null = null;
  private quickOptions: FieldPlotOptions | null = null;
  private quickEvery: Every | undefined = undefined;
  private quickSteps = 0;

  /** Clears the quick plot (see quickName). */
  private noQuick(): void {
    this.quickName = null; this.quickField = null; this.quickOptions = null; this.quickEvery = undefined; this.quickSteps = 0;
  }

  /**
   * Sets up plots on `comm`; the drawing rank starts its render worker. Every rank of `comm`
   * must create the LivePlots and then call the same plots in the same order. Local (no
   * messages). Throws ArgumentError for bad options.
   */
  constructor(comm: Comm, options: LivePlotsOptions = {}) {
    if (typeof comm !== 'object' || comm === null || typeof (comm as Comm).allreduceInto !== 'function') throw new ArgumentError(`LivePlots: pass a communicator (world, or a sub-communicator), got ${describe(comm)}`);
    if (typeof options !== 'object' || options === null) throw new ArgumentError(`LivePlots: options must be an object, got ${describe(options)}`);
    const dir = options.dir === undefined ? 'plots' : options.dir;
    if (dir !== null && (typeof dir !== 'string' || dir === '')) throw new ArgumentError(`LivePlots: dir must be a directory path or null, got ${describe(dir)}`);
    const q = options.queue ?? 4;
    if (!Number.isInteger(q) || q < 1 || q > 64) throw new ArgumentError(`LivePlots: queue must be an integer from 1 to 64 (frames waiting for the renderer), got ${describe(options.queue)}`);
    const root = options.root ?? 0;
    if (!Number.isInteger(root) || root < 0 || root >= comm.size) throw new ArgumentError(`LivePlots: root must be a rank from 0 to ${comm.size - 1}, got ${describe(options.root)}`);
    for (const k of ['timeUnit', 'title'] as const) if (options[k] !== undefined && typeof options[k] !== 'string') throw new ArgumentError(`LivePlots: ${k} must be a string, got ${describe(options[k])}`);
    this.cadence = new Cadence(checkEvery(options.every ?? { budget: 0.02 }, 'LivePlots'));
    this.comm = comm;
    this.root = root;
    this.dir = dir === null ? null : resolve(dir);
    this.timeUnit = options.timeUnit ?? '';
    this.title = options.title ?? 'simdeck plots';
    warmUpReduction();
    if (comm.rank === root) {
      this.queue = new RenderQueue(q, this.dir, options.publish ?? true, options.lowPriority ?? true);
      process.once('beforeExit', this.onExit);
    }
  }

  private get drawing(): boolean {
    return this.comm.rank === this.root;
  }

  private cadenceOf(name: string, every: Every | undefined, step: number): Cadence {
    let c = this.cadence;
    if (every !== undefined) {
      c = this.cadences.get(name) ?? new Cadence(checkEvery(every, `plot "${name}"`));
      this.cadences.set(name, c);
    }
    if (c.probe(step)) this.startAgreement(c, step);
    return c;
  }

  private caption(s: StepState): string {
    const t = Number(s.time.toPrecision(4));
    return `step ${s.step}, t = ${t}${this.timeUnit ? ` ${this.timeUnit}` : ''}`;
  }

  private checkName(name: unknown, what: string): string {
    if (typeof name !== 'string' || name === '' || name.length > 100) throw new ArgumentError(`${what}: name must be a non-empty string (the plot's name), got ${describe(name)}`);
    if (this.closed) throw new GraphicsError(`${what}: these plots are closed`);
    return name;
  }

  /**
   * Budget mode: the ranks agree on [time spent in graphics so far, elapsed time] (largest over
   * ranks) with a nonblocking allreduce started at the end of a frame and completed at the
   * first plot call of a later step, where every rank applies it, so all take the same decisions
   * without waiting for each other inside the frame.
   */
  private startAgreement(cad: Cadence, step: number): void {
    if (!('budget' in cad.every)) return;
    if (this.pendingAgree !== null && this.pendingAgree.step === step) { this.pendingAgree.cadences.add(cad); return; }
    this.settleAgreement(null);
    this.agreeComm ??= this.comm.dup();
    this.noQuick();
    this.pendingAgree = { req: this.agreeComm.iallreduce([this.cost(), this.elapsed()], Op.MAX), step, cadences: new Set([cad]) };
  }

  /** Applies a pending agreement once the step has moved on (or now, with null). */
  private settleAgreement(step: number | null): void {
    const p = this.pendingAgree;
    if (p === null || (step !== null && step <= p.step)) return;
    const [spent, elapsed] = p.req.wait();
    for (const c of p.cadences) c.agree(p.step, spent, elapsed);
    this.pendingAgree = null;
  }

  /** Run time since the first plot call, less the time this rank spent in set-up frames, ms. */
  private elapsed(): number {
    return this.started === null ? 0 : performance.now() - this.started - this.setup;
  }

  /**
   * Graphics' cost so far on this rank (set-up left out), ms: time in plot calls, plus on the drawing rank the
   * render thread's CPU time, with frames still in the renderer counted at the mean so far.
   */
  private cost(): number {
    if (this.queue === null) return this.spent;
    const perFrame = this.rendered > 0 ? this.renderCpu / this.rendered : 0;
    return this.spent + this.renderCpu + this.queue.pending * perFrame;
  }

  /**
   * Drawing rank: hands the heat maps whose pixels have all arrived to the renderer, in order.
   * With `block` (close) it waits for every image and for room in the queue, so the last frames
   * are drawn, not skipped.
   */
  private pump(block: boolean): void {
    while (this.arriving.length > 0) {
      const a = this.arriving[0];
      if (!block && !a.image.test()) return;
      this.arriving.shift();
      const img = a.image.wait(); // single precision; min and max found by the ranks as they rounded their pixels
      if (block) this.queue!.waitBelow(this.queue!.capacity);
      a.submit(img);
    }
  }

  /** Ends a frame of plot `name`: its time counts as set-up if it was the plot's first frame (setup). */
  private finish(t0: number, name: string, setup: boolean): void {
    const ms = performance.now() - t0;
    if (setup) { this.warm.add(name); this.setup += ms; this.setupFrames++; } else { this.spent += ms; this.frameTimes.push(ms); }
    this.collect();
  }

  /** Keeps an image buffer for a later frame (at most 4); one more goes back to the render queue's image memory. */
  private keepSpare(b: Float64Array | Float32Array): void {
    if (this.spares.length < 4) this.spares.push(b); else this.queue?.release(b);
  }

  private collect(): void {
    if (this.queue === null) return;
    for (const r of this.queue.results()) this.record(r);
  }

  private record(r: RenderResult): void {
    if (r.buffer !== undefined) this.keepSpare(r.buffer);
    if (r.setup === true) this.setupRenderCpu += r.cpuMs;
    else { this.rendered++; this.renderCpu += r.cpuMs; }
    if (r.error !== undefined) { this.failed++; this.firstError ??= r.error; if (this.failed === 1) console.error(`graphics: plot "${r.name}" at step ${r.step} could not be drawn: ${r.error}`); return; }
    this.drawn++;
    this.renderMs += r.ms;
    if (r.file !== null) {
      let list = this.frames.get(r.name);
      if (list === undefined) { list = []; this.frames.set(r.name, list); }
      list.push({ step: r.step, time: r.time, file: r.file });
    }
  }

  /**
   * A heat map of a 2-D field (or a slice, projection or component of a 3-D or multi-component
   * one), reduced to at most `size` pixels per side. Call on every rank every step; returns
   * whether this step made a frame. Collective over the field's grid when a frame is due,
   * otherwise local and nearly free. Throws ArgumentError for bad arguments (on every rank).
   */
  heatmap(name: string, field: DistributedArray, state: StepState, options: FieldPlotOptions = DEFAULT_FIELD): boolean {
    const t0 = performance.now();
    this.started ??= t0;
    // between frames, the plot of the last call that did not draw, every N steps (see `quickName`)
    if (this.quickField === field && this.quickOptions === options && this.quickName === name && this.quickEvery === options.every && typeof state === 'object' && state !== null) {
      // isStepState inline: an integer step, a finite time
      const step = state.step, time = state.time;
      if (typeof step === 'number' && step - step === 0 && Math.floor(step) === step && typeof time === 'number' && time - time === 0 && step % this.quickSteps !== 0) {
        this.spent += performance.now() - t0;
        return false;
      }
    }
    // between frames, the same plot with the same field and options object as a call checked in
    // full: only the state is checked (see `checked`)
    const last = this.checked.get(name);
    // (also while an image is arriving: its pixels are polled first, as the full path does)
    if (this.pendingAgree === null && last?.field === field && last.options === options && isStepState(state)) {
      if (this.arriving.length > 0) this.pump(false);
      const c = this.cadenceOf(name, options.every, state.step);
      if (!c.due(state)) {
        const e = c.every;
        if ('steps' in e && this.arriving.length === 0) {
          this.quickName = name; this.quickField = field; this.quickOptions = options; this.quickEvery = options.every; this.quickSteps = e.steps;
        } else this.noQuick();
        this.spent += performance.now() - t0;
        return false;
      }
    }
    this.checkName(name, 'heatmap');
    if (!isField(field)) throw new ArgumentError(`heatmap "${name}": pass a DistributedArray, got ${describe(field)}`);
    checkState(state, `heatmap "${name}"`);
    checkHeatmapStyle({ ...options, extent: undefined }, `heatmap "${name}"`);
    if (last?.field !== field || last.options !== options) this.checked.set(name, { field, options });
    this.settleAgreement(state.step);
    if (this.arriving.length > 0) this.pump(false);
    const cad = this.cadenceOf(name, options.every, state.step);
    if (!cad.due(state)) { this.spent += performance.now() - t0; return false; }
    const kept = keptDims(field, { ...options, root: this.root }, `heatmap "${name}"`);
    if (kept.length !== 2) throw new ArgumentError(`heatmap "${name}": the region spans ${kept.length} dimension(s) of more than one cell; a heat map needs exactly 2 (use slice or project for 3-D, profile for a line)`);
    this.made++;
    const setup = !this.warm.has(name);
    this.collect();
    const pending = startReduction(field, { ...options, root: this.root }, { detach: true, spares: this.spares, float32: true, alloc32: this.alloc32 });
    if (pending !== null) {
      const ext = options.extent, shape = [...field.globalShape], { step, time } = state, caption = this.caption(state), look = pickStyle(options);
      // drawn once every rank's pixels have arrived: polled at later plot calls, never waited for here
      this.noQuick();
      this.arriving.push({ image: pending, submit: (img) => {
        const sub = (d: number, e0: number, e1: number): [number, number] => {
          const n = shape[img.dims[d]], [c0, c1] = img.cells[d];
          return [e0 + (c0 / n) * (e1 - e0), e0 + (c1 / n) * (e1 - e0)];
        };
        const extent: [number, number, number, number] = ext === undefined ? [...img.cells[0], ...img.cells[1]] : [...sub(0, ext[0], ext[1]), ...sub(1, ext[2], ext[3])];
        const style: HeatmapStyle = { ...look, extent };
        // a frame the queue refuses (skipped) keeps its image buffer here: a later frame fills it
        if (!this.queue!.submit({ kind: 'heatmap', name, step, time, setup, image: { values: img.values, nx: img.shape[0], ny: img.shape[1] }, style, caption, known: [img.min, img.max] })) this.keepSpare(img.values);
      } });
      this.pump(false);
    }
    this.finish(t0, name, setup);
    this.startAgreement(cad, state.step);
    return true;
  }

  /**
   * A profile: the field along a grid line (dimension `axis` through the point `at`), as a line
   * plot. Call on every rank every step; returns whether this step made a frame. Collective
   * when due. Throws ArgumentError for bad arguments.
   */
  profile(name: string, field: DistributedArray, state: StepState, options: ProfileOptions): boolean {
    const t0 = performance.now();
    this.started ??= t0;
    this.checkName(name, 'profile');
    if (!isField(field)) throw new ArgumentError(`profile "${name}": pass a DistributedArray, got ${describe(field)}`);
    checkState(state, `profile "${name}"`);
    const g = field.grid;
    if (typeof options !== 'object' || options === null || !Number.isInteger(options.axis) || options.axis < 0 || options.axis >= g.ndim ||
      !Array.isArray(options.at) || options.at.length !== g.ndim || options.at.some((x, d) => d !== options.axis && (!Number.isInteger(x) || x < 0 || x >= g.shape[d]))) {
      throw new ArgumentError(`profile "${name}": options need axis (0 to ${g.ndim - 1}) and at, a global index of ${g.ndim} integers inside [${g.shape.join(', ')}], got ${describe(options)}`);
    }
    this.settleAgreement(state.step);
    const cad = this.cadenceOf(name, options.every, state.step);
    if (!cad.due(state)) { this.spent += performance.now() - t0; return false; }
    this.made++;
    const setup = !this.warm.has(name);
    const n = g.shape[options.axis];
    const start = options.at.map((x, d) => (d === options.axis ? 0 : x)), end = options.at.map((x, d) => (d === options.axis ? n : x + 1));
    const img = reduceField(field, { region: { start, end }, size: options.size ?? Math.min(n, 4096), pool: options.pool, component: options.component, root: this.root }, undefined, true);
    if (img !== null) {
      const m = img.values.length, [e0, e1] = options.extent ?? [0, n];
      const x = Array.from({ length: m }, (_, p) => e0 + ((Math.floor((p * n) / m) + Math.floor(((p + 1) * n) / m)) / 2 / n) * (e1 - e0));
      const style: LinesStyle = { ...pickLines(options), title: `${options.title ?? name} — ${this.caption(state)}` };
      this.queue!.submit({ kind: 'lines', name, step: state.step, time: state.time, setup, series: [{ name: options.label ?? name, x, y: Array.from(img.values) }], style });
    }
    this.finish(t0, name, setup);
    this.startAgreement(cad, state.step);
    return true;
  }

  /**
   * A time series of scalar diagnostics: records `values` (name → number; compute them with
   * global reductions, so they are the same on every rank) at every call and draws the whole
   * history when the cadence says. Call on every rank. Local: no messages. Throws ArgumentError.
   */
  series(name: string, state: StepState, values: Record<string, number>, options: SeriesOptions = {}): boolean {
    const t0 = performance.now();
    this.started ??= t0;
    this.checkName(name, 'series');
    checkState(state, `series "${name}"`);
    if (typeof values !== 'object' || values === null || Object.values(values).some((v) => typeof v !== 'number')) {
      throw new ArgumentError(`series "${name}": values must be an object of numbers ({ energy: u.sum(), ... }), got ${describe(values)}`);
    }
    if (options.x !== undefined && options.x !== 'time' && options.x !== 'step') throw new ArgumentError(`series "${name}": x must be 'time' or 'step', got ${describe(options.x)}`);
    this.settleAgreement(state.step);
    const cad = this.cadenceOf(name, options.every, state.step);
    const due = cad.due(state);
    const setup = due && !this.warm.has(name);
    if (this.drawing) {
      let h = this.history.get(name);
      if (h === undefined) { h = { steps: [], times: [], values: new Map() }; this.history.set(name, h); }
      const k = h.steps.length;
      h.steps.push(state.step); h.times.push(state.time);
      for (const [key, v] of Object.entries(values)) {
        let arr = h.values.get(key);
        if (arr === undefined) { arr = new Array<number>(k).fill(NaN); h.values.set(key, arr); }
        arr.push(v);
      }
      for (const arr of h.values.values()) if (arr.length < k + 1) arr.push(NaN);
      if (due) {
        const xs = options.x === 'step' ? h.steps : h.times;
        const series: Series[] = [...h.values].map(([key, ys]) => ({ name: key, x: [...xs], y: [...ys] }));
        checkLines(series, options, `series "${name}"`);
        const style: LinesStyle = { xlabel: options.x === 'step' ? 'step' : `time${this.timeUnit ? ` [${this.timeUnit}]` : ''}`, ...pickLines(options), title: `${options.title ?? name} — ${this.caption(state)}` };
        this.queue!.submit({ kind: 'lines', name, step: state.step, time: state.time, setup, series, style });
      }
    }
    if (due) { this.made++; this.finish(t0, name, setup); this.startAgreement(cad, state.step); } else this.spent += performance.now() - t0;
    return due;
  }

  /**
   * A density image of points (particles): every rank passes its own points' coordinates (and
   * optional weights); they are binned in parallel and summed on the drawing rank. Call on every
   * rank every step. Collective over the plots' communicator when due. Throws ArgumentError.
   */
  density(name: string, points: { x: ArrayLike<number>; y: ArrayLike<number>; weight?: ArrayLike<number> }, state: StepState, options: DensityOptions): boolean {
    const t0 = performance.now();
    this.started ??= t0;
    this.checkName(name, 'density');
    checkState(state, `density "${name}"`);
    if (typeof points !== 'object' || points === null) throw new ArgumentError(`density "${name}": points must be { x, y, weight? }, got ${describe(points)}`);
    checkHeatmapStyle({ ...options, extent: undefined }, `density "${name}"`);
    this.settleAgreement(state.step);
    const cad = this.cadenceOf(name, options.every, state.step);
    if (!cad.due(state)) { this.spent += performance.now() - t0; return false; }
    this.made++;
    const setup = !this.warm.has(name);
    const bins = depositPoints(this.comm, points.x, points.y, { ...options, root: this.root }, points.weight);
    if (bins !== null) {
      const s = options.size ?? 256, [nx, ny] = typeof s === 'number' ? [s, s] : s;
      this.queue!.submit({ kind: 'heatmap', name, step: state.step, time: state.time, setup, image: { values: bins, nx, ny }, style: { ...pickStyle(options), extent: options.extent }, caption: this.caption(state) });
    }
    this.finish(t0, name, setup);
    this.startAgreement(cad, state.step);
    return true;
  }

  /** What the plots did so far on this rank (frames made, drawn, skipped, time on the critical path). Local. */
  stats(): PlotStats {
    this.collect();
    const elapsed = this.elapsed();
    const skipped = this.queue?.skipped ?? 0;
    const steady = this.made - this.setupFrames;
    const perFrame = steady > 0 ? this.spent / steady : 0;
    const share = elapsed > 0 ? this.spent / elapsed : 0;
    const costShare = elapsed > 0 ? (this.spent + this.renderCpu) / elapsed : 0;
    const s: PlotStats = {
      frames: this.made, drawn: this.drawn, skipped, raised: this.queue?.raised ?? 0, failed: this.failed, criticalMs: this.spent, perFrameMs: perFrame, share,
      medianFrameMs: this.frameTimes.length > 0 ? [...this.frameTimes].sort((a, b) => a - b)[this.frameTimes.length >> 1] : 0,
      renderMs: this.drawn > 0 ? this.renderMs / this.drawn : 0, renderCpuMs: this.rendered > 0 ? this.renderCpu / this.rendered : 0, costShare,
      setupMs: this.setup, setupRenderCpuMs: this.setupRenderCpu, summary: '',
    };
    if (this.firstError !== undefined) s.firstError = this.firstError;
    s.summary = `${s.frames} frames, ${s.drawn} drawn, ${s.skipped} skipped, ${s.failed} failed; ${(100 * share).toFixed(2)} % of run time (${perFrame.toFixed(1)} ms per frame; set-up ${this.setup.toFixed(0)} ms)`;
    return s;
  }

  /**
   * Ends the plots: completes this rank's outstanding sends and timing agreement, and the
   * drawing rank waits for the renderer to finish the queued frames, writes the gallery
   * (index.html) and stops the worker. Call it on every rank (like a collective); blocking.
   * Returns the final stats.
   */
  close(): PlotStats {
    if (this.closed) return this.stats();
    this.pump(true);
    this.settleAgreement(null);
    settleReductions();
    this.finishDrawing();
    const s = this.stats();
    this.closed = true;
    this.checked.clear();
    this.noQuick();
    return s;
  }

  /** The drawing rank: waits for the renderer, writes the gallery, stops the worker (also at process exit if close() was forgotten). */
  private finishDrawing(): void {
    if (this.queue !== null) {
      process.removeListener('beforeExit', this.onExit);
      this.queue.drain();
      this.collect();
      if (this.dir !== null && this.frames.size > 0) {
        for (const list of this.frames.values()) list.sort((a, b) => a.step - b.step);
        // plots by name: the order frames came back in depends on timing (a heat map is drawn once its pixels arrive)
        const byName = new Map([...this.frames].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        writeAtomic(`${this.dir}/index.html`, galleryHtml(this.title, byName));
      }
      this.queue.close();
    }
  }
}

function pickStyle(o: Omit<HeatmapStyle, 'extent'>): Omit<HeatmapStyle, 'extent'> {
  const { title, colormap, range, label, unit, xlabel, ylabel, plotSize } = o;
  return strip({ title, colormap, range, label, unit, xlabel, ylabel, plotSize });
}

function pickLines(o: LinesStyle): LinesStyle {
  const { title, xlabel, ylabel, logX, logY, legend, width, height } = o;
  return strip({ title, xlabel, ylabel, logX, logY, legend, width, height });
}

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
