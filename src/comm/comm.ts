/**
 * Comm: a communicator, the group of ranks a deck talks to. `world` (exported from 'simdeck')
 * holds every rank of the job. Point-to-point messaging lives here; collectives and communicator
 * construction build on it in their own modules.
 *
 * Values are anything msgpackr encodes; a bare typed array travels raw and arrives as the same
 * typed-array class. Messages between a pair of ranks on one communicator are not overtaken.
 */
import { ArgumentError, describe } from '../errors.js';
import { typedArrayEncoding } from '../transport/encoding.js';
import {
  ANY_SOURCE, ANY_TAG, PROC_NULL, type Envelope, type Transport, type TransportRequest,
} from '../transport/transport.js';
import { bytesOf, decode, encode } from './codec.js';
import { TAG_UB } from './constants.js';
import { Request, type RequestEngine } from './request.js';
import { Status } from './status.js';
import { encodingName } from '../transport/encoding.js';

const contextNames = new Map<number, string>();

/** The name of the communicator that owns a transport context id, for diagnostics. */
export function contextName(context: number): string {
  return contextNames.get(context) ?? contextNames.get(context - 1) ?? `context ${context}`;
}

/** A communicator. Construct through `world` and its methods, not directly. */
export class Comm {
  /** This process's rank in the communicator, from 0 to size - 1. */
  readonly rank: number;
  /** The number of ranks in the communicator. */
  readonly size: number;
  /** @internal world rank of each local rank; null when identical (world). */
  readonly worldRanks: Int32Array | null;
  /** @internal local rank of each world rank (-1 when not a member); null when identical. */
  readonly localRanks: Int32Array | null;

  /**
   * @internal Use `world`, `dup()`, `split()`, `slice()`... `context` is the transport context of
   * point-to-point traffic; `context + 1` carries this communicator's collectives.
   */
  constructor(readonly transport: Transport, readonly context: number, worldRanks: Int32Array | null,
    /** A name for diagnostics ('world', 'world.split(1)', ...). */
    readonly name: string) {
    this.worldRanks = worldRanks;
    if (worldRanks === null) {
      this.rank = transport.rank;
      this.size = transport.size;
      this.localRanks = null;
    } else {
      this.size = worldRanks.length;
      this.localRanks = new Int32Array(transport.size).fill(-1);
      worldRanks.forEach((w, i) => { this.localRanks![w] = i; });
      this.rank = this.localRanks[transport.rank];
    }
    contextNames.set(context, name);
  }

  // ------------------------------------------------------------ argument checks

  /** @internal The world rank of local rank `r` (after checking it). */
  toWorld(r: number): number {
    return this.worldRanks === null ? r : this.worldRanks[r];
  }

  /** @internal The local rank of world rank `w`. */
  toLocal(w: number): number {
    return this.localRanks === null ? w : this.localRanks[w];
  }

  private checkDest(dest: unknown, what: string): number {
    if (dest === PROC_NULL) return PROC_NULL;
    if (typeof dest !== 'number' || !Number.isInteger(dest) || dest < 0 || dest >= this.size) {
      throw new ArgumentError(`${what}: dest must be a rank from 0 to ${this.size - 1} of ${this.name} (or PROC_NULL), got ${describe(dest)}`);
    }
    return this.toWorld(dest);
  }

  private checkSource(source: unknown, what: string): number {
    if (source === ANY_SOURCE || source === PROC_NULL) return source;
    if (typeof source !== 'number' || !Number.isInteger(source) || source < 0 || source >= this.size) {
      throw new ArgumentError(`${what}: source must be a rank from 0 to ${this.size - 1} of ${this.name}, ANY_SOURCE or PROC_NULL, got ${describe(source)}`);
    }
    return this.toWorld(source);
  }

  private checkTag(tag: unknown, what: string, wildcard: boolean): number {
    if (wildcard && tag === ANY_TAG) return ANY_TAG;
    if (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 0 || tag > TAG_UB) {
      throw new ArgumentError(`${what}: tag must be an integer from 0 to ${TAG_UB}${wildcard ? ' or ANY_TAG' : ''}, got ${describe(tag)}`);
    }
    return tag;
  }

