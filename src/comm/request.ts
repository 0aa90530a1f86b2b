/**
 * Request: the handle of a nonblocking operation (isend, irecv, ibarrier, ...). Keep the buffers
 * of a pending request referenced and unchanged until it completes.
 */
import { ArgumentError, unboundCall } from '../errors.js';
import type { Transport, TransportRequest } from '../transport/transport.js';
import { checkStatus, Status } from './status.js';

/** How a request advances and what it yields; internal to the comm layer. */
export interface RequestEngine<T> {
  /** Makes what progress is possible without blocking; true once complete. Throws on failure. */
  advance(): boolean;
  /** The result once complete (the received value for receives, undefined for sends). */
  result(status: Status | null): T;
  /** The transport request being waited for, for hang diagnosis (null for compound operations). */
  pending(): TransportRequest | null;
}

/** A pending nonblocking operation. */
export class Request<T = unknown> {
  private finished = false;
  private value_: T | undefined = undefined;

  /** @internal */
  constructor(private readonly transport: Transport, private readonly engine: RequestEngine<T>) {
    if (typeof engine !== 'object' || engine === null || typeof engine.advance !== 'function') {
      throw new ArgumentError('a Request is not made with `new Request(...)`: it comes from isend, irecv, ibarrier, ibcast, ...');
    }
  }

  /** Non-blocking: makes progress and tells whether the operation has completed. Throws its error if it failed. */
  test(status?: Status): boolean {
    if (!(this instanceof Request)) throw unboundCall('Request', 'test', 'request');
    checkStatus(status, 'Request.test');
    if (this.finished) return true;
    this.transport.progress();
    if (!this.engine.advance()) return false;
    this.finish(status ?? null);
    return true;
  }

  /**
   * Blocks until the operation completes and returns its result: the received value for
   * receives, undefined for sends. A Status passed in is filled. Throws the operation's error.
   * Before returning, hands over what this rank queued (see Transport.handOver).
   */
  wait(status?: Status): T {
    if (!(this instanceof Request)) throw unboundCall('Request', 'wait', 'request');
    checkStatus(status, 'Request.wait');
    if (!this.finished) {
      const engine = this.engine;
      if (!engine.advance()) this.transport.block(() => engine.advance(), engine.pending());
      this.finish(status ?? null);
      this.transport.handOver(); // a completed send may still sit in this rank's queue
    }
    return this.value_ as T;
  }

  /** True once the request has completed (after test() or wait()). */
  get done(): boolean {
    return this.finished;
  }

  /** The result, once completed; undefined before. */
  get value(): T | undefined {
    return this.value_;
  }

  private finish(status: Status | null): void {
    this.value_ = this.engine.result(status);
    this.finished = true;
  }

  /** Blocks until every request completes; returns their results in order. Throws the first error. */
  static waitAll<T>(requests: readonly Request<T>[]): T[] {
    checkRequests(requests, 'Request.waitAll');
    if (requests.length === 0) return [];
    const transport = requests[0].transport;
    const allDone = () => {
      let all = true;
      for (const r of requests) if (!r.finished && !r.engine.advance()) all = false;
      return all;
    };
    if (!allDone()) transport.block(allDone, firstPending(requests));
    return requests.map((r) => r.wait());
  }

  /**
   * Blocks until at least one of the requests completes; returns its index and result (index -1
   * and undefined for an empty list). Requests already completed by an earlier wait are skipped.
   */
  static waitAny<T>(requests: readonly Request<T>[], status?: Status): { index: number; value: T | undefined } {
    checkRequests(requests, 'Request.waitAny');
    checkStatus(status, 'Request.waitAny');
    const live = requests.filter((r) => !r.finished);
    if (live.length === 0) return { index: -1, value: undefined };
    let index = -1;
    const anyDone = () => {
      for (let i = 0; i < requests.length; i++) {
        const r = requests[i];
        if (!r.finished && r.engine.advance()) { index = i; return true; }
      }
      return false;
    };
    if (!anyDone()) live[0].transport.block(anyDone, firstPending(live));
    const value = requests[index].wait(status);
    return { index, value };
  }

  /** Non-blocking: true when every request has completed. */
  static testAll(requests: readonly Request[]): boolean {
    checkRequests(requests, 'Request.testAll');
    let all = true;
    for (const r of requests) if (!r.test()) all = false;
    return all;
  }
}

function firstPending(requests: readonly Request<unknown>[]): TransportRequest | null {
  for (const r of requests) {
    const p = (r as unknown as { engine: RequestEngine<unknown> }).engine.pending();
    if (p !== null) return p;
  }
  return null;
}

function checkRequests(requests: unknown, what: string): void {
  if (!Array.isArray(requests) || requests.some((r) => !(r instanceof Request))) {
    throw new ArgumentError(`${what} takes an array of Request objects (from isend, irecv, ibarrier, ...)`);
  }
}
