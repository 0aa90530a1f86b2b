/**
 * Rank 0's end of the steering link: starts the steering server (ws + node:http) in a worker
 * thread, because the deck's main thread is busy in synchronous code, and gives the simulation
 * loop a SteeringLink whose `poll()` costs one Atomics.load when nothing arrived and whose
 * `waitForCommands(ms)` sleeps in Atomics.wait (no CPU while a job is paused).
 *
 * Status is latest-wins: while a client is connected (a shared word the worker keeps), and the
 * worker has taken the last status, `wantsStatus()` says yes at most 10 times a second; the loop
 * builds a status only then or when the run changes state (running, paused, ...), and
 * `publishStatus` hands it to the worker, which encodes it (JSON) and sends it. The server thread
 * wakes only for what it must send or receive (no timer of its own), and with nobody connected
 * the loop builds no status at all. A slow or vanished client never stalls the loop.
 */
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { ArgumentError, describe } from '../../errors.js';
import type { ParamDescription, SteeringLink, SteerReply, SteerRequest, SteerStatus } from '../link.js';
import { SteeringServerError } from './errors.js';
import { removeJobFile, writeJobFile } from './jobFile.js';
import { isLoopback, newToken } from './security.js';
import { SHARED_WORDS, W, type ToWorker, type WorkerConfig, type WorkerStarted } from './shared.js';
import { unboundThreads } from '../../system/libc.js';

/** Options of {@link openSteeringLink}. */
export interface SteeringLinkOptions {
  /** The steerable parameters, for the dashboard's form. */
  params: ParamDescription[];
  /** Address to bind: default SIMDECK_STEER_HOST, else 127.0.0.1. A non-loopback address needs `allowRemote`. */
  host?: string;
  /** Port: default SIMDECK_STEER_PORT, else 0 (a free port). */
  port?: number;
  /** Allows a non-loopback address. Default: true when SIMDECK_STEER_HOST is set (`simdeck run --steer-host`), else false. */
  allowRemote?: boolean;
}

/** The environment variables `simdeck run --steer`/`--steer-host` set for a job. */
export const STEER_ENV = { STEER: 'SIMDECK_STEER', HOST: 'SIMDECK_STEER_HOST', PORT: 'SIMDECK_STEER_PORT' } as const;

const here = dirname(fileURLToPath(import.meta.url));
/** The dashboard's static files ship as sources: <package>/src/steer/server/dashboard. */
const staticDir = resolve(here, '..', '..', '..', '..', 'src', 'steer', 'server', 'dashboard');

function checkOptions(options: SteeringLinkOptions): { host: string; port: number; remote: boolean } {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.params)) {
    throw new ArgumentError(`openSteeringLink needs { params: ParamDescription[] }, got ${describe(options)}`);
  }
  const env = process.env;
  const host = options.host ?? (env[STEER_ENV.HOST] || '127.0.0.1');
  if (typeof host !== 'string' || host === '' || /[\s/]/.test(host)) throw new ArgumentError(`steering host must be an address such as 127.0.0.1, got ${describe(host)}`);
  const rawPort = options.port ?? (env[STEER_ENV.PORT] ? Number(env[STEER_ENV.PORT]) : 0);
  if (!Number.isInteger(rawPort) || rawPort < 0 || rawPort > 65535) {
    throw new ArgumentError(`steering port must be a whole number from 0 (any free port) to 65535, got ${describe(options.port ?? env[STEER_ENV.PORT])}`);
  }
  const remote = !isLoopback(host);
  const allowed = options.allowRemote ?? Boolean(env[STEER_ENV.HOST]);
  if (remote && !allowed) {
    throw new ArgumentError(`the steering server binds only loopback addresses unless asked: ${host} is not loopback; ` +
      'pass --steer-host ADDR to simdeck run (or allowRemote: true) to accept connections from other machines');
  }
  return { host, port: rawPort, remote };
}

/**
 * Starts the steering server on this rank (call it on rank 0 only) and resolves to the link the
 * loop uses. Writes the job file `simdeck attach` reads. Throws ArgumentError for bad options
 * (a non-loopback host without allowRemote), SteeringServerError when the server cannot listen.
 */
