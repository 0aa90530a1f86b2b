/**
 * The words rank 0's main thread and the steering server's worker share (an Int32Array over a
 * SharedArrayBuffer), and the messages they exchange over their MessageChannel. The worker
 * posts a request on the port, then counts it in REQUESTS and rings DOORBELL (Atomics.notify),
 * so the main thread can tell "nothing new" with one Atomics.load and sleep in Atomics.wait.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ParamDescription, SteerReply, SteerRequest, SteerStatus } from '../link.js';

/** Word indices in the shared Int32Array. */
export const W = {
  /** Bumped (and notified) by the worker whenever the main thread has something to look at. */
  DOORBELL: 0,
  /** Requests the worker has posted so far. */
  REQUESTS: 1,
  /** Statuses the worker has taken from the port (the main thread posts the next one only once the last is taken). */
  STATUS_TAKEN: 2,
  /** Set to 1 by the worker once its server is closed (the main thread waits for it in close()). */
  CLOSED: 3,
  /** Connected clients (the main thread publishes status only while there are some). */
  CLIENTS: 4,
} as const;

/** Size of the shared array in 32-bit words. */
export const SHARED_WORDS = 8;

/** Main thread to worker. */
export type ToWorker =
  | { type: 'status'; status: SteerStatus }
  | { type: 'reply'; reply: SteerReply }
  | { type: 'announce'; params: ParamDescription[] }
  | { type: 'close' };

/** Worker to main thread, on the port: requests only (in arrival order). */
export type ToMain = SteerRequest;

/** What the worker is started with. */
export interface WorkerConfig {
  host: string;
  port: number;
  token: string;
  remote: boolean;
  params: ParamDescription[];
  shared: SharedArrayBuffer;
  port2: MessagePort;
  /** Directory of the dashboard's static files. */
  staticDir: string;
  /** What the dashboard shows as the job's name. */
  title: string;
}

/** First message of the worker: where it listens, or why it could not. */
export type WorkerStarted = { ok: true; host: string; port: number } | { ok: false; error: string };
