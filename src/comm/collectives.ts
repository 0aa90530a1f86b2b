/**
 * Collective algorithms, written once as generators over the transport's nonblocking calls:
 * the blocking forms run them to completion, the nonblocking forms (ibarrier, ibcast, ...) step
 * them from a Request. Every collective has its own tag (the communicator's collective count)
 * on the communicator's collective context, so collectives never match point-to-point traffic
 * or each other, and its messages carry the call's signature (see collectiveCheck).
 *
 * Algorithms (p ranks): dissemination barrier (log p rounds); binomial-tree bcast, reduce,
 * gather, scatter (log p); recursive-doubling allreduce for small values (any p: the ranks past
 * a power of two fold in first); ring reduce-scatter + allgather for large typed arrays
 * (bandwidth-optimal); Bruck allgather of values and typed blocks (log p); Hillis-Steele scan
 * (log p); pairwise alltoall (p - 1 rounds).
 *
 * Blocking collectives send and receive through the transport's try-paths when they can
 * (trySend; tryRecv, which polls the peer directly), so a small collective allocates no
 * request objects on the way; see Coll.blocking.
 */
import { ArgumentError, CollectiveMismatchError, DeadlockError, describe, EncodeError } from '../errors.js';
import { OBJECT_ENCODING, typedArrayEncoding } from '../transport/encoding.js';
import type { CollectiveCall, NativeCollectives, NativeOp, Transport, TransportRequest } from '../transport/transport.js';
import { ANY_TAG } from '../transport/transport.js';
import { checking, mismatch, signature, type CallName } from './collectiveCheck.js';
import type { Comm } from './comm.js';
import { bytesOf, checkAttached, decode, encode, isDetached } from './codec.js';
import { Op } from './ops.js';
import { Request } from './request.js';

/** Any typed array simdeck sends raw. */
export type TypedArray = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array
  | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

type Step<T> = Generator<TransportRequest, T, void>;

/** Typed arrays at least this large take the bandwidth-optimal allreduce. */
const LARGE_REDUCE_BYTES = 64 * 1024;

/** What a send that went out at once (through trySend) returns: a request that is already complete. */
const SENT: TransportRequest = Object.freeze({
  kind: 'send', done: true, error: null, data: null, source: -1, tag: -1, encoding: 0, bytes: 0, signature: 0, peer: -1, context: -1,
}) as TransportRequest;
/** The buffer zero-byte messages (barrier) are received into. */
const NOTHING = new Uint8Array(0);

/** One collective call in progress: its tag, signature and messaging helpers. */
export class Coll implements CollectiveCall {
  readonly t: Transport;
  readonly ctx: number;
  readonly tag: number;
  readonly sig: number;
  readonly p: number;
  readonly r: number;
  /**
   * True while a blocking call runs this collective (set by {@link run}): its messages then take
   * the transport's try-paths first (trySend, and tryRecv, which polls a while before giving up),
   * skipping request objects. A nonblocking collective must not poll, so it leaves this false.
   */
  blocking = false;
  /** The encoding of the message {@link take} returned last. */
  encoding = 0;
  private description: string | null = null;

  constructor(readonly comm: Comm, readonly call: CallName, readonly root: number, readonly length: number) {
    this.t = comm.transport;
    this.ctx = comm.context + 1;
    this.tag = comm.nextCollective();
    this.sig = signature(call, root, length);
    this.p = comm.size;
    this.r = comm.rank;
    comm.history.note(this.tag, this);
    comm.natives()?.announce(this);
  }

  /** The mismatch error for local rank `peer` being in collective `tag` with signature `sig` (see CollectiveCall). */
  mismatch(peer: number, tag: number, sig: number): Error {
    return this.mismatchWith(this.comm.toWorld(peer), tag, sig);
  }

  /** `bcast(root=0) on world [collective #3]`, for hang reports and mismatch errors. */
  toString(): string {
    if (this.description === null) {
      const args = [this.root >= 0 ? `root=${this.root}` : '', this.length >= 0 ? `${this.length} elements` : ''].filter((a) => a !== '');
      this.description = `${this.call}(${args.join(', ')}) on ${this.comm.name} [collective #${this.tag}]`;
    }
    return this.description;
  }

  /** Starts sending encoded bytes to local rank `to` (a blocking collective sends small ones at once). */
  sendBytes(bytes: Uint8Array, encoding: number, to: number): TransportRequest {
    const dest = this.comm.toWorld(to);
    if (this.blocking && this.t.trySend(bytes, encoding, dest, this.tag, this.ctx, this.sig)) return SENT;
    return this.t.isend(bytes, encoding, dest, this.tag, this.ctx, this.sig);
  }

  /** Starts sending a value (encoded here) to local rank `to`. */
  send(value: unknown, to: number): TransportRequest {
    const e = encode(value);
    return this.sendBytes(e.bytes, e.encoding, to);
  }

  /** Posts a receive from local rank `from`, optionally into a buffer. */
  irecv(from: number, into: Uint8Array | null = null, expect = -1): TransportRequest {
    return this.t.irecv(this.comm.toWorld(from), this.tag, this.ctx, into, expect);
  }