export async function openSteeringLink(options: SteeringLinkOptions): Promise<SteeringLink> {
  const { host, port, remote } = checkOptions(options);
  const shared = new SharedArrayBuffer(SHARED_WORDS * 4);
  const words = new Int32Array(shared);
  const { port1, port2 } = new MessageChannel();
  const token = newToken();
  const title = basename(process.argv[1] ?? 'deck');
  const config: WorkerConfig = { host, port, token, remote, params: options.params, shared, port2, staticDir, title };
  const worker = unboundThreads(() => new Worker(new URL('./worker.js', import.meta.url), { workerData: config, transferList: [port2] }));
  const started = await new Promise<WorkerStarted>((done) => {
    worker.once('message', (m: WorkerStarted) => done(m));
    worker.once('error', (e) => done({ ok: false, error: e.message }));
    worker.once('exit', (code) => done({ ok: false, error: `the server thread exited (status ${code})` }));
  });
  if (!started.ok) {
    await worker.terminate();
    throw new SteeringServerError(`the steering server cannot start on ${host}:${port}: ${started.error}`);
  }
  worker.removeAllListeners('exit');
  worker.removeAllListeners('error');
  worker.on('error', (e) => process.stderr.write(`simdeck: steering server: ${e.message}\n`));
  worker.unref(); // never keeps the rank alive
  const shown = started.host.includes(':') ? `[${started.host}]` : started.host;
  const base = `http://${shown}:${started.port}`;
  const url = `${base}/?token=${token}`;
  const jobFile = writeJobFile({
    url, ws: `ws://${shown}:${started.port}/ws?token=${token}`, token, pid: process.pid, deck: title,
    host: started.host, port: started.port, started: new Date().toISOString(),
  });
  return new WorkerLink(url, worker, port1, words, jobFile, remote);
}

/** Milliseconds between statuses while clients are connected (10 Hz). */
const STATUS_PERIOD_MS = 100;

/** The SteeringLink over a worker thread (see the module comment). */
class WorkerLink implements SteeringLink {
  private seenBell = 0;
  /** Statuses posted to the worker (compared with what it took: one in flight at most, unless the state changes). */
  private posted = 0;
  private lastSent = -Infinity;
  private taken = 0;
  private latest: SteerStatus | null = null;
  private sentState: SteerStatus['state'] | null = null;
  /** The latest status has not been handed to the worker yet. */
  private unsent = false;
  private closed = false;
  private readonly onExit: () => void;

  constructor(
    readonly url: string,
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly words: Int32Array,
    private readonly jobFile: string,
    readonly remote: boolean,
  ) {
    this.onExit = () => removeJobFile(jobFile);
    process.on('exit', this.onExit);
  }

  private post(message: ToWorker): void {
    if (!this.closed) this.port.postMessage(message);
  }

  poll(): SteerRequest[] {
    const bell = Atomics.load(this.words, W.DOORBELL);
    if (bell === this.seenBell) return [];
    const out: SteerRequest[] = [];
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      out.push(m.message as SteerRequest);
    }
    this.taken += out.length;
    // A request counted but not yet visible on the port is picked up by the next call.
    if (this.taken >= Atomics.load(this.words, W.REQUESTS)) this.seenBell = bell;
    return out;
  }

  waitForCommands(timeoutMs: number): SteerRequest[] {
    // About to sleep: clients get the status the loop stopped at, even if latest-wins skipped it.
    if (this.unsent && this.latest !== null) this.sendStatus(this.latest);
    const end = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      const got = this.poll();
      if (got.length > 0 || this.closed) return got;
      const left = end - Date.now();
      if (left <= 0) return got;
      Atomics.wait(this.words, W.DOORBELL, this.seenBell, left);
    }
  }

  wantsStatus(): boolean {
    const words = this.words;
    return Atomics.load(words, W.CLIENTS) > 0 && Atomics.load(words, W.STATUS_TAKEN) === this.posted
      && performance.now() - this.lastSent >= STATUS_PERIOD_MS;
  }

  publishStatus(status: SteerStatus): void {
    this.latest = status;
    if (status.state !== this.sentState || this.wantsStatus()) this.sendStatus(status);
    else this.unsent = true;
  }

  private sendStatus(status: SteerStatus): void {
    this.posted++;
    this.lastSent = performance.now();
    this.sentState = status.state;
    this.unsent = false;
    this.post({ type: 'status', status });
  }

  reply(reply: SteerReply): void {
    this.post({ type: 'reply', reply });
  }

  announce(params: ParamDescription[]): void {
    this.post({ type: 'announce', params });
  }

  close(): void {
    if (this.closed) return;
    if (this.latest !== null && this.unsent) this.sendStatus(this.latest);
    this.post({ type: 'close' });
    this.closed = true;
    removeJobFile(this.jobFile);
    process.off('exit', this.onExit);
    // Let the worker tell clients the run ended and close its sockets (bounded: never hangs the rank).
    Atomics.wait(this.words, W.CLOSED, 0, 2000);
    void this.worker.terminate();
  }
}
