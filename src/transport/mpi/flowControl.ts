/**
 * Flow control of the MPI transport. MPI buffers only a few dozen unreceived small messages per
 * receiver; past that MPI_Send blocks until the receiver calls MPI, and a sender blocked inside
 * MPI_Send makes no simdeck progress. So each sender holds credits per destination: an envelope
 * costs one, the receiver gives them back as it takes envelopes out of MPI, and messages
 * without credit wait in a queue at the sender (copied while the pair's buffer has room, so the
 * send completes). This module keeps that bookkeeping; the transport sends and receives.
 */
import type { Req } from './bulk.js';

/**
 * Envelopes a sender may have in MPI towards one receiver. MPI blocks a sender once a few dozen
 * envelopes wait at a receiver that is busy elsewhere: MPICH 4.0 (UCX shared memory) counts
 * them over all senders together, and frees its queue in halves, so that as few as ~32 fit
 * (measured: a sender blocked at the 37th with 4 senders), Open MPI 4.1 counts per pair. So a
 * budget of {@link RECEIVER_BUDGET} data envelopes per receiver, leaving room for control
 * envelopes, is split among the senders: 16 each for 2 ranks, 9 for 3, 5 for 4, 4 for 5, 2 from
 * 8 ranks on (past ~12 senders flooding one busy rank, MPI_Send may again wait for it, as with
 * plain MPI).
 */
export function creditsFor(size: number): number {
  return Math.max(2, Math.min(16, Math.floor(RECEIVER_BUDGET / Math.max(1, size - 1)) - 1));
}
const RECEIVER_BUDGET = 20;
/** An envelope waiting for credit. */
export interface Outgoing {
  kind: number;
  req: Req;
  /** The payload (a copy when `buffered`). */
  data: Uint8Array;
  buffered: boolean;
}

/** One rank's credits towards, and queues for, every other rank. */
export class FlowControl {
  /** Credits left towards each destination. */
  readonly credits: Int32Array;
  /** Credits owed back to each sender (envelopes taken from it since the last give-back). */
  readonly returned: Int32Array;
  /** A receiver gives credits back once it holds this many (sooner to a sender with a backlog, or while it waits). */
  readonly returnAt: number;
  /** Messages waiting for credit, per destination, and the bytes of those copied. */
  readonly queues: Outgoing[][];
  readonly queuedBytes: Float64Array;
  /** Destinations with a non-empty queue. */
  backlogged = 0;
  /** Destinations whose credit ran out and may not have come back yet (the transport settles them before a blocking call returns). */
  readonly starved = new Set<number>();
  /** Per destination: how many queued messages each context has; contexts whose backlog was announced. */
  private readonly queuedByContext: (Map<number, number> | null)[];
  private readonly announced: (Set<number> | null)[];

  constructor(size: number) {
    const credits = creditsFor(size);
    this.credits = new Int32Array(size).fill(credits);
    this.returnAt = Math.ceil(credits / 2);
    this.returned = new Int32Array(size);
    this.queues = Array.from({ length: size }, () => []);
    this.queuedBytes = new Float64Array(size);
    this.queuedByContext = new Array<Map<number, number> | null>(size).fill(null);
    this.announced = new Array<Set<number> | null>(size).fill(null);
  }

  /** Whether a message to `dest` can go now: nothing queued before it and a credit left. */
  open(dest: number): boolean {
    return this.queues[dest].length === 0 && this.credits[dest] > 0;
  }

  /** Uses one credit towards `dest`; a destination left without credit is starved. */
  spend(dest: number): void {
    if (--this.credits[dest] === 0) this.starved.add(dest);
  }

  /** Queues a message for lack of credit. Returns true when `dest` must be told of a backlog on its context. */
  enqueue(dest: number, o: Outgoing): boolean {
    const queue = this.queues[dest];
    if (queue.length === 0) this.backlogged++;
    this.starved.add(dest);
    if (o.buffered) this.queuedBytes[dest] += o.req.bytes;
    queue.push(o);
    const context = o.req.context;
    const counts = this.queuedByContext[dest] ??= new Map();
    counts.set(context, (counts.get(context) ?? 0) + 1);
    const told = this.announced[dest] ??= new Set();
    if (told.has(context)) return false;
    told.add(context);
    return true;
  }

  /**
   * The next queued message to `dest` when a credit is left for it (spent here), with how many
   * messages of its context still follow it; null otherwise.
   */
  next(dest: number): { o: Outgoing; behind: number } | null {
    const queue = this.queues[dest];
    if (queue.length === 0 || this.credits[dest] <= 0) return null;
    const o = queue.shift()!;
    if (queue.length === 0) this.backlogged--;
    this.spend(dest);
    const counts = this.queuedByContext[dest]!;
    const ctx = o.req.context;
    const behind = counts.get(ctx)! - 1;
    if (behind === 0) {
      counts.delete(ctx);
      this.announced[dest]!.delete(ctx);
    } else {
      counts.set(ctx, behind);
    }
    if (o.buffered) this.queuedBytes[dest] -= o.req.bytes;
    return { o, behind };
  }

  /** `dest` finished its deck: its queued messages can never be received; they are dropped (their sends complete). */
  drop(dest: number): void {
    const queue = this.queues[dest];
    for (const o of queue) o.req.done = true;
    if (queue.length !== 0) this.backlogged--;
    queue.length = 0;
    this.queuedBytes[dest] = 0;
    this.queuedByContext[dest] = null;
    this.announced[dest] = null;
  }

  /** Whether to give credits back to `source` now: enough have gathered, or it has a backlog, or this rank waits. */
  giveBackNow(source: number, backlog: boolean, waiting: boolean): boolean {
    const r = this.returned[source];
    return r >= this.returnAt || (r > 0 && (backlog || waiting));
  }

  /** Forgets starved destinations that have credit again with nothing queued, or have finished; true when none is left. */
  settled(finished: Uint8Array): boolean {
    for (const d of this.starved) {
      if (finished[d] !== 0 || (this.queues[d].length === 0 && this.credits[d] > 0)) this.starved.delete(d);
    }
    return this.starved.size === 0;
  }
}