  /**
   * Waits for a receive, checks the sender's signature, and returns the request. A receive
   * that failed because the message does not fit (it stays queued) reports the mismatch of
   * calls behind it rather than the truncation, when the message's signature differs.
   */
  *wait(req: TransportRequest): Step<TransportRequest> {
    if (!req.done) yield req;
    if (req.error) {
      if (req.kind === 'recv') {
        for (const e of this.t.queued(this.ctx)) {
          if (e.tag === this.tag && e.source === req.peer && e.signature !== this.sig) {
            throw mismatch(this.comm.name, this.tag, this.r, this.toString(), this.comm.toLocal(e.source), e.signature);
          }
        }
      }
      throw req.error;
    }
    if (req.kind === 'recv' && req.signature !== this.sig) {
      throw mismatch(this.comm.name, this.tag, this.r, this.toString(), this.comm.toLocal(req.source), req.signature);
    }
    return req;
  }

  /**
   * Receives a message from local rank `from` (into `into` when given, which must then take
   * `expect`'s encoding) and returns its bytes; their encoding is left in {@link encoding}.
   * Checks the sender's signature. A blocking collective first tries the transport's tryRecv.
   */
  *take(from: number, into: Uint8Array | null = null, expect = -1): Step<Uint8Array> {
    return this.tryTake(from, into, expect) ?? (yield* this.takeSlow(from, into, expect));
  }

  /**
   * The first half of {@link take}, without a generator (hot paths call it inline): in a
   * blocking collective, the message if the transport's tryRecv finds it; otherwise null.
   */
  tryTake(from: number, into: Uint8Array | null, expect: number): Uint8Array | null {
    if (!this.blocking) return null;
    const got = this.t.tryRecv(this.comm.toWorld(from), this.tag, this.ctx, into, expect);
    if (got === null) return null;
    const last = this.t.last;
    if (last.signature !== this.sig) {
      throw mismatch(this.comm.name, this.tag, this.r, this.toString(), this.comm.toLocal(last.source), last.signature);
    }
    this.encoding = last.encoding;
    return got;
  }

  /** The second half of {@link take}: a posted receive, waited for. */
  *takeSlow(from: number, into: Uint8Array | null, expect: number): Step<Uint8Array> {
    const req = yield* this.wait(this.irecv(from, into, expect));
    this.encoding = req.encoding;
    return req.data!;
  }

  /** Receives and decodes a value from local rank `from`. */
  *recv(from: number): Step<unknown> {
    const data = yield* this.take(from);
    return decode(data, this.encoding);
  }

  /**
   * While a blocking collective waits for `waiting` (a receive from one peer): fails fast when
   * the queue proves that the ranks disagree (see collectiveCheck):
   * - a message of this collective with another signature (another call, root or length);
   * - a message of a collective this rank has finished or skipped (an older tag, not in flight);
   * - from the peer we wait for, a message of a later collective and none of this one: the peer
   *   sends in order and completes a blocking collective before starting the next, so what we
   *   wait for will never come.
   * Messages of later collectives from other peers are legitimate: those ranks are just ahead.
   */
  checkQueued(waiting: TransportRequest): void {
    if (!checking) return;
    const queued = this.t.queued(this.ctx); // makes progress: may complete what we wait for
    if (waiting.done) return;
    this.comm.natives()?.check?.(this);
    let peerAhead: { tag: number; signature: number } | null = null;
    let peerHasThis = false;
    for (const e of queued) {
      if (this.proves(e)) throw this.mismatchWith(e.source, e.tag, e.signature);
      if (e.source === waiting.peer) {
        if (e.tag === this.tag) peerHasThis = true;
        else if (e.tag > this.tag && peerAhead === null) peerAhead = e;
      }
    }
    if (peerAhead !== null && !peerHasThis && waiting.kind === 'recv' && this.comm.liveCount() === 1) {
      throw this.mismatchWith(waiting.peer, peerAhead.tag, peerAhead.signature);
    }
  }

  /** See CollectiveCall.watch: a queued message of this collective with another signature, or of one this rank has left behind. */
  watch(): void {
    if (!checking) return;
    for (const e of this.t.queued(this.ctx)) if (this.proves(e)) throw this.mismatchWith(e.source, e.tag, e.signature);
  }

  /** Whether a queued message proves a disagreement: this collective's with another signature, or one of a collective this rank finished or skipped. */
  private proves(e: { tag: number; signature: number }): boolean {
    return (e.tag === this.tag && e.signature !== this.sig) || (e.tag < this.tag && !this.comm.isLive(e.tag));
  }

  private mismatchWith(worldSource: number, tag: number, sig: number): Error {
    const err = mismatch(this.comm.name, this.tag, this.r, this.comm.history.at(tag, this.tag), this.comm.toLocal(worldSource), sig, tag);
    if (tag !== this.tag) err.message += ` (this rank is now in ${this.toString()})`;
    return err;
  }
}

/** Runs a collective generator to completion, blocking. */
export function run<T>(c: Coll, gen: Step<T>): T {
  const t = c.t;
  const prev = enterBlocking(c);
  c.blocking = true;
  try {
    let step = gen.next();
    while (!step.done) {
      const req = step.value;
      if (!req.done) blockOn(c, req);
      step = gen.next();
    }
    t.handOver(); // nothing this collective sent may wait for this rank's next call
    return step.value;
  } catch (e) {
    throw asMismatch(c, e);
  } finally {
    leaveBlocking(c, prev);
  }
}

/** Blocks until `req` of collective `c` is done, looking at the queue for proof of a mismatch every few milliseconds of waiting. */
function blockOn(c: Coll, req: TransportRequest): void {
  let polls = 0;
  let nextCheck = performance.now() + 2;
  c.t.block(() => {
    if (req.done) return true;
    if ((++polls & 63) === 0 && performance.now() > nextCheck) {
      c.checkQueued(req);
      nextCheck = performance.now() + 2;
    }
    return false;
  }, req);
}

