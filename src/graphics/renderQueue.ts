/**
 * The drawing rank's side of the render worker: a bounded queue of frames. submit() hands a
 * frame over without waiting, or refuses it (the caller counts a skipped frame) when `capacity`
 * frames are already waiting or being drawn, so a slow renderer never stalls the run. Results
 * come back through a MessagePort read with receiveMessageOnPort (no event loop needed);
 * drain() blocks with Atomics.wait until the worker has finished everything.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { HeatmapStyle, Image2D } from './heatmapFigure.js';
import { ImageMemory } from './imageMemory.js';
import type { LinesStyle, Series } from './linesFigure.js';
import { setThreadNice, unboundThreads } from '../system/libc.js';

/** A frame to draw; `setup` marks a plot's first frame (its cost is one-time set-up, reported apart). */
export type RenderJob = { name: string; step: number; time: number; setup?: boolean } & (
  | { kind: 'heatmap'; image: Image2D; style: HeatmapStyle; caption: string; known?: [number, number] }
  | { kind: 'lines'; series: Series[]; style: LinesStyle });

/** What became of a frame. */
export interface RenderResult {
  name: string;
  step: number;
  time: number;
  /** File name in the output directory, or null (no directory, or failed). */
  file: string | null;
  /** Time the worker took to draw, encode and write it (wall clock). */
  ms: number;
  /** CPU time the worker's thread used for it (the wall time where a thread's CPU time cannot be read). */
  cpuMs: number;
  bytes: number;
  error?: string;
  /** The job's `setup` mark, handed back. */
  setup?: boolean;
  /** A heat map's image buffer when it is shared memory (a live plot's), handed back for reuse. */
  buffer?: Float64Array | Float32Array;
}

/** The compiled worker script (dist/src/graphics/renderWorker.js), also when this module runs from sources. */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'renderWorker.js');
  if (existsSync(beside)) return beside;
  return join(resolve(here, '..', '..'), 'dist', 'src', 'graphics', 'renderWorker.js');
}

/**
 * The shared words of a render queue (Int32Array indices): frames waiting or being drawn, the
 * worker's kernel thread id (0 until it has started), and its scheduling state (see WORKER_*).
 */
export const IN_FLIGHT = 0, WORKER_TID = 1, WORKER_SCHED = 2;
/** WORKER_SCHED: the worker runs SCHED_IDLE, was raised to nice 19, or is never moved (not idle, or the kernel refused to raise it). */
export const SCHED_AT_IDLE = 0, SCHED_RAISED = 1, SCHED_FIXED = 2;
/** The nice value a SCHED_IDLE render worker is raised to while frames wait. */
export const RAISED_NICE = 19;

/**
 * Raises the render worker of the queue whose shared words are `words` from SCHED_IDLE to nice 19
 * when it is at SCHED_IDLE and has posted its thread id (state SCHED_AT_IDLE -> SCHED_RAISED);
 * where the kernel refuses, marks it SCHED_FIXED so that it is not tried again. Called by the
 * drawing rank (RenderQueue.hurry) and by the worker itself (a frame queued while it went back to
 * SCHED_IDLE). Returns whether it raised it. Never blocks or throws.
 */
export function raiseIdleWorker(words: Int32Array): boolean {
  const tid = Atomics.load(words, WORKER_TID);
  if (tid <= 0 || Atomics.compareExchange(words, WORKER_SCHED, SCHED_AT_IDLE, SCHED_RAISED) !== SCHED_AT_IDLE) return false;
  if (setThreadNice(tid, RAISED_NICE)) return true;
  Atomics.store(words, WORKER_SCHED, SCHED_FIXED);
  return false;
}

/** A render worker thread and its bounded queue. */
export class RenderQueue {
  private worker: Worker;
  private port: MessagePort;
  private inFlight: Int32Array;
  /** Times the worker was raised from SCHED_IDLE because a frame was queued behind another. */
  raised = 0;
  /** Shared memory for live images, which the worker reads in place (null where WebAssembly cannot have it). */
  private readonly images = ImageMemory.create();
  /** Frames refused because the queue was full. */
  skipped = 0;
  /** Frames queued, and results read: the worker posts a frame's result before it leaves inFlight. */
  private queued = 0;
  private read = 0;

