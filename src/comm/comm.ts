/**
 * Comm: a communicator, the group of ranks a deck talks to. `world` (exported from 'simdeck')
 * holds every rank of the job. Point-to-point messaging lives here; collectives and communicator
 * construction build on it in their own modules.
 *
 * Values are anything msgpackr encodes; a bare typed array travels raw and arrives as the same
 * typed-array class. Messages between a pair of ranks on one communicator are not overtaken.
 */
import { ArgumentError, describe, TransportError } from '../errors.js';
import { typedArrayEncoding } from '../transport/encoding.js';
import {
  ANY_SOURCE, ANY_TAG, PROC_NULL, type Envelope, type NativeCollectives, type NativeComm, type Transport, type TransportRequest,
} from '../transport/transport.js';
import { ByteViews, bytesOf, decode, encode } from './codec.js';
import { TAG_UB } from './constants.js';
import { Request, type RequestEngine } from './request.js';
import { checkStatus, Status } from './status.js';
import { bindMethods } from './bind.js';
import { checkAttached } from './codec.js';
import { CallHistory } from './collectiveCheck.js';
import * as coll from './collectives.js';
import { checkAllSendable, checkSendable, checkTyped, Coll, lengthOf, nativeAllreduce, nativeBarrier, nativeOp, run, runNative, start, typedCode, type TypedArray } from './collectives.js';
import { checkOp, checkOperand, Op } from './ops.js';
import { Group } from './group.js';

type Step<T> = Generator<TransportRequest, T, void>;
import { elementBytes, encodingName, isObjectEncoding } from '../transport/encoding.js';

const contextNames = new Map<number, string>();
/** Byte views of the arrays a deck's allreduceInto/allgatherInto loop passes each time (one per argument, so they do not evict each other). */
const nativeSendViews = new ByteViews();
const nativeRecvViews = new ByteViews();
/** Whether collectives may use the transport's native ones (SIMDECK_NATIVE_COLLECTIVES=0: messages only, for comparison). */
const nativeCollectives = process.env.SIMDECK_NATIVE_COLLECTIVES !== '0';
/** Comm's own helpers, left unbound (see bindMethods): the hot paths call them on every message. */
const INTERNAL_METHODS = [
  'checkDest', 'checkSource', 'checkTag', 'checkBuffer', 'fill', 'toWorld', 'toLocal', 'natives', 'nextCollective', 'intraOnly',
  'checkRoot', 'perRank', 'checkCounts', 'groupWorld', 'native', 'isLive', 'liveCount', 'scratch', 'agreeContext', 'completed',
];
/** The lowest context id this process has not used (ids 0-3 belong to world and app). */
let nextFreeContext = 4;

/** @internal Context agreement for constructions in other modules (cart, intercomm). */
export function contextCounter(): { get(): number; set(v: number): void } {
  return { get: () => nextFreeContext, set: (v: number) => { nextFreeContext = v; } };
}
/** Every communicator this process made (for the end-of-job mismatch check). */
const liveComms = new Set<Comm>();

/** @internal The communicators alive in this process. */
export function allComms(): Iterable<Comm> {
  return liveComms;
}