/**
 * A broadcast without a generator (a bcast loop's hot path): the root sends and returns without
 * waiting for the readers (its messages wait in their rings, so successive bcasts pipeline);
 * another rank takes its parent's message if it is there (tryRecv polls a while; into `into`
 * when given, which must then take `encoding`) and passes it on. Returns the bytes this rank
 * ends with (their encoding in c.encoding), or null, having taken and sent nothing, when the
 * parent's message has not come: the caller then runs the generator, which waits for it. Once
 * it has the message it finishes here (a send that does not fit in a ring waits as in run).
 */
function bcastBytesNow(c: Coll, bytes: Uint8Array | null, encoding: number, root: number, into: Uint8Array | null): Uint8Array | null {
  const { p, r } = c;
  const vr = (r - root + p) % p;
  const prev = enterBlocking(c);
  c.blocking = true;
  try {
    const bit = treeBit(vr, p);
    if (vr !== 0) {
      bytes = c.tryTake((vr - bit + root) % p, into, into === null ? -1 : encoding);
      if (bytes === null) return null;
      encoding = c.encoding;
    }
    c.encoding = encoding;
    for (let mask = bit >> 1; mask > 0; mask >>= 1) {
      if (vr + mask < p) {
        const s = c.sendBytes(bytes!, encoding, (vr + mask + root) % p);
        if (s !== SENT) {
          if (!s.done) blockOn(c, s);
          if (s.error) throw s.error;
        }
      }
    }
    c.t.handOver();
    return bytes;
  } catch (e) {
    throw asMismatch(c, e);
  } finally {
    c.blocking = false;
    leaveBlocking(c, prev);
  }
}

/** What {@link bcastNow} returns when the root's message has not come yet. */
export const NOT_YET: unique symbol = Symbol('not yet');

/** bcast through {@link bcastBytesNow}: root's value, or NOT_YET (nothing taken or sent; run the generator). */
export function bcastNow(c: Coll, value: unknown, root: number): unknown {
  if (c.p === 1) return value;
  if (c.r === root) {
    const e = encode(value);
    bcastBytesNow(c, e.bytes, e.encoding, root, null);
    return value;
  }
  const got = bcastBytesNow(c, null, 0, root, null);
  return got === null ? NOT_YET : decode(got, c.encoding);
}

/** bcastInto through {@link bcastBytesNow}: false when the root's message has not come yet (nothing taken or sent). */
export function bcastIntoNow(c: Coll, buffer: TypedArray, root: number): boolean {
  const bytes = bytesOf(buffer);
  return bcastBytesNow(c, c.r === root ? bytes : null, typedCode(buffer), root, c.r === root ? null : bytes) !== null;
}

/**
 * Marks blocking collective `c` as running (described for hang reports, live for mismatch
 * checks); returns the blocking collective it interrupts (-1: none), for leaveBlocking.
 */
function enterBlocking(c: Coll): number {
  const comm = c.comm;
  const prev = comm.running;
  if (prev >= 0) comm.liveCollectives.add(prev);
  comm.running = c.tag;
  c.t.setActivity(c);
  return prev;
}

/** Undoes enterBlocking. */
function leaveBlocking(c: Coll, prev: number): void {
  const comm = c.comm;
  c.t.setActivity(null);
  comm.running = prev;
  if (prev >= 0) comm.liveCollectives.delete(prev);
}

/** A DeadlockError in collective `c` (a rank it waits for finished its deck) as the collective mismatch it proves; other errors as they are. */
function asMismatch(c: Coll, e: unknown): unknown {
  if (!(e instanceof DeadlockError)) return e;
  return new CollectiveMismatchError(`collective mismatch on ${c.comm.name}: this rank (${c.r}) waits in ${c.toString()} but ${e.message.replace(/^.* can never complete: /, '')}; ` +
    'the ranks made different collective calls (every rank of a communicator must make the same calls in the same order)');
}

/**
 * Runs one of the transport's native collectives (see Transport.collectives) as {@link run}
 * runs a generator: described for hang reports, counted as live, and a wait that a finished
 * rank can never end reported as a collective mismatch.
 */
export function runNative<T>(c: Coll, f: () => T): T {
  const prev = enterBlocking(c);
  try {
    return f();
  } catch (e) {
    throw asMismatch(c, e);
  } finally {
    leaveBlocking(c, prev);
  }
}

/** {@link runNative} of the transport's barrier, without a closure (the hot path of a barrier loop). */
export function nativeBarrier(c: Coll, native: NativeCollectives): void {
  const prev = enterBlocking(c);
  try {
    native.barrier!(c);
  } catch (e) {
    throw asMismatch(c, e);
  } finally {
    leaveBlocking(c, prev);
  }
}

/** {@link runNative} of the transport's allreduce, without a closure; false when it took no part. */
export function nativeAllreduce(c: Coll, native: NativeCollectives, send: Uint8Array, recv: Uint8Array, encoding: number, op: NativeOp): boolean {
  const prev = enterBlocking(c);
  try {
    return native.allreduce(c, send, recv, encoding, op);
  } catch (e) {
    throw asMismatch(c, e);
  } finally {
    leaveBlocking(c, prev);
  }
}

/** The name of a built-in operator a transport may run natively, or null. */
export function nativeOp(op: Op): NativeOp | null {
  return op === Op.SUM ? 'SUM' : op === Op.MAX ? 'MAX' : op === Op.MIN ? 'MIN' : op === Op.PROD ? 'PROD' : null;
}