  constructor(readonly capacity: number, dir: string | null, publish: boolean, lowPriority: boolean) {
    const counters = new SharedArrayBuffer(12);
    this.inFlight = new Int32Array(counters);
    this.inFlight[WORKER_SCHED] = SCHED_FIXED; // until the worker has gone SCHED_IDLE
    const { port1, port2 } = new MessageChannel();
    this.port = port2;
    this.worker = unboundThreads(() => new Worker(workerScript(), { workerData: { counters, results: port1, dir, publish, lowPriority, images: this.images?.memory ?? null }, transferList: [port1] }));
    this.worker.unref();
    this.port.unref();
  }

  /**
   * Queues a frame and returns true, or returns false (and counts a skip) when the queue is
   * full. Never blocks; a frame queued behind another raises a SCHED_IDLE worker to nice 19
   * (see hurry). Nothing is transferred: a heat map's image in a SharedArrayBuffer (a
   * live plot's) is shared with the worker, any other is copied. The first transfer (detach) of
   * an ArrayBuffer in a thread makes V8 throw away the typed-array code it compiled and compile
   * every later typed-array loop with a check for detached buffers: after a live plot's first
   * frame the drawing rank's 4 × 4 pooling ran at about 2.0 instead of 1.3 ms per 512 × 256
   * pixels (thread CPU, the same loop with and without one detach first), and the frame after
   * the first ran it unoptimised (5.5-8 ms).
   */
  submit(job: RenderJob): boolean {
    if (Atomics.load(this.inFlight, IN_FLIGHT) >= this.capacity) { this.skipped++; return false; }
    const waiting = Atomics.add(this.inFlight, IN_FLIGHT, 1) + 1;
    this.worker.postMessage(job);
    this.queued++;
    if (waiting >= 2) this.hurry();
    return true;
  }

  /**
   * A frame was queued behind another: a SCHED_IDLE worker (the low-priority default) has found
   * no idle core since the last frame, as when both ranks keep both cores busy, and would skip
   * the next frames. It is raised to SCHED_OTHER at nice 19, where it takes a small share of a
   * busy core, until the queue is empty again (the worker then goes back to SCHED_IDLE itself).
   * Where the kernel refuses (leaving SCHED_IDLE needs CAP_SYS_NICE or an RLIMIT_NICE that
   * allows nice 19), the worker stays SCHED_IDLE and this is not tried again.
   */
  private hurry(): void {
    if (raiseIdleWorker(this.inFlight)) this.raised++;
  }

  /** The worker's kernel thread id (Linux), once it has started, else null. */
  get workerThread(): number | null {
    const tid = Atomics.load(this.inFlight, WORKER_TID);
    return tid > 0 ? tid : null;
  }

  /**
   * A zeroed Float32Array of `n` elements for a live image, in the memory the worker reads in
   * place (its palette entries then come from the WebAssembly kernel, see imageMemory.ts), or in
   * a SharedArrayBuffer where that memory is missing or full. Local.
   */
  alloc32(n: number): Float32Array {
    return this.images?.alloc32(n) ?? new Float32Array(new SharedArrayBuffer(4 * n));
  }

  /** Gives back a live image from alloc32 that the caller no longer keeps (its memory is reused by a later alloc32). Local. */
  release(values: Float32Array | Float64Array): void {
    this.images?.release(values);
  }

  /**
   * Results that arrived since the last call. Never blocks. The port is read only when a frame
   * has left the queue since (its result is then posted): an empty read cost about 10 µs at a
   * live plot's drawing step.
   */
  results(): RenderResult[] {
    const out: RenderResult[] = [];
    if (this.queued - this.read <= Atomics.load(this.inFlight, IN_FLIGHT)) return out;
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) out.push(m.message as RenderResult);
    this.read += out.length;
    return out;
  }

  /** Frames waiting or being drawn. */
  get pending(): number {
    return Atomics.load(this.inFlight, IN_FLIGHT);
  }

  /** Blocks until every queued frame is drawn or `timeoutMs` pass; returns whether the queue emptied. */
  drain(timeoutMs = 120_000): boolean {
    return this.waitBelow(1, timeoutMs);
  }

  /** Blocks until fewer than `n` frames are waiting or being drawn, or `timeoutMs` pass; returns whether they are. */
  waitBelow(limit: number, timeoutMs = 120_000): boolean {
    const end = performance.now() + timeoutMs;
    for (let n = Atomics.load(this.inFlight, IN_FLIGHT); n >= limit; n = Atomics.load(this.inFlight, IN_FLIGHT)) {
      const left = end - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.inFlight, IN_FLIGHT, n, Math.min(left, 1000));
    }
    return true;
  }

  /** Stops the worker (after drain()). */
  close(): void {
    void this.worker.terminate();
    this.port.close();
  }
}