  private checkBuffer(buffer: unknown, what: string): number {
    const code = typedArrayEncoding(buffer);
    if (code < 0) throw new ArgumentError(`${what}: the receive buffer must be a typed array (Float64Array, Int32Array, ...), got ${describe(buffer)}`);
    return code;
  }

  private fill(status: Status | undefined | null, tx: Envelope): void {
    if (!status) return;
    status.source = tx.source < 0 ? tx.source : this.toLocal(tx.source);
    status.tag = tx.tag;
    status.bytes = tx.bytes;
    status.type = tx.encoding === 0 ? 'object' : encodingName(tx.encoding);
  }

  // ------------------------------------------------------------ point-to-point

  /**
   * Sends `value` to rank `dest` with `tag`. Blocks until the value may be reused: small
   * messages are buffered at once; large ones wait for the receiver (as MPI_Send may).
   * Throws ArgumentError for a bad rank or tag, EncodeError for a value that cannot travel.
   */
  send(value: unknown, dest: number, tag = 0): void {
    const worldDest = this.checkDest(dest, 'send');
    this.checkTag(tag, 'send', false);
    if (worldDest === PROC_NULL) return;
    const { bytes, encoding } = encode(value);
    if (this.transport.trySend(bytes, encoding, worldDest, tag, this.context)) return;
    const tx = this.transport.isend(bytes, encoding, worldDest, tag, this.context);
    if (!tx.done) this.transport.block(() => tx.done, tx);
    if (tx.error) throw tx.error;
  }

  /**
   * Receives a message and returns its value (a typed array of the sent class, or the decoded
   * object). Blocks until one matches `source` and `tag`. A Status passed in is filled.
   */
  recv(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): unknown {
    const worldSource = this.checkSource(source, 'recv');
    this.checkTag(tag, 'recv', true);
    if (worldSource === PROC_NULL) return nullReceive(status);
    const fast = this.transport.tryRecv(worldSource, tag, this.context, null, -1);
    if (fast !== null) {
      if (status) this.fill(status, this.transport.last);
      return decode(fast, this.transport.last.encoding);
    }
    const tx = this.transport.irecv(worldSource, tag, this.context, null, -1);
    if (!tx.done) this.transport.block(() => tx.done, tx);
    if (tx.error) throw tx.error;
    this.fill(status, tx);
    return decode(tx.data!, tx.encoding);
  }

  /**
   * Receives a typed-array message into `buffer` (no allocation). Blocks. Returns the Status
   * (the one passed in, or a new one). Throws TruncationError when the message is larger than
   * the buffer and MessageTypeError when its element type differs; the message then stays queued.
   */
  recvInto(buffer: ArrayBufferView, source: number = ANY_SOURCE, tag: number = ANY_TAG, status: Status = new Status()): Status {
    const expect = this.checkBuffer(buffer, 'recvInto');
    const worldSource = this.checkSource(source, 'recvInto');
    this.checkTag(tag, 'recvInto', true);
    if (worldSource === PROC_NULL) { nullReceive(status); return status; }
    const into = bytesOf(buffer);
    if (this.transport.tryRecv(worldSource, tag, this.context, into, expect) !== null) {
      this.fill(status, this.transport.last);
      return status;
    }
    const tx = this.transport.irecv(worldSource, tag, this.context, into, expect);
    if (!tx.done) this.transport.block(() => tx.done, tx);
    if (tx.error) throw tx.error;
    this.fill(status, tx);
    return status;
  }

  /**
   * Sends `value` to `dest` and receives from `source` at once, so that pairs of ranks can
   * exchange without deadlock. Blocks; returns the received value.
   */
  sendrecv(value: unknown, dest: number, sendTag = 0, source: number = ANY_SOURCE, recvTag: number = ANY_TAG, status?: Status): unknown {
    const out = this.isend(value, dest, sendTag);
    const got = this.recv(source, recvTag, status);
    out.wait();
    return got;
  }