/** Wraps a collective generator in a Request that steps it (nonblocking collectives). */
export function start<T>(c: Coll, gen: Step<T>): Request<T> {
  let step = { done: false, value: undefined } as unknown as IteratorResult<TransportRequest, T>;
  let current: TransportRequest | null = null;
  c.comm.liveCollectives.add(c.tag);
  const advance = (): boolean => {
    if (step.done) return true;
    while (current === null || current.done) {
      step = gen.next();
      if (step.done) { c.comm.liveCollectives.delete(c.tag); current = null; return true; }
      current = step.value;
    }
    return false;
  };
  advance();
  return new Request<T>(c.t, { advance, result: () => step.value as T, pending: () => current });
}

// ------------------------------------------------------------------ helpers

/** The typed-array encoding of `v`, or 0 for objects. */
export function typedCode(v: unknown): number {
  const code = typedArrayEncoding(v);
  return code > 0 ? code : 0;
}

/**
 * Working space of `like`'s class: the communicator's reusable scratch for a blocking collective
 * (no two run at once), a fresh array for a nonblocking one (it may overlap another collective).
 */
function scratchFor(c: Coll, like: TypedArray, n: number): TypedArray {
  if (c.blocking) return c.comm.scratch(like, n);
  return new (like.constructor as new (n: number) => TypedArray)(n);
}

function lengthOf(v: unknown): number {
  return typedCode(v) > 0 ? (v as TypedArray).length : -1;
}

/** Element-wise in-place combine of built-in ops on typed arrays (acc = op(acc, x) or op(x, acc)). */
function combineInto(op: Op, acc: TypedArray, x: TypedArray, accFirst: boolean): void {
  const n = acc.length;
  if (x.length !== n) throw new ArgumentError(`${op.name}: ranks contributed typed arrays of different lengths (${n} and ${x.length})`);
  const a = acc as unknown as { [i: number]: number };
  const b = x as unknown as { [i: number]: number };
  // Unrolled by four, which V8 runs about 1.45x faster (65536 float64 adds: 87 -> 60 µs).
  let i = 0;
  switch (op) {
    case Op.SUM:
      for (; i + 3 < n; i += 4) { a[i] += b[i]; a[i + 1] += b[i + 1]; a[i + 2] += b[i + 2]; a[i + 3] += b[i + 3]; }
      for (; i < n; i++) a[i] += b[i];
      return;
    case Op.PROD:
      for (; i + 3 < n; i += 4) { a[i] *= b[i]; a[i + 1] *= b[i + 1]; a[i + 2] *= b[i + 2]; a[i + 3] *= b[i + 3]; }
      for (; i < n; i++) a[i] *= b[i];
      return;
    case Op.MAX: for (; i < n; i++) if (b[i] > a[i]) a[i] = b[i]; return;
    case Op.MIN: for (; i < n; i++) if (b[i] < a[i]) a[i] = b[i]; return;
    default: {
      const out = (accFirst ? op.apply(acc, x) : op.apply(x, acc)) as TypedArray;
      (acc as unknown as { set(v: ArrayLike<unknown>): void }).set(out as unknown as ArrayLike<unknown>);
    }
  }
}

function combine(op: Op, lower: unknown, higher: unknown): unknown {
  return op.apply(lower, higher);
}

// ------------------------------------------------------------------ barrier

/** Dissemination barrier: ceil(log2 p) rounds of zero-byte messages. */
export function* barrier(c: Coll): Step<void> {
  const { p, r } = c;
  const empty = new Uint8Array(0);
  for (let k = 1; k < p; k <<= 1) {
    const from = (r - k + p) % p;
    const s = c.sendBytes(empty, 2, (r + k) % p);
    if (c.tryTake(from, NOTHING, -1) === null) yield* c.takeSlow(from, NOTHING, -1);
    if (s !== SENT) yield* c.wait(s);
  }
}

// ------------------------------------------------------------------ bcast

/**
 * A bcast's binomial tree, for the rank `vr` places from the root among `p`: the bit linking it
 * to its parent (vr - bit; its lowest set bit), or for the root the first power of two >= p.
 * Its children are vr + m for each power of two m below that bit with vr + m < p.
 */
function treeBit(vr: number, p: number): number {
  let bit = 1;
  while (bit < p && (vr & bit) === 0) bit <<= 1;
  return bit;
}

/** Binomial-tree broadcast of already-encoded bytes; returns the bytes and encoding every rank ends with. */
function* bcastBytes(c: Coll, bytes: Uint8Array | null, encoding: number, root: number, into: Uint8Array | null): Step<{ bytes: Uint8Array; encoding: number }> {
  const { p, r } = c;
  const vr = (r - root + p) % p;
  const bit = treeBit(vr, p);
  if (vr !== 0) {
    const from = (vr - bit + root) % p;
    const expect = into === null ? -1 : encoding;
    bytes = c.tryTake(from, into, expect) ?? (yield* c.takeSlow(from, into, expect));
    encoding = c.encoding;
  }
  let sends: TransportRequest[] | null = null;
  for (let mask = bit >> 1; mask > 0; mask >>= 1) {
    if (vr + mask < p) {
      const s = c.sendBytes(bytes!, encoding, (vr + mask + root) % p);
      if (s !== SENT) (sends ??= []).push(s);
    }
  }
  if (sends !== null) for (const s of sends) yield* c.wait(s);
  return { bytes: bytes!, encoding };
}

