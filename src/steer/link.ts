/**
 * The contract between the simulation loop (deck's main thread, rank 0) and the steering server
 * (a worker thread on rank 0). The server validates every frame from the network (shape, size)
 * before anything here sees it; the loop validates values against the parameter schema, applies
 * accepted commands on every rank at the next step boundary, and replies.
 *
 * The loop never blocks on the link while running: `poll()` returns at once. While paused it
 * sleeps in `waitForCommands(ms)` (no CPU: Atomics.wait on memory the server notifies).
 */

/** What a client can ask for. `eval` evaluates an expression on every rank at the next boundary. */
export type SteerCommand =
  | { kind: 'set'; name: string; value: number | string | boolean }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'step'; count: number }
  | { kind: 'stop' }
  | { kind: 'checkpoint' }
  | { kind: 'eval'; expr: string };

/** A command with the id the server gave it and who sent it ("browser", "attach", "replay", ...). */
export interface SteerRequest {
  id: number;
  source: string;
  command: SteerCommand;
}

/** The loop's answer to one request, sent back to the client that made it. */
export type SteerReply =
  | { id: number; ok: true; seq: number; step: number; time: number; answers?: unknown[] }
  | { id: number; ok: false; error: string };

/** One steerable parameter as the dashboard needs it to build its form. */
export interface ParamDescription {
  name: string;
  type: 'number' | 'integer' | 'boolean' | 'string';
  value: number | string | boolean;
  min?: number;
  max?: number;
  unit?: string;
  choices?: readonly string[];
  description?: string;
}

/** One phase's timer across ranks, in seconds: each rank's total time in the phase, and the largest count of calls. */
export interface TimerSummary {
  name: string;
  calls: number;
  /** The smallest rank's total. */
  min: number;
  /** The mean over ranks of each rank's total (not per call: divide by `calls` for that). */
  mean: number;
  /** The largest rank's total. */
  max: number;
}

/** The loop's state as clients see it; published latest-wins (a slow client never stalls the loop). */
export interface SteerStatus {
  step: number;
  time: number;
  dt: number;
  wall: number;
  stepsPerSecond: number;
  /** Seconds to the nearest stop criterion, when one can be estimated. */
  eta: number | null;
  state: 'running' | 'paused' | 'stopping' | 'finished';
  params: Record<string, number | string | boolean>;
  timers: TimerSummary[];
  /** Recent log lines (JSON lines of the command log, times rounded to 12 significant digits). */
  log?: string[];
}

/** Rank 0's end of the steering link. */
export interface SteeringLink {
  /** The URL (with token) clients use; also written to the job file for `simdeck attach`. */
  readonly url: string;
  /** Non-blocking: the requests that arrived since the last call, in arrival order. */
  poll(): SteerRequest[];
  /** Blocks up to `timeoutMs` (without using CPU) until a request arrives; returns them (maybe none). */
  waitForCommands(timeoutMs: number): SteerRequest[];
  /** Latest-wins status for every connected client. Non-blocking. */
  publishStatus(status: SteerStatus): void;
  /**
   * Optional, non-blocking: whether a client waits for a fresh status. When a link has it, the
   * loop builds and publishes a status only when this is true or the run changes state (so with
   * no client connected it builds none); without it, the loop publishes at most 10 times a second.
   */
  wantsStatus?(): boolean;
  /** Sends the answer to one request. Non-blocking. */
  reply(reply: SteerReply): void;
  /** Tells clients the parameter schema (once at start, again if it changes). Non-blocking. */
  announce(params: ParamDescription[]): void;
  /** Stops the server and removes the job file. */
  close(): void;
}