/** @internal Forgets a freed communicator. */
export function forgetComm(comm: Comm): void {
  liveComms.delete(comm);
}

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
  /** @internal world ranks that point-to-point calls address (the remote group of an intercommunicator). */
  readonly peerRanks: Int32Array | null;
  private readonly peerLocal: Int32Array | null;
  /** @internal the number of ranks point-to-point calls address. */
  readonly peerSize: number;
  /** @internal collective bookkeeping: how many collectives this rank has started, recent calls, those in flight. */
  collectiveCount = 0;
  readonly history = new CallHistory();
  /** @internal nonblocking collectives in flight (their tags; see isLive). */
  readonly liveCollectives = new Set<number>();
  /** @internal the tag of the blocking collective running now, -1 when none. */
  running = -1;

  /** @internal Whether collective `tag` is in flight on this rank (the blocking one running, or a nonblocking one). */
  isLive(tag: number): boolean {
    return tag === this.running || this.liveCollectives.has(tag);
  }

  /** @internal How many collectives are in flight on this rank. */
  liveCount(): number {
    return this.liveCollectives.size + (this.running >= 0 ? 1 : 0);
  }

  /**
   * @internal Use `world`, `dup()`, `split()`, `slice()`... `context` is the transport context of
   * point-to-point traffic; `context + 1` carries this communicator's collectives.
   */
  constructor(readonly transport: Transport, readonly context: number, worldRanks: Int32Array | null,
    /** A name for diagnostics ('world', 'world.split(1)', ...). */
    readonly name: string, peerRanks: Int32Array | null = worldRanks) {
    if (typeof transport !== 'object' || transport === null || typeof transport.trySend !== 'function' || !Number.isInteger(context)) {
      throw new ArgumentError('a Comm is not made with `new Comm(...)`: use world (from \'simdeck\'), or world.dup(), split(), slice(), create(), cart()');
    }
    this.worldRanks = worldRanks;
    this.peerRanks = peerRanks;
    this.peerSize = peerRanks === null ? transport.size : peerRanks.length;
    if (peerRanks === null || peerRanks === worldRanks) {
      this.peerLocal = null;
    } else {
      this.peerLocal = new Int32Array(transport.size).fill(-1);
      peerRanks.forEach((w, i) => { this.peerLocal![w] = i; });
    }
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
    liveComms.add(this);
    bindMethods(this, INTERNAL_METHODS); // `const { send, recv } = world` works
  }

  // ------------------------------------------------------------ argument checks

  /** @internal The world rank of peer rank `r` (after checking it). */
  toWorld(r: number): number {
    return this.peerRanks === null ? r : this.peerRanks[r];
  }

  /** @internal The peer rank of world rank `w`. */
  toLocal(w: number): number {
    if (this.peerLocal !== null) return this.peerLocal[w];
    return this.localRanks === null ? w : this.localRanks[w];
  }

  private scratchBuffers = new Map<unknown, TypedArray>();

  /** @internal A reusable scratch typed array of `like`'s class with at least `n` elements (fresh pages are slow to fault in). */
  scratch(like: TypedArray, n: number): TypedArray {
    const ctor = like.constructor as new (n: number) => TypedArray;
    let buf = this.scratchBuffers.get(ctor);
    if (buf === undefined || buf.length < n) {
      buf = new ctor(n);
      this.scratchBuffers.set(ctor, buf);
    }
    return buf.subarray(0, n) as TypedArray;
  }

  private nativeState: NativeCollectives | null | undefined = undefined;
  /** A number's allreduce through the transport: the number as one float64, and its bytes. */
  private readonly one = new Float64Array(1);
  private readonly oneBytes = new Uint8Array(this.one.buffer);

  /**
   * @internal The transport's native collectives on this communicator, asked for at its first
   * collective (every member then asks, and all get them or all get null); null on one rank,
   * on intercommunicators, and with SIMDECK_NATIVE_COLLECTIVES=0. With `resolve` false, null
   * when not asked for yet.
   */
  natives(resolve = true): NativeCollectives | null {
    if (this.nativeState === undefined) {
      if (!resolve) return null;
      const t = this.transport;
      this.nativeState = nativeCollectives && t.collectives !== undefined && this.size > 1 && this.peerRanks === this.worldRanks
        ? t.collectives(this.context, this.worldRanks, this.rank) : null;
    }
    return this.nativeState;
  }

  /** @internal Starts a collective: its sequence number (its tag). */
  nextCollective(): number {
    const n = this.collectiveCount;
    this.collectiveCount = (n + 1) & 0x7fffffff;
    return n;
  }

  private checkDest(dest: unknown, what: string): number {
    if (dest === PROC_NULL) return PROC_NULL;
    if (typeof dest !== 'number' || !Number.isInteger(dest) || dest < 0 || dest >= this.peerSize) {
      throw new ArgumentError(`${what}: dest must be a rank from 0 to ${this.peerSize - 1} of ${this.name} (or PROC_NULL), got ${describe(dest)}`);
    }
    return this.toWorld(dest);
  }

  private checkSource(source: unknown, what: string): number {
    if (source === ANY_SOURCE || source === PROC_NULL) return source;
    if (typeof source !== 'number' || !Number.isInteger(source) || source < 0 || source >= this.peerSize) {
      throw new ArgumentError(`${what}: source must be a rank from 0 to ${this.peerSize - 1} of ${this.name}, ANY_SOURCE or PROC_NULL, got ${describe(source)}`);
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
    if ((buffer as ArrayBufferView).byteLength === 0) {
      try { checkAttached(buffer as ArrayBufferView); } catch (e) { throw new ArgumentError(`${what}: ${(e as Error).message.replace(/; send a live array$/, '; receive into a live array')}`); }
    }
    return code;
  }

  private fill(status: Status | undefined | null, tx: Envelope): void {
    if (!status) return;
    status.source = tx.source < 0 ? tx.source : this.toLocal(tx.source);
    status.tag = tx.tag;
    status.bytes = tx.bytes;
    status.type = isObjectEncoding(tx.encoding) ? 'object' : encodingName(tx.encoding);
    status.elementBytes = elementBytes(tx.encoding);
  }

  // ------------------------------------------------------------ point-to-point

  /**
   * Sends `value` to rank `dest` with `tag`. Blocks until the value may be reused and the
   * message is on its way: small messages are buffered at once while the receiver's share of
   * buffer space lasts (otherwise send waits until the receiver takes some, in any simdeck call
   * it makes); large ones wait for the receiver (as MPI_Send may).
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
    // The message may have been copied into a queue at this rank (no buffer space at the
    // receiver yet): hand it over before returning, so it never waits while the deck computes.
    this.transport.handOver();
  }

  /**
   * Receives a message and returns its value (a typed array of the sent class, or the decoded
   * object). Blocks until one matches `source` and `tag`. A Status passed in is filled.
   */
  recv(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): unknown {
    const worldSource = this.checkSource(source, 'recv');
    this.checkTag(tag, 'recv', true);
    checkStatus(status, 'recv');
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
  recvInto(buffer: ArrayBufferView, source: number = ANY_SOURCE, tag: number = ANY_TAG, given?: Status): Status {
    const expect = this.checkBuffer(buffer, 'recvInto');
    const worldSource = this.checkSource(source, 'recvInto');
    this.checkTag(tag, 'recvInto', true);
    checkStatus(given, 'recvInto'); // (a fresh one needs no check)
    const status = given === undefined ? new Status() : given;
    if (worldSource === PROC_NULL) { nullReceive(status); return status; }
    const into = bytesOf(buffer);
    if (this.transport.tryRecv(worldSource, tag, this.context, into, expect) !== null) {
      this.fill(status, this.transport.last);
      return status;
    }
    const tx = this.transport.irecv(worldSource, tag, this.context, into, expect);
    if (!tx.done) this.transport.block(() => tx.done, tx, true);
    if (tx.error) throw tx.error;
    this.fill(status, tx);
    return status;
  }

  /**
   * Sends `value` to `dest` and receives from `source` at once, so that pairs of ranks can
   * exchange without deadlock. Blocks; returns the received value.
   */
  sendrecv(value: unknown, dest: number, sendTag = 0, source: number = ANY_SOURCE, recvTag: number = ANY_TAG, status?: Status): unknown {
    // the receive half is checked first: a bad one must not cost the message sent
    this.checkSource(source, 'sendrecv');
    this.checkTag(recvTag, 'sendrecv (recvTag)', true);
    checkStatus(status, 'sendrecv');
    const out = this.isend(value, dest, sendTag);
    const got = this.recv(source, recvTag, status);
    out.wait();
    return got;
  }

  /** Blocks until a message matching `source` and `tag` can be received; returns its Status. */
  probe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status: Status = new Status()): Status {
    const worldSource = this.checkSource(source, 'probe');
    this.checkTag(tag, 'probe', true);
    checkStatus(status, 'probe');
    if (worldSource === PROC_NULL) { nullReceive(status); return status; }
    let found = this.transport.iprobe(worldSource, tag, this.context);
    if (found === null) {
      const probeInfo = { kind: 'recv', peer: worldSource, tag, context: this.context } as unknown as TransportRequest;
      this.transport.block(() => (found = this.transport.iprobe(worldSource, tag, this.context)) !== null, probeInfo);
    }
    this.fill(status, found!);
    return status;
  }

  /** Non-blocking probe: true (and `status` filled) when a matching message is waiting. */
  iprobe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): boolean {
    const worldSource = this.checkSource(source, 'iprobe');
    this.checkTag(tag, 'iprobe', true);
    checkStatus(status, 'iprobe');
    if (worldSource === PROC_NULL) { nullReceive(status); return true; }
    const e = this.transport.iprobe(worldSource, tag, this.context);
    if (e === null) return false;
    this.fill(status, e);
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


  // ------------------------------------------------------------ collectives
  // Collective: every rank of the communicator must call them in the same order.

  private checkRoot(root: unknown, what: string): number {
    this.intraOnly(what);
    if (typeof root !== 'number' || !Number.isInteger(root) || root < 0 || root >= this.size) {
      throw new ArgumentError(`${what}: root must be a rank from 0 to ${this.size - 1} of ${this.name}, got ${describe(root)}`);
    }
    return root;
  }

  /** @internal Collectives need an intracommunicator. */
  intraOnly(what: string): void {
    if (this.peerRanks !== this.worldRanks) throw new ArgumentError(`${what} is not available on the intercommunicator ${this.name}; merge() it first`);
  }

  private perRank(values: unknown, what: string): unknown[] {
    if (!Array.isArray(values) || values.length !== this.size) {
      throw new ArgumentError(`${what}: pass an array with one value per rank (${this.size} on ${this.name}), got ${describe(values)}`);
    }
    return values;
  }

  /** Collective, blocking: returns once every rank has entered the barrier. */
  barrier(): void {
    this.intraOnly('barrier');
    if (this.size === 1) return;
    const c = new Coll(this, 'barrier', -1, -1);
    const native = this.natives();
    if (native !== null && native.barrier !== undefined) nativeBarrier(c, native);
    else run(c, coll.barrier(c));
  }

  /** Collective, non-blocking barrier: the Request completes once every rank has entered it. */
  ibarrier(): Request<void> {
    this.intraOnly('ibarrier');
    const c = new Coll(this, 'barrier', -1, -1);
    return start(c, coll.barrier(c));
  }

  /** Collective, blocking: every rank returns root's `value` (ignored elsewhere). Typed arrays arrive as their class. */
  bcast<T = unknown>(value: T, root = 0): T {
    this.checkRoot(root, 'bcast');
    if (this.rank === root) checkSendable(value, 'bcast');
    const c = new Coll(this, 'bcast', root, -1);
    const got = coll.bcastNow(c, value, root);
    if (got !== coll.NOT_YET) return got as T;
    return run(c, coll.bcast(c, value, root)) as T;
  }

  /** Collective, non-blocking bcast; the Request's wait() returns root's value. */
  ibcast<T = unknown>(value: T, root = 0): Request<T> {
    this.checkRoot(root, 'ibcast');
    if (this.rank === root) checkSendable(value, 'ibcast');
    const c = new Coll(this, 'bcast', root, -1);
    return start(c, coll.bcast(c, value, root)) as Request<T>;
  }

  /** Collective, blocking: root's typed array is copied into `buffer` on every rank (returned). Throws TruncationError if too small. */
  bcastInto<T extends TypedArray>(buffer: T, root = 0): T {
    checkTyped(buffer, 'bcastInto');
    this.checkRoot(root, 'bcastInto');
    const c = new Coll(this, 'bcast', root, -1);
    if (coll.bcastIntoNow(c, buffer, root)) return buffer;
    return run(c, coll.bcastInto(c, buffer, root)) as T;
  }

  /** Collective, blocking: rank i returns `values[i]` of root's array (one value per rank; ignored elsewhere). */
  scatter<T = unknown>(values: readonly T[] | null, root = 0): T {
    this.checkRoot(root, 'scatter');
    if (this.rank === root) checkAllSendable(this.perRank(values, 'scatter'), 'scatter');
    const c = new Coll(this, 'scatter', root, -1);
    return run(c, coll.scatter(c, values as unknown[] | null, root)) as T;
  }

  /** Collective, blocking: rank i gets `counts[i]` elements of root's typed array `data`, in order. */
  scatterv<T extends TypedArray>(data: T | null, counts: readonly number[] | null, root = 0): T {
    this.checkRoot(root, 'scatterv');
    if (this.rank === root) this.checkCounts(data, counts, 'scatterv');
    const c = new Coll(this, 'scatterv', root, -1);
    return run(c, coll.scatterv(c, data, counts as number[] | null, root, null)) as T;
  }

  /** Collective, blocking: root's `data` split in equal blocks of `result.length`; this rank's block lands in `result`. */
  scatterInto<T extends TypedArray>(data: T | null, result: T, root = 0): T {
    checkTyped(result, 'scatterInto');
    this.checkRoot(root, 'scatterInto');
    const counts = this.rank === root ? new Array<number>(this.size).fill(result.length) : null;
    if (this.rank === root) {
      this.checkCounts(data, counts, 'scatterInto');
      if (typedCode(data) !== typedCode(result)) throw new ArgumentError(`scatterInto: data is a ${(data as TypedArray).constructor.name} but result a ${result.constructor.name}; use the same type`);
    }
    const c = new Coll(this, 'scatterv', root, result.length);
    return run(c, coll.scatterv(c, data, counts, root, result)) as T;
  }

  private checkCounts(data: unknown, counts: unknown, what: string): void {
    const typed = checkTyped(data, what);
    if (!Array.isArray(counts) || counts.length !== this.size || counts.some((n) => !Number.isInteger(n) || n < 0)) {
      throw new ArgumentError(`${what}: counts must hold one non-negative integer per rank (${this.size}), got ${describe(counts)}`);
    }
    const total = (counts as number[]).reduce((a, b) => a + b, 0);
    if (total > typed.length) throw new ArgumentError(`${what}: counts add up to ${total} elements but data has ${typed.length}`);
  }

  /** Collective, blocking: root returns every rank's value in rank order; other ranks return null. */
  gather<T = unknown>(value: T, root = 0): T[] | null {
    this.checkRoot(root, 'gather');
    checkSendable(value, 'gather');
    const c = new Coll(this, 'gather', root, -1);
    return run(c, coll.gather(c, value, root)) as T[] | null;
  }

  /** Collective, non-blocking gather; the Request's wait() returns the array on root, null elsewhere. */
  igather<T = unknown>(value: T, root = 0): Request<T[] | null> {
    this.checkRoot(root, 'igather');
    checkSendable(value, 'igather');
    const c = new Coll(this, 'gather', root, -1);
    return start(c, coll.gather(c, value, root)) as Request<T[] | null>;
  }

  /** Collective, blocking: typed arrays of any length per rank, concatenated on root with counts and displacements; null elsewhere. */
  gatherv<T extends TypedArray>(value: T, root = 0): { data: T; counts: number[]; displs: number[] } | null {
    checkTyped(value, 'gatherv');
    this.checkRoot(root, 'gatherv');
    const c = new Coll(this, 'gatherv', root, -1);
    return run(c, coll.gatherv(c, value, root, null)) as { data: T; counts: number[]; displs: number[] } | null;
  }

  /** Collective, blocking: equal-length typed arrays gathered into root's `result` in rank order (returned on root; null elsewhere). */
  gatherInto<T extends TypedArray>(value: T, result: T | null, root = 0): T | null {
    checkTyped(value, 'gatherInto');
    this.checkRoot(root, 'gatherInto');
    if (this.rank === root) {
      checkTyped(result, 'gatherInto');
      if (typedCode(result) !== typedCode(value)) throw new ArgumentError(`gatherInto: result is a ${result!.constructor.name} but value a ${value.constructor.name}; use the same type`);
      if (result!.length < value.length * this.size) throw new ArgumentError(`gatherInto: result holds ${result!.length} elements but ${this.size} ranks × ${value.length} are coming`);
    }
    const c = new Coll(this, 'gatherv', root, value.length);
    const got = run(c, coll.gatherv(c, value, root, this.rank === root ? result : null));
    return got === null ? null : (got.data as T);
  }

  /** Collective, blocking: every rank returns every rank's value in rank order. */
  allgather<T = unknown>(value: T): T[] {
    this.intraOnly('allgather');
    checkSendable(value, 'allgather');
    const c = new Coll(this, 'allgather', -1, -1);
    return run(c, coll.allgather(c, value)) as T[];
  }

  /** Collective, blocking: typed arrays of any length per rank, concatenated on every rank with counts and displacements. */
  allgatherv<T extends TypedArray>(value: T): { data: T; counts: number[]; displs: number[] } {
    checkTyped(value, 'allgatherv');
    this.intraOnly('allgatherv');
    const c = new Coll(this, 'allgatherv', -1, -1);
    return run(c, (function* () {
      const counts = (yield* coll.allgather(c, value.length)) as number[];
      const displs = new Array<number>(counts.length);
      let total = 0;
      for (let k = 0; k < counts.length; k++) { displs[k] = total; total += counts[k]; }
      const data = new (value.constructor as new (n: number) => T)(total);
      yield* coll.allgatherTyped(c, value, counts, data);
      return { data, counts, displs };
    })());
  }

  /** Collective, blocking: equal-length typed arrays gathered into every rank's `result` in rank order (returned). */
  allgatherInto<T extends TypedArray>(value: T, result: T): T {
    checkTyped(value, 'allgatherInto');
    checkTyped(result, 'allgatherInto');
    this.intraOnly('allgatherInto');
    if (result.constructor !== value.constructor) throw new ArgumentError(`allgatherInto: result is a ${result.constructor.name} but value a ${value.constructor.name}; use the same type`);
    if (result.length < value.length * this.size) {
      throw new ArgumentError(`allgatherInto: result holds ${result.length} elements but ${this.size} ranks × ${value.length} are coming`);
    }
    const c = new Coll(this, 'allgatherv', -1, value.length);
    const native = this.natives();
    if (native !== null && value.byteLength * this.size >= (native.minBytes ?? 0) &&
      runNative(c, () => native.allgather(c, nativeSendViews.of(value), nativeRecvViews.of(result)))) return result;
    return run(c, coll.allgatherTyped(c, value, new Array<number>(this.size).fill(value.length), result)) as T;
  }

  /** Collective, blocking: rank i sends `values[j]` to rank j and returns what every rank sent it, in rank order. */
  alltoall<T = unknown>(values: readonly T[]): T[] {
    this.intraOnly('alltoall');
    checkAllSendable(this.perRank(values, 'alltoall'), 'alltoall');
    const c = new Coll(this, 'alltoall', -1, -1);
    return run(c, coll.alltoall(c, values as unknown[])) as T[];
  }

  /** Collective, blocking: root returns the reduction of every rank's value by `op` (rank order kept); others undefined. */
  reduce<T = unknown>(value: T, op: Op = Op.SUM, root = 0): T | undefined {
    checkOp(op, 'reduce');
    this.checkRoot(root, 'reduce');
    checkSendable(value, 'reduce');
    checkOperand(op, value, 'reduce');
    const c = new Coll(this, 'reduce', root, lengthOf(value));
    return run(c, coll.reduce(c, value, op, root)) as T | undefined;
  }

  /** Collective, blocking: like reduce for typed arrays, writing root's result into `result` (returned on root; null elsewhere). */
  reduceInto<T extends TypedArray>(value: T, result: T | null, op: Op = Op.SUM, root = 0): T | null {
    checkTyped(value, 'reduceInto');
    if (this.rank === root) {
      checkTyped(result, 'reduceInto');
      if (typedCode(result) !== typedCode(value)) throw new ArgumentError(`reduceInto: result is a ${result!.constructor.name} but value a ${value.constructor.name}; use the same type`);
      if (result!.length < value.length) throw new ArgumentError(`reduceInto: result holds ${result!.length} elements, value ${value.length}`);
    }
    const got = this.reduce(value, op, root);
    if (this.rank !== root) return null;
    (result as unknown as { set(v: TypedArray): void }).set(got as TypedArray);
    return result;
  }

  /** Collective, blocking: every rank returns the same reduction of every rank's value by `op`. */
  allreduce<T = unknown>(value: T, op: Op = Op.SUM): T {
    checkOp(op, 'allreduce');
    this.intraOnly('allreduce');
    checkSendable(value, 'allreduce');
    checkOperand(op, value, 'allreduce');
    const c = new Coll(this, 'allreduce', -1, lengthOf(value));
    const native = this.natives();
    // Numbers and typed arrays (bytes; -1 for other values) with a built-in operator: the transport's allreduce.
    const bytes = typeof value === 'number' ? 8 : typedCode(value) > 0 ? (value as unknown as TypedArray).byteLength : -1;
    const nop = native === null || bytes < (native.minBytes ?? 0) ? null : nativeOp(op);
    if (nop !== null) {
      if (typeof value === 'number') {
        const one = this.one;
        one[0] = value;
        if (nativeAllreduce(c, native!, this.oneBytes, this.oneBytes, 9, nop)) return one[0] as T;
      } else if (typedCode(value) > 0) {
        const v = value as unknown as TypedArray;
        const out = new (v.constructor as new (n: number) => TypedArray)(v.length);
        if (nativeAllreduce(c, native!, nativeSendViews.of(v), nativeRecvViews.of(out), typedCode(v), nop)) return out as T;
      }
    }
    return run(c, coll.allreduce(c, value, op)) as T;
  }

  /** Collective, non-blocking allreduce; the Request's wait() returns the reduction. */
  iallreduce<T = unknown>(value: T, op: Op = Op.SUM): Request<T> {
    checkOp(op, 'iallreduce');
    this.intraOnly('iallreduce');
    checkSendable(value, 'iallreduce');
    checkOperand(op, value, 'iallreduce');
    const c = new Coll(this, 'allreduce', -1, lengthOf(value));
    return start(c, coll.allreduce(c, value, op)) as Request<T>;
  }

  /** Collective, blocking: the reduction of typed arrays written into `result` (may be `value` itself), returned. */
  allreduceInto<T extends TypedArray>(value: T, result: T, op: Op = Op.SUM): T {
    checkTyped(value, 'allreduceInto');
    checkTyped(result, 'allreduceInto');
    if (result.length < value.length) throw new ArgumentError(`allreduceInto: result holds ${result.length} elements, value ${value.length}`);
    if (result.constructor !== value.constructor) throw new ArgumentError(`allreduceInto: result is a ${result.constructor.name} but value a ${value.constructor.name}; use the same type`);
    checkOp(op, 'allreduceInto');
    checkOperand(op, value, 'allreduceInto');
    this.intraOnly('allreduceInto');
    const c = new Coll(this, 'allreduce', -1, value.length);
    const native = this.natives();
    const nop = native === null || value.byteLength < (native.minBytes ?? 0) ? null : nativeOp(op);
    if (nop !== null) {
      const dst = result.length === value.length ? result : result.subarray(0, value.length) as TypedArray;
      if (nativeAllreduce(c, native!, nativeSendViews.of(value), nativeRecvViews.of(dst), typedCode(value), nop)) return result;
    }
    const got = run(c, coll.allreduce(c, value, op, result)) as TypedArray;
    if (got !== result) (result as unknown as { set(v: TypedArray): void }).set(got);
    return result;
  }

  /** Collective, blocking: rank i returns the reduction of ranks 0..i's values (inclusive prefix). */
  scan<T = unknown>(value: T, op: Op = Op.SUM): T {
    checkOp(op, 'scan');
    this.intraOnly('scan');
    checkSendable(value, 'scan');
    checkOperand(op, value, 'scan');
    const c = new Coll(this, 'scan', -1, lengthOf(value));
    return run(c, coll.scan(c, value, op, false)) as T;
  }

  /** Collective, blocking: rank i returns the reduction of ranks 0..i-1's values; undefined on rank 0. */
  exscan<T = unknown>(value: T, op: Op = Op.SUM): T | undefined {
    checkOp(op, 'exscan');
    this.intraOnly('exscan');
    checkSendable(value, 'exscan');
    checkOperand(op, value, 'exscan');
    const c = new Coll(this, 'exscan', -1, lengthOf(value));
    return run(c, coll.scan(c, value, op, true)) as T | undefined;
  }

  /**
   * Collective, blocking: rank i returns the reduction over ranks of their i-th part: `values`
   * is an array with one value per rank, or a typed array of `size` equal blocks.
   */
  reduceScatter<T = unknown>(values: readonly T[] | TypedArray, op: Op = Op.SUM): T {
    checkOp(op, 'reduceScatter');
    this.intraOnly('reduceScatter');
    let parts: unknown[];
    if (typedCode(values) > 0) {
      const v = checkTyped(values, 'reduceScatter');
      checkOperand(op, v, 'reduceScatter');
      if (v.length % this.size !== 0) throw new ArgumentError(`reduceScatter: a typed array must split into ${this.size} equal blocks; its length ${v.length} does not`);
      const n = v.length / this.size;
      parts = Array.from({ length: this.size }, (_, k) => v.subarray(k * n, (k + 1) * n));
    } else {
      parts = this.perRank(values, 'reduceScatter');
      checkAllSendable(parts, 'reduceScatter');
      for (const part of parts) checkOperand(op, part, 'reduceScatter');
    }
    const c = new Coll(this, 'reduceScatter', -1, typedCode(values) > 0 ? (values as TypedArray).length : -1);
    return run(c, (function* () {
      const mine = yield* coll.alltoall(c, parts);
      let acc = mine[0];
      for (let k = 1; k < mine.length; k++) acc = op.apply(acc, mine[k]);
      return (typedCode(acc) > 0 && acc === parts[0] ? (acc as TypedArray).slice() : acc) as T;
    })());
  }


  // ------------------------------------------------------------ new communicators
  // Collective over this communicator. Excluded ranks get null, so `if (comm)` reads naturally.

  /** The processes of this communicator as a Group (local; communicates nothing). */
  get group(): Group {
    return new Group(Array.from(this.worldRanks ?? Array.from({ length: this.size }, (_, i) => i)), this.transport.rank);
  }

  /** @internal Collective: agrees on a fresh pair of contexts for new communicators made from this one. */
  agreeContext(c: Coll): Step<number> {
    return (function* (self: Comm) {
      const base = (yield* coll.allreduce(c, nextFreeContext, Op.MAX)) as number;
      nextFreeContext = base + 2;
      void self;
      return base;
    })(this);
  }

  /** Collective: a communicator with the same ranks whose messages never meet this one's. */
  dup(): Comm {
    this.intraOnly('dup');
    const c = new Coll(this, 'dup', -1, -1);
    const ctx = run(c, this.agreeContext(c));
    return new Comm(this.transport, ctx, this.worldRanks, `${this.name}.dup`);
  }

  /**
   * Collective: ranks passing the same `color` form a new communicator, ordered by `key` then
   * by rank here. A rank passing null or undefined (MPI_UNDEFINED) gets null.
   */
  split(color: number | null | undefined, key = 0): Comm | null {
    this.intraOnly('split');
    if (color !== null && color !== undefined && (!Number.isInteger(color) || color < 0 || color > INT_MAX)) {
      throw new ArgumentError(`split: color must be an integer from 0 to ${INT_MAX}, or null to take no part; got ${describe(color)}`);
    }
    if (!Number.isInteger(key) || Math.abs(key) > INT_MAX) throw new ArgumentError(`split: key must be an integer from ${-INT_MAX} to ${INT_MAX}, got ${describe(key)}`);
    const c = new Coll(this, 'split', -1, -1);
    const mine = [color ?? -1, key, nextFreeContext];
    const all = run(c, (function* () {
      const got = yield* coll.gather(c, mine, 0);
      return (yield* coll.bcast(c, got, 0)) as number[][];
    })());
    const ctx = Math.max(...all.map((e) => e[2]));
    nextFreeContext = ctx + 2;
    if (color === null || color === undefined) return null;
    const members = all.map((e, r) => ({ color: e[0], key: e[1], r }))
      .filter((e) => e.color === color)
      .sort((a, b) => a.key - b.key || a.r - b.r)
      .map((e) => this.groupWorld(e.r));
    return new Comm(this.transport, ctx, Int32Array.from(members), `${this.name}.split(${color})`);
  }

  private groupWorld(r: number): number {
    return this.worldRanks === null ? r : this.worldRanks[r];
  }

  /** Collective: a communicator of the members of `group` (a subgroup of this one); null on other ranks. */
  create(group: Group): Comm | null {
    this.intraOnly('create');
    if (!(group instanceof Group)) throw new ArgumentError(`create: pass a Group (from comm.group.incl(...)), got ${describe(group)}`);
    const mine = new Set(this.group.members);
    const outside = group.members.filter((w) => !mine.has(w));
    if (outside.length > 0) throw new ArgumentError(`create: the group has processes outside ${this.name} (world ranks ${outside.join(', ')})`);
    const c = new Coll(this, 'create', -1, group.members.length);
    const ctx = run(c, this.agreeContext(c));
    if (!group.members.includes(this.transport.rank)) return null;
    return new Comm(this.transport, ctx, Int32Array.from(group.members), `${this.name}.create`);
  }

  /** Collective: a communicator of the listed ranks of this one, in that order; null on other ranks. */
  subset(ranks: readonly number[]): Comm | null {
    return this.create(this.group.incl(ranks));
  }

  /**
   * Collective: ranks start..end-1 (end excluded), with negative indices counting from the end,
   * as in Python: `world.slice(0, -1)` is every rank but the last (pyMPI's `world[:-1]`).
   * Ranks outside get null.
   */
  slice(start: number, end: number = this.size): Comm | null {
    for (const [v, n] of [[start, 'start'], [end, 'end']] as const) {
      if (!Number.isInteger(v)) throw new ArgumentError(`slice: ${n} must be an integer (negative counts from the end), got ${describe(v)}`);
    }
    const at = (i: number) => Math.min(this.size, Math.max(0, i < 0 ? this.size + i : i));
    const ranks: number[] = [];
    for (let i = at(start); i < at(end); i++) ranks.push(i);
    return this.subset(ranks);
  }

  // ------------------------------------------------------------ native code

  /**
   * The C `MPI_Comm` of this communicator, for a C kernel that calls MPI itself: an int
   * (number) in the MPICH ABI, the communicator's address (bigint) in Open MPI — declare the
   * kernel's parameter `int` or `intptr_t` accordingly (docs/mpi.md). MPI ranks in it equal
   * this communicator's ranks. Collective the first time it is read on a communicator (every
   * member must read it). Throws TransportError when the job does not run on MPI, and
   * ArgumentError on an intercommunicator.
   */
  get handle(): number | bigint {
    return this.native('handle').handle;
  }

  /** The Fortran handle (`MPI_Comm_c2f`) of {@link handle}, an integer for `use mpi` code. Collective the first time, as `handle`. */
  get fortranHandle(): number {
    return this.native('fortranHandle').fortran;
  }

  private native(what: string): NativeComm {
    this.intraOnly(what);
    const t = this.transport;
    if (!t.nativeComm) {
      throw new TransportError(`${what} needs the MPI transport, but this job runs on '${t.name}'; start the deck with ` +
        '`simdeck run --transport mpi`, or under mpirun/mpiexec/srun');
    }
    return t.nativeComm(this.context, this.worldRanks);
  }

  /** Marks this communicator as no longer used (local). */
  free(): void {
    forgetComm(this);
  }

  /** A printable summary: `Comm(world, rank 0 of 4)`. */
  toString(): string {
    return `Comm(${this.name}, rank ${this.rank} of ${this.size})`;
  }
}

/** The largest value of a C int, the range of MPI's integer arguments (colors, keys). */
const INT_MAX = 0x7fffffff;

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