/** bcast: every rank returns root's value. */
export function* bcast(c: Coll, value: unknown, root: number): Step<unknown> {
  if (c.p === 1) return value;
  let bytes: Uint8Array | null = null;
  let encoding = 0;
  if (c.r === root) {
    const e = encode(value);
    bytes = e.bytes;
    encoding = e.encoding;
  }
  const got = yield* bcastBytes(c, bytes, encoding, root, null);
  return c.r === root ? value : decode(got.bytes, got.encoding);
}

/** bcastInto: root's typed array lands in every rank's `buffer`. */
export function* bcastInto(c: Coll, buffer: TypedArray, root: number): Step<TypedArray> {
  if (c.p === 1) return buffer;
  const code = typedCode(buffer);
  yield* bcastBytes(c, c.r === root ? bytesOf(buffer) : null, code, root, c.r === root ? null : bytesOf(buffer));
  return buffer;
}

// ------------------------------------------------------------------ reduce

/** Binomial reduce of `value` to local rank 0 of the relative numbering starting at `root`. */
function* reduceTree(c: Coll, value: unknown, op: Op, root: number): Step<unknown> {
  const { p, r } = c;
  const vr = (r - root + p) % p;
  let acc = value;
  let ownsAcc = false;
  const typed = typedCode(value) > 0;
  for (let mask = 1; mask < p; mask <<= 1) {
    if (vr & mask) {
      yield* c.wait(c.send(acc, (vr - mask + root) % p));
      return undefined;
    }
    const child = vr | mask;
    if (child < p) {
      const got = yield* c.recv((child + root) % p);
      if (typed && op.element !== null && ownsAcc) {
        combineInto(op, acc as TypedArray, got as TypedArray, true);
      } else if (typed && op.element !== null) {
        acc = (acc as TypedArray).slice();
        ownsAcc = true;
        combineInto(op, acc as TypedArray, got as TypedArray, true);
      } else {
        acc = combine(op, acc, got); // the child's subtree holds higher ranks
      }
    }
  }
  return acc;
}

/** reduce: root returns the reduction in rank order; others return undefined. */
export function* reduce(c: Coll, value: unknown, op: Op, root: number): Step<unknown> {
  if (c.p === 1) return copyIfTyped(value);
  if (op.commutative) {
    const result = yield* reduceTree(c, value, op, root);
    return c.r === root ? (result === value ? copyIfTyped(value) : result) : undefined;
  }
  // Rank order needs the tree rooted at rank 0; then rank 0 hands the result to root.
  const result = yield* reduceTree(c, value, op, 0);
  if (root === 0) return c.r === 0 ? (result === value ? copyIfTyped(value) : result) : undefined;
  if (c.r === 0) yield* c.wait(c.send(result, root));
  if (c.r === root) return yield* c.recv(0);
  return undefined;
}

function copyIfTyped(v: unknown): unknown {
  return typedCode(v) > 0 ? (v as TypedArray).slice() : v;
}

// ------------------------------------------------------------------ allreduce

/**
 * allreduce: every rank returns the same reduction, in rank order for non-commutative ops.
 * With `into` (a typed array as long as `value`, possibly `value` itself) large reductions run
 * in place there, allocating nothing.
 */
export function* allreduce(c: Coll, value: unknown, op: Op, into: TypedArray | null = null): Step<unknown> {
  const { p, r } = c;
  const typed = typedCode(value) > 0;
  if (typed && op.element !== null && (value as TypedArray).byteLength >= LARGE_REDUCE_BYTES && (value as TypedArray).length >= p) {
    const acc = into !== null ? copyInto(value as TypedArray, into) : (value as TypedArray).slice();
    yield* ringAllreduce(c, acc, op);
    return acc;
  }
  if (p === 1) return into !== null && typed ? copyInto(value as TypedArray, into) : copyIfTyped(value);
  if (typed && op.element !== null) return yield* doublingInPlace(c, value as TypedArray, op, into);
  const { pof2, rem } = doubling(p);
  let acc = value;
  let vr = r - rem; // rank among the pof2 that take part in the doubling; -1 for those folded away
  if (r < 2 * rem) {
    if ((r & 1) === 0) {
      yield* c.wait(c.send(acc, r + 1));
      vr = -1;
    } else {
      acc = combine(op, yield* c.recv(r - 1), acc);
      vr = r >> 1;
    }
  }
  if (vr >= 0) {
    for (let mask = 1; mask < pof2; mask <<= 1) {
      const vp = vr ^ mask;
      const partner = doublingPartner(vp, rem);
      const s = c.send(acc, partner);
      const got = yield* c.recv(partner);
      yield* c.wait(s);
      acc = vp < vr ? combine(op, got, acc) : combine(op, acc, got);
    }
  }
  if (r < 2 * rem) {
    if ((r & 1) === 1) yield* c.wait(c.send(acc, r - 1));
    else acc = yield* c.recv(r + 1);
  }
  return acc === value ? copyIfTyped(value) : acc;
}

/**
 * The shape of recursive doubling on p ranks: it runs over the largest power of two, pof2; with
 * p = pof2 + rem, the first 2 rem ranks fold in pairs first (even into odd) and get the result
 * back last. Partners combine (lower, higher): rank order holds for non-commutative operators,
 * and every rank ends with the same bits.
 */
function doubling(p: number): { pof2: number; rem: number } {
  let pof2 = 1;
  while (pof2 * 2 <= p) pof2 *= 2;
  return { pof2, rem: p - pof2 };
}

