/**
 * The deck thread's side of the helper thread (helperThread.ts): posts requests and waits for
 * replies without an event loop, by sleeping on a shared counter the helper bumps. While it
 * waits, an idle hook (set by the scheduler on rank 0) keeps serving the other ranks.
 */
import { existsSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { HelperReply, HelperRequest } from './helperProtocol.js';
import { unboundThreads } from '../system/libc.js';

type Request = HelperRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

class Helper {
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly replies = new Map<number, HelperReply>();
  private nextId = 1;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    let script = new URL('./helperThread.js', import.meta.url);
    // Under vitest the sources run as .ts: use the built copy next to them.
    if (!existsSync(script)) script = new URL('../../dist/src/farm/helperThread.js', import.meta.url);
    const worker = unboundThreads(() => new Worker(script, { workerData: { port: port2, flag: this.flag }, transferList: [port2] }));
    worker.unref();
    this.port = port1;
    port1.unref();
  }

  /** Posts a request; returns its id. Non-blocking. */
  post(req: Request): number {
    const id = this.nextId++;
    this.port.postMessage({ ...req, id });
    return id;
  }

  /** Posts a message that gets no reply (shared data). */
  tell(msg: HelperRequest): void {
    this.port.postMessage(msg);
  }

  /** The reply to `id` if it has arrived (removed from the store); undefined otherwise. Non-blocking. */
  take(id: number): HelperReply | undefined {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const r = m.message as HelperReply;
      this.replies.set(r.id, r);
    }
    const r = this.replies.get(id);
    if (r !== undefined) this.replies.delete(id);
    return r;
  }

  /**
   * Blocks until the reply to `id` arrives and returns it. Without an idle hook it sleeps on the
   * counter; with one (rank 0 scheduling) it calls the hook about every millisecond.
   */
  wait(id: number): HelperReply {
    for (;;) {
      const seen = Atomics.load(this.flag, 0);
      const r = this.take(id);
      if (r !== undefined) return r;
      if (idleHook !== null) {
        idleHook();
        Atomics.wait(this.flag, 0, seen, 1);
      } else {
        Atomics.wait(this.flag, 0, seen, 1000);
      }
    }
  }
}

let helper: Helper | null = null;
let idleHook: (() => void) | null = null;

/** This process's helper thread, started on first use. */
export function theHelper(): Helper {
  return (helper ??= new Helper());
}

/** Whether the helper thread has been started (nothing to stop otherwise). */
export function helperStarted(): boolean {
  return helper !== null;
}

/** Sets (or clears, with null) what a rank does while it waits for its helper: rank 0 serves requests. Returns the previous hook. */
export function setIdleHook(hook: (() => void) | null): (() => void) | null {
  const previous = idleHook;
  idleHook = hook;
  return previous;
}