  /** Blocks until a message matching `source` and `tag` can be received; returns its Status. */
  probe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status: Status = new Status()): Status {
    const worldSource = this.checkSource(source, 'probe');
    this.checkTag(tag, 'probe', true);
    if (worldSource === PROC_NULL) { nullReceive(status); return status; }
    let found = this.transport.iprobe(worldSource, tag, this.context);
    if (found === null) {
      const probeInfo = { kind: 'recv', peer: worldSource, tag, context: this.context } as unknown as TransportRequest;
      this.transport.block(() => (found = this.transport.iprobe(worldSource, tag, this.context)) !== null, probeInfo);
    }
    const e = found!;
    status.source = this.toLocal(e.source);
    status.tag = e.tag;
    status.bytes = e.bytes;
    status.type = e.encoding === 0 ? 'object' : encodingName(e.encoding);
    return status;
  }

  /** Non-blocking probe: true (and `status` filled) when a matching message is waiting. */
  iprobe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): boolean {
    const worldSource = this.checkSource(source, 'iprobe');
    this.checkTag(tag, 'iprobe', true);
    if (worldSource === PROC_NULL) { nullReceive(status); return true; }
    const e = this.transport.iprobe(worldSource, tag, this.context);
    if (e === null) return false;
    if (status) {
      status.source = this.toLocal(e.source);
      status.tag = e.tag;
      status.bytes = e.bytes;
      status.type = e.encoding === 0 ? 'object' : encodingName(e.encoding);
    }
    return true;
  }

  /**
   * Starts sending `value`; returns a Request. Non-blocking. A typed array is sent from its own
   * memory: do not change it until the request completes.
   */
  isend(value: unknown, dest: number, tag = 0): Request<undefined> {
    const worldDest = this.checkDest(dest, 'isend');
    this.checkTag(tag, 'isend', false);
    if (worldDest === PROC_NULL) return this.completed(undefined);
    const { bytes, encoding } = encode(value);
    const tx = this.transport.isend(bytes, encoding, worldDest, tag, this.context);
    return new Request(this.transport, {
      advance: () => { if (tx.error) throw tx.error; return tx.done; },
      result: () => undefined,
      pending: () => tx,
    });
  }

  /** Posts a receive; returns a Request whose wait() gives the value. Non-blocking. */
  irecv(source: number = ANY_SOURCE, tag: number = ANY_TAG): Request<unknown> {
    const worldSource = this.checkSource(source, 'irecv');
    this.checkTag(tag, 'irecv', true);
    if (worldSource === PROC_NULL) return this.completed(undefined, true);
    const tx = this.transport.irecv(worldSource, tag, this.context, null, -1);
    return new Request(this.transport, {
      advance: () => { if (tx.error) throw tx.error; return tx.done; },
      result: (status) => { this.fill(status, tx); return decode(tx.data!, tx.encoding); },
      pending: () => tx,
    });
  }

  /** Posts a receive into `buffer`; the Request's wait() returns the Status. Non-blocking. */
  irecvInto(buffer: ArrayBufferView, source: number = ANY_SOURCE, tag: number = ANY_TAG): Request<Status> {
    const expect = this.checkBuffer(buffer, 'irecvInto');
    const worldSource = this.checkSource(source, 'irecvInto');
    this.checkTag(tag, 'irecvInto', true);
    if (worldSource === PROC_NULL) { const s = new Status(); nullReceive(s); return this.completed(s, true); }
    const tx = this.transport.irecv(worldSource, tag, this.context, bytesOf(buffer), expect);
    return new Request(this.transport, {
      advance: () => { if (tx.error) throw tx.error; return tx.done; },
      result: (status) => { const s = status ?? new Status(); this.fill(s, tx); return s; },
      pending: () => tx,
    });
  }

  private completed<T>(value: T, receive = false): Request<T> {
    return new Request(this.transport, {
      advance: () => true,
      result: (status) => { if (receive && status) nullReceive(status); return value; },
      pending: () => null,
    });
  }

  /** A printable summary: `Comm(world, rank 0 of 4)`. */
  toString(): string {
    return `Comm(${this.name}, rank ${this.rank} of ${this.size})`;
  }
}

function nullReceive(status: Status | undefined): undefined {
  if (status) {
    status.source = PROC_NULL;
    status.tag = ANY_TAG;
    status.bytes = 0;
    status.type = '';
  }
  return undefined;
}

export type { RequestEngine };