/** The rank behind position `vp` of the doubling (the odd rank of a folded pair, or one past them). */
function doublingPartner(vp: number, rem: number): number {
  return vp < rem ? 2 * vp + 1 : vp + rem;
}

/** Copies `value` into the start of `into` (unless it is `value` itself) and returns that part. */
function copyInto(value: TypedArray, into: TypedArray): TypedArray {
  const acc = into.length === value.length ? into : into.subarray(0, value.length) as TypedArray;
  if (acc !== value) (acc as unknown as { set(v: TypedArray): void }).set(value);
  return acc;
}

/**
 * The recursive doubling of {@link allreduce} for typed arrays and built-in ops, in place: the
 * result grows in `into` (or a copy of `value`), partners' values land raw in scratch space,
 * and nothing is encoded or allocated on the way.
 */
function* doublingInPlace(c: Coll, value: TypedArray, op: Op, into: TypedArray | null): Step<TypedArray> {
  const { p, r } = c;
  const code = typedCode(value);
  const acc = into !== null ? copyInto(value, into) : value.slice();
  const accBytes = bytesOf(acc);
  const tmp = scratchFor(c, acc, acc.length);
  const tmpBytes = bytesOf(tmp);
  const { pof2, rem } = doubling(p);
  let vr = r - rem;
  if (r < 2 * rem) {
    if ((r & 1) === 0) {
      yield* c.wait(c.sendBytes(accBytes, code, r + 1));
      vr = -1;
    } else {
      checkWhole(op, tmpBytes, c.tryTake(r - 1, tmpBytes, code) ?? (yield* c.takeSlow(r - 1, tmpBytes, code)));
      combineInto(op, acc, tmp, false);
      vr = r >> 1;
    }
  }
  if (vr >= 0) {
    for (let mask = 1; mask < pof2; mask <<= 1) {
      const vp = vr ^ mask;
      const partner = doublingPartner(vp, rem);
      const s = c.sendBytes(accBytes, code, partner);
      checkWhole(op, tmpBytes, c.tryTake(partner, tmpBytes, code) ?? (yield* c.takeSlow(partner, tmpBytes, code)));
      if (s !== SENT) yield* c.wait(s); // acc changes next: its bytes must be on their way
      combineInto(op, acc, tmp, vp > vr);
    }
  }
  if (r < 2 * rem) {
    if ((r & 1) === 1) yield* c.wait(c.sendBytes(accBytes, code, r - 1));
    else checkWhole(op, accBytes, c.tryTake(r + 1, accBytes, code) ?? (yield* c.takeSlow(r + 1, accBytes, code)));
  }
  return acc;
}

/** Checks that a partner's array received into `bytes` filled it exactly (ranks' lengths agree). */
function checkWhole(op: Op, bytes: Uint8Array, got: Uint8Array): void {
  if (got.byteLength !== bytes.byteLength) {
    throw new ArgumentError(`${op.name}: ranks contributed typed arrays of different lengths (${bytes.byteLength} and ${got.byteLength} bytes)`);
  }
}

/** Ring reduce-scatter then ring allgather, in place on `acc` (bandwidth-optimal). */
function* ringAllreduce(c: Coll, acc: TypedArray, op: Op): Step<void> {
  const { p, r } = c;
  const n = acc.length;
  const code = typedCode(acc);
  const start = (b: number) => Math.floor((b * n) / p);
  const block = (b: number) => acc.subarray(start(b), start(b + 1)) as TypedArray;
  const right = (r + 1) % p;
  const left = (r - 1 + p) % p;
  const scratch = scratchFor(c, acc, Math.ceil(n / p) + 1);
  for (let s = 0; s < p - 1; s++) {
    const sendB = (r - s + p) % p;
    const recvB = (r - s - 1 + p) % p;
    const target = block(recvB);
    const tmp = scratch.subarray(0, target.length) as TypedArray;
    const snd = c.sendBytes(bytesOf(block(sendB)), code, right);
    yield* c.take(left, bytesOf(tmp), code);
    yield* c.wait(snd);
    combineInto(op, target, tmp, false);
  }
  for (let s = 0; s < p - 1; s++) {
    const sendB = (r + 1 - s + p) % p;
    const recvB = (r - s + p) % p;
    const snd = c.sendBytes(bytesOf(block(sendB)), code, right);
    yield* c.take(left, bytesOf(block(recvB)), code);
    yield* c.wait(snd);
  }
}

// ------------------------------------------------------------------ scan

/** scan (inclusive) or exscan (exclusive; undefined on rank 0): Hillis-Steele, log p rounds. */
export function* scan(c: Coll, value: unknown, op: Op, exclusive: boolean): Step<unknown> {
  const { p, r } = c;
  let partial = value;
  let result: unknown = exclusive ? undefined : value;
  for (let k = 1; k < p; k <<= 1) {
    const s = r + k < p ? c.send(partial, r + k) : null;
    if (r - k >= 0) {
      const got = yield* c.recv(r - k); // covers ranks below ours
      result = result === undefined ? got : combine(op, got, result);
      partial = combine(op, got, partial);
    }
    if (s) yield* c.wait(s);
  }
  return result === value ? copyIfTyped(value) : result;
}

// ------------------------------------------------------------------ gather / scatter

/** Binomial gather of values to `root`: root returns them in rank order. */
export function* gather(c: Coll, value: unknown, root: number): Step<unknown[] | null> {
  const { p, r } = c;
  const vr = (r - root + p) % p;
  let items: unknown[] = [value]; // values of relative ranks vr, vr + 1, ...
  for (let mask = 1; mask < p; mask <<= 1) {
    if (vr & mask) {
      yield* c.wait(c.send(items, (vr - mask + root) % p));
      return null;
    }
    if ((vr | mask) < p) items = items.concat((yield* c.recv(((vr | mask) + root) % p)) as unknown[]);
  }
  const out = new Array<unknown>(p);
  for (let k = 0; k < p; k++) out[(k + root) % p] = items[k];
  return out;
}

/**
 * Bruck allgather of values: ceil(log2 p) rounds; in round k each rank sends the values it has
 * gathered so far (up to k of them) to rank r - k and receives as many from rank r + k.
 * Every rank returns all values in rank order (its own as given, the others decoded).
 */
export function* allgather(c: Coll, value: unknown): Step<unknown[]> {
  const { p, r } = c;
  let items: unknown[] = [value]; // values of ranks r, r + 1, ... (mod p)
  for (let k = 1; k < p; k <<= 1) {
    const m = Math.min(k, p - k);
    const s = c.send(m === items.length ? items : items.slice(0, m), (r - k + p) % p);
    items = items.concat((yield* c.recv((r + k) % p)) as unknown[]);
    yield* c.wait(s);
  }
  const out = new Array<unknown>(p);
  for (let k = 0; k < p; k++) out[(r + k) % p] = items[k];
  return out;
}

/**
 * Bruck allgather of typed arrays, `counts[i]` elements from rank i, into `out` (at least the
 * total long) in rank order. Blocks travel raw, gathered in a scratch array in the order r,
 * r + 1, ... (so each round sends and receives one contiguous range), then rotated into `out`.
 */
export function* allgatherTyped(c: Coll, value: TypedArray, counts: number[], out: TypedArray): Step<TypedArray> {
  const { p, r } = c;
  const code = typedCode(value);
  const offset = new Array<number>(p + 1); // offset[j]: start of rank (r + j)'s block in the scratch order
  offset[0] = 0;
  for (let j = 0; j < p; j++) offset[j + 1] = offset[j] + counts[(r + j) % p];
  const total = offset[p];
  if (out.length < total) throw new ArgumentError(`allgatherInto: the result holds ${out.length} elements but the ranks send ${total}`);
  const rel = p === 1 ? out : scratchFor(c, value, total);
  (rel as unknown as { set(v: TypedArray): void }).set(value);
  for (let k = 1; k < p; k <<= 1) {
    const m = Math.min(k, p - k);
    const s = c.sendBytes(bytesOf(rel.subarray(0, offset[m]) as TypedArray), code, (r - k + p) % p);
    yield* c.take((r + k) % p, bytesOf(rel.subarray(offset[k], offset[k + m]) as TypedArray), code);
    yield* c.wait(s);
  }
  if (p > 1) {
    // rel holds ranks r .. p - 1, then 0 .. r - 1.
    const head = offset[p - r];
    const target = out as unknown as { set(v: TypedArray, at: number): void };
    target.set(rel.subarray(0, head) as TypedArray, total - head);
    target.set(rel.subarray(head, total) as TypedArray, 0);
  }
  return out;
}

/** Binomial scatter: rank i returns `values[i]` of root's array. */
export function* scatter(c: Coll, values: unknown[] | null, root: number): Step<unknown> {
  const { p, r } = c;
  const vr = (r - root + p) % p;
  let items: unknown[]; // values of relative ranks vr .. vr + span - 1
  let mask = 1;
  if (vr === 0) {
    items = new Array<unknown>(p);
    for (let k = 0; k < p; k++) items[k] = values![(k + root) % p];
    while (mask < p) mask <<= 1;
  } else {
    while (!(vr & mask)) mask <<= 1;
    items = (yield* c.recv((vr - mask + root) % p)) as unknown[];
  }
  const sends: TransportRequest[] = [];
  for (mask >>= 1; mask > 0; mask >>= 1) {
    if (vr + mask < p) sends.push(c.send(items.slice(mask, mask * 2), (vr + mask + root) % p));
  }
  for (const s of sends) yield* c.wait(s);
  return items[0];
}

/** Typed-array gather with per-rank lengths straight into one array on root (one copy each). */
export function* gatherv(c: Coll, value: TypedArray, root: number, into: TypedArray | null):
  Step<{ data: TypedArray; counts: number[]; displs: number[] } | null> {
  const { p, r } = c;
  const code = typedCode(value);
  const counts = (yield* gather(c, value.length, root)) as number[] | null;
  if (r !== root) {
    yield* c.wait(c.sendBytes(bytesOf(value), code, root));
    return null;
  }
  const displs = new Array<number>(p);
  let total = 0;
  for (let k = 0; k < p; k++) { displs[k] = total; total += counts![k]; }
  const ctor = value.constructor as new (n: number) => TypedArray;
  if (into !== null && into.length < total) {
    throw new ArgumentError(`gatherInto: the result buffer holds ${into.length} elements but the ranks send ${total}`);
  }
  const data = into ?? new ctor(total);
  const reqs: TransportRequest[] = [];
  for (let k = 0; k < p; k++) {
    const dest = data.subarray(displs[k], displs[k] + counts![k]) as TypedArray;
    if (k === r) (dest as unknown as { set(v: TypedArray): void }).set(value);
    else reqs.push(c.irecv(k, bytesOf(dest), code));
  }
  for (const q of reqs) yield* c.wait(q);
  return { data, counts: counts!, displs };
}

/** Typed-array scatter with per-rank `counts` of root's `data`; each rank gets its block. */
export function* scatterv(c: Coll, data: TypedArray | null, counts: number[] | null, root: number, into: TypedArray | null): Step<TypedArray> {
  const { p, r } = c;
  if (r === root) {
    const code = typedCode(data);
    const sends: TransportRequest[] = [];
    let mine: TypedArray | null = null;
    let offset = 0;
    const myCounts = (yield* scatter(c, counts!.map((n) => [n, code]), root)) as [number, number];
    void myCounts;
    for (let k = 0; k < p; k++) {
      const part = data!.subarray(offset, offset + counts![k]) as TypedArray;
      offset += counts![k];
      if (k === r) mine = part;
      else sends.push(c.sendBytes(bytesOf(part), code, k));
    }
    const out = into ?? mine!.slice();
    if (into !== null) (into as unknown as { set(v: TypedArray): void }).set(mine!);
    for (const s of sends) yield* c.wait(s);
    return into !== null ? into : out;
  }
  const [n, code] = (yield* scatter(c, null, root)) as [number, number];
  if (into !== null && into.length < n) throw new ArgumentError(`scatterInto: the result buffer holds ${into.length} elements but this rank's block has ${n}`);
  const got = yield* c.take(root, into !== null ? bytesOf(into) : null, into !== null ? code : -1);
  return into !== null ? into : (decode(got, c.encoding) as TypedArray);
}

// ------------------------------------------------------------------ alltoall

/** Pairwise exchange: rank i returns [values_0[i], values_1[i], ...]. */
export function* alltoall(c: Coll, values: unknown[]): Step<unknown[]> {
  const { p, r } = c;
  const out = new Array<unknown>(p);
  out[r] = values[r];
  for (let k = 1; k < p; k++) {
    const to = (r + k) % p;
    const from = (r - k + p) % p;
    const s = c.send(values[to], to);
    out[from] = yield* c.recv(from);
    yield* c.wait(s);
  }
  return out;
}

/**
 * Neighbour exchange on a Cartesian communicator. Slots come in pairs per dimension: 2d is the
 * neighbour below (receives what it sent upward), 2d+1 the one above. Sends go upward first in
 * each dimension and receives are posted below first, so that a rank that is both neighbours
 * (a periodic dimension of size 1 or 2) still lands each value in its slot.
 */
export function* neighborExchange(c: Coll, values: unknown[], neighbours: number[], procNull: number): Step<unknown[]> {
  const recvs: (TransportRequest | null)[] = neighbours.map((n) => (n === procNull ? null : c.irecv(n)));
  const sends: TransportRequest[] = [];
  for (let d = 0; d < neighbours.length; d += 2) {
    if (neighbours[d + 1] !== procNull) sends.push(c.send(values[d + 1], neighbours[d + 1]));
    if (neighbours[d] !== procNull) sends.push(c.send(values[d], neighbours[d]));
  }
  const out: unknown[] = [];
  for (const q of recvs) {
    if (q === null) { out.push(undefined); continue; }
    const got = yield* c.wait(q);
    out.push(decode(got.data!, got.encoding));
  }
  for (const s of sends) yield* c.wait(s);
  return out;
}

/** Checks that `value` is a typed array (with its buffer still attached) for a typed-array collective. */
export function checkTyped(value: unknown, what: string): TypedArray {
  if (typedCode(value) <= 0) throw new ArgumentError(`${what} needs a typed array (Float64Array, Int32Array, ...), got ${describe(value)}`);
  if ((value as TypedArray).byteLength === 0 && isDetached(value as TypedArray)) {
    throw new ArgumentError(`${what}: this ${(value as TypedArray).constructor.name}'s buffer was detached (transferred to a worker or by structuredClone's transfer); pass a live array`);
  }
  return value as TypedArray;
}

/**
 * Throws EncodeError for a value that can never travel (a function, a symbol, a detached typed
 * array), itself or inside arrays, plain objects, Maps and Sets (to a depth of 64), so that a
 * collective refuses it before sending anything. Linear in the value's size, without allocating.
 */
export function checkSendable(value: unknown, what: string, depth = 0): void {
  const type = typeof value;
  if (type === 'function' || type === 'symbol') {
    throw new EncodeError(`${what}: a ${type} cannot be sent in a message${depth > 0 ? ' (found inside the value)' : ''}; send data (numbers, strings, arrays, objects, typed arrays) instead`);
  }
  if (type !== 'object' || value === null || depth > 64) return;
  if (ArrayBuffer.isView(value)) {
    if (value.byteLength === 0) {
      try { checkAttached(value); } catch (e) { throw new EncodeError(`${what}: ${(e as Error).message}`); }
    }
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkSendable(value[i], what, depth + 1);
  } else if (value instanceof Map) {
    for (const [k, v] of value) { checkSendable(k, what, depth + 1); checkSendable(v, what, depth + 1); }
  } else if (value instanceof Set) {
    for (const v of value) checkSendable(v, what, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    for (const k in value) checkSendable((value as Record<string, unknown>)[k], what, depth + 1);
  }
}

/** {@link checkSendable} for each of `values`. */
export function checkAllSendable(values: readonly unknown[], what: string): void {
  for (const v of values) checkSendable(v, what);
}

export { ANY_TAG, OBJECT_ENCODING, lengthOf };
