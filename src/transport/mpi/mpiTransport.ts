/**
 * The MPI transport: simdeck's messages over the system MPI library, called through koffi.
 * It ties together, by role:
 *
 * - envelope.ts: every message starts as an envelope (header, and the payload when small) on a
 *   duplicate of MPI_COMM_WORLD, taken by a few standing MPI_Irecv(ANY_SOURCE, ANY_TAG);
 *   simdeck's context and tag ride in the header, so no MPI communicator is created when a
 *   simdeck one is and MPI's tag space never limits simdeck's.
 * - bulk.ts: larger payloads as MPI messages of the array's own datatype on a second duplicate;
 *   up to the eager limit of the buffering rule (../buffering.ts) from a copy the receiver pulls
 *   at once (PULL: `send` returns while the pair's buffer has room), past it with MPI_Issend
 *   from the array once a receive matches (RTS: `send` waits for the matching receive) — so a
 *   deck finishes, or deadlocks, exactly as on shared memory.
 * - flowControl.ts: credits per destination, so MPI_Send of an envelope never waits for the
 *   receiver; messages without credit wait at the sender.
 * - matching.ts: MPI's matching order, and fair ANY_SOURCE receives.
 * - deadlockProbe.ts: deadlock detection over the transport (waves of PROBE/REPORT envelopes).
 *
 * A queued message moves on at its sender's next simdeck call, so every blocking call settles
 * first (see settle()): it returns to the deck once every queued message is in MPI and each
 * destination that ran out of credit has one.
 *
 * Waiting polls MPI_Test; it spins while every rank on the node has a core, and otherwise (or
 * after a while) yields the core and then sleeps between polls, longer as the wait lasts. A
 * rank that finishes its deck tells the others (FIN), so a receive that can never complete
 * fails with a DeadlockError instead of hanging (jobs up to {@link FIN_LIMIT} ranks).
 *
 * Costs at 8 bytes: one MPI_Send on the sender; on the receiver the MPI_Test that finds a
 * standing receive complete (posting it again happens at the next poll, after this rank's
 * reply has gone out).
 */
import { BaseRequest, describeWait, envelopeOf, envelopesOn } from '../request.js';
import koffi from 'koffi';
import { libcFunction } from '../../system/libc.js';
import { ArgumentError, DeadlockError } from '../../errors.js';
import { compatibleEncodings, elementBytes } from '../encoding.js';
import {
  ANY_SOURCE, ANY_TAG, type Encoding, type Envelope, type NativeComm, type Transport, type TransportRequest,
  type NativeCollectives,
} from '../transport.js';
import { check, errorString, MpiError } from './errors.js';
import { drainOutput } from './outputDrain.js';
import { copyBytes, takePayload } from '../bytes.js';
import type { MpiLibrary } from './library.js';
import {
  BACKLOG, CREDIT, DEADLOCK, EAGER, EAGER_PAYLOAD, EnvelopeChannel, FIN, HEADER, HINT, PROBE, PULL, REPORT, RTS,
  W_BEHIND, W_BYTES_HI, W_BYTES_LO, W_CONTEXT, W_CREDITS, W_KIND, W_SEQ, W_SIGNATURE, W_TAG, type HeaderFields, type RecvSlot,
} from './envelope.js';
import { BulkTransfers, Req } from './bulk.js';
import { CopyPool } from './memory.js';
import { Matcher, type Unexpected } from './matching.js';
import { FlowControl } from './flowControl.js';
import { MpiCollectives } from './nativeCollectives.js';
import { NodeHints } from './nodeHints.js';
import { eagerLimit, pairBufferBytes } from '../buffering.js';
import { DeadlockProbe, type WaitReport } from './deadlockProbe.js';
import { EXIT_STATUS_DEADLOCK } from '../transport.js';

/** Ranks that announce the end of their deck to every other rank (O(size) messages each). */
export const FIN_LIMIT = 512;

/** Whether receives send hints (see MpiTransport.sendHint). */
const RECV_HINTS = process.env.SIMDECK_MPI_RECV_HINTS !== '0';

/** SIMDECK_MPI_DIRECT_STATS=1: each rank prints, at finalize, how many of its buffered sends went straight from the deck's array. */
const DIRECT_STATS = process.env.SIMDECK_MPI_DIRECT_STATS === '1';

/** Polls before yielding: dedicated cores, oversubscribed. */
const SPIN_DEDICATED = 20000;
const SPIN_SHARED = 64;

const STALL = -2;

/** Settings the runtime passes in. */
export interface MpiTransportOptions {
  /** Spin while waiting (every rank has a core); otherwise yield and sleep. */
  spin: boolean;
  /** Seconds a rank may stay blocked before it reports what it waits for and aborts the job; null for never. */
  hangTimeout: number | null;
  /** Names of contexts for diagnostics. */
  contextName?: (context: number) => string;
}

/** What MPI told about this process at start-up. */
export interface MpiWorldInfo {
  rank: number;
  size: number;
  /** MPI_APPNUM: the index of this process's executable in an MPMD launch (0 otherwise). */
  appIndex: number;
  /** World ranks running the same app, in order. */
  appRanks: number[];
  /** MPI_TAG_UB of the library. */
  tagUb: number;
}

let libc: { sched_yield: () => number } | null = null;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** The MPI transport of one rank. Create with {@link MpiTransport.start}. */
export class MpiTransport implements Transport {
  readonly name: string;
  readonly rank: number;
  readonly size: number;
  readonly info: MpiWorldInfo;
  readonly last: Envelope = { source: 0, tag: 0, bytes: 0, encoding: 0, signature: 0 };

  private readonly fn: MpiLibrary['fn'];
  private readonly BYTE: number;
  private readonly TYPES: number[];
  private readonly ANY_SRC: number;
  private readonly env: number;
  private readonly bulk: number;
  /**
   * The transport's own collectives (at finalize). Not on `env`: MPICH 4.0.2 lets the standing
   * MPI_Irecv(ANY_SOURCE, ANY_TAG) on a communicator swallow a nonblocking collective's
   * message to self there (a 1-rank MPI_Ialltoall then never completes).
   */
  private readonly coll: number;
  /** The communicator of the world's native collectives (nativeCollectives.ts), apart from finalize's. */
  private readonly worldNative: number;
  private readonly envelopes: EnvelopeChannel;
  private readonly header: HeaderFields = { kind: 0, encoding: 0, context: 0, tag: 0, signature: 0, bytes: 0, seq: 0, behind: 0, credits: 0 };
  /** The envelope arena's views and MPI_Test flag/status addresses (see EnvelopeChannel). */
  private readonly u8: Uint8Array;
  private readonly i32: Int32Array;
  private readonly flagAddr: number;
  private readonly statusAddr: number;
  private readonly match: Matcher;
  private readonly bulkTransfers: BulkTransfers;
  private readonly nextSeq: Int32Array;
  private readonly seqMask: number;
  private readonly flow: FlowControl;
  /** True while this rank waits (it then gives credits back at once: a sender may be waiting for them). */
  private waiting = false;
  private readonly finished: Uint8Array;
  private finishedCount = 0;
  /** Envelopes sent to / taken from each rank (finalize drains until every envelope sent here is taken). */
  private readonly sentTo: Int32Array;
  private readonly takenFrom: Int32Array;
  /** Message envelopes (EAGER, PULL, RTS) sent to / taken from each rank, for receive hints. */
  private readonly messagesTo: Int32Array;
  private readonly messagesFrom: Int32Array;
  /**
   * Receive hints (HINT envelopes): rank r waits in a receive from this rank, having taken
   * hintTaken[r] messages from it; valid while messagesTo[r] still equals that (none in flight).
   */
  private readonly hintTaken: Int32Array;
  private readonly hinted: Uint8Array;
  /** This rank's hint word in the node's segment while a wait has it out: the source (-1: none), the messages taken from it, the word stored. */
  private readonly wordHint = { source: -1, taken: 0, word: 0 };
  /**
   * The blocking receive whose fast path (tryRecv) is taking envelopes: it is posted next, so a
   * PULL message it will take may land straight in its buffer (see certainReceiver).
   */
  private readonly fastRecv = { active: false, peer: 0, tag: 0, context: 0, into: null as Uint8Array | null, expect: -1 };
  /** Set once finalize has made sure no rank needs credit any more: nothing is sent after that. */
  private silent = false;
  private readonly spinPolls: number;
  private readonly hangMs: number | null;
  private activity: { toString(): string } | null = null;
  private blocked: TransportRequest | null = null;
  private finalized = false;
  private aborting = false;
  private readonly natives = new Map<number, { members: Int32Array | null; value: NativeComm }>();
  /** The buffering rule (buffering.ts): largest buffered message, and bytes held per destination. */
  private readonly eagerLimit: number;
  private readonly pairBytes: number;
  /** Bytes of PULL copies per destination whose transfer has not completed. */
  private readonly pulling: Float64Array;
  /** Memory for the copies of PULL sends. */
  private readonly copies = new CopyPool();
  // deadlock detection (deadlockProbe.ts)
  private readonly probe: DeadlockProbe;
  private dataSent = 0;
  private dataTaken = 0;
  private readonly dataSentTo: Int32Array;
  private readonly dataTakenFrom: Int32Array;
  private waits = 0;
  /** A probe to answer: [coordinator, wave]. */
  private probed: [number, number] | null = null;
  private condemned = false;
  /** A native collective gives MPI time to complete after a peer finished: not idle meanwhile (nativeCollectives.ts). */
  private settling = false;
  private verdicts = 0;
  /** Buffered (PULL) sends, and those sent straight from the deck's array (SIMDECK_MPI_DIRECT_STATS). */
  private pullSends = 0;
  private directSends = 0;

  private constructor(private readonly lib: MpiLibrary, info: MpiWorldInfo, comms: { env: number; bulk: number; coll: number; native: number },
    private readonly opts: MpiTransportOptions, private readonly nodeHints: NodeHints | null) {
    this.info = info;
    this.rank = info.rank;
    this.size = info.size;
    this.fn = lib.fn;
    this.BYTE = lib.h.BYTE;
    this.TYPES = lib.h.DATATYPES;
    this.ANY_SRC = lib.abi.ANY_SOURCE;
    this.env = comms.env;
    this.bulk = comms.bulk;
    this.coll = comms.coll;
    this.worldNative = comms.native;
    this.name = `mpi:${shortVersion(lib)}`;
    this.envelopes = new EnvelopeChannel(lib, this.env);
    this.u8 = this.envelopes.u8;
    this.i32 = this.envelopes.i32;
    this.flagAddr = this.envelopes.flagAddr;
    this.statusAddr = this.envelopes.statusAddr;
    this.bulkTransfers = new BulkTransfers(lib, this.bulk);
    const n = this.size;
    this.nextSeq = new Int32Array(n);
    // Sequence numbers are MPI tags on the bulk communicator: keep them within MPI_TAG_UB.
    let mask = 1;
    while (mask * 2 - 1 <= info.tagUb && mask < 2 ** 30) mask *= 2;
    this.seqMask = mask - 1;
    this.flow = new FlowControl(n);
    this.match = new Matcher(n, (req, u) => this.deliver(req, u));
    this.finished = new Uint8Array(n);
    this.sentTo = new Int32Array(n);
    this.takenFrom = new Int32Array(n);
    this.messagesTo = new Int32Array(n);
    this.messagesFrom = new Int32Array(n);
    this.hintTaken = new Int32Array(n);
    this.hinted = new Uint8Array(n);
    this.spinPolls = opts.spin ? SPIN_DEDICATED : SPIN_SHARED;
    this.pairBytes = pairBufferBytes(n);
    this.eagerLimit = Math.max(EAGER_PAYLOAD, eagerLimit(n, this.pairBytes));
    this.pulling = new Float64Array(n);
    this.dataSentTo = new Int32Array(n);
    this.dataTakenFrom = new Int32Array(n);
    this.probe = new DeadlockProbe((r, wave) => this.sendEnvelope(PROBE, 0, r, wave, 0, 0, 0, 0, 0, null));
    this.hangMs = opts.hangTimeout === null ? null : opts.hangTimeout * 1000;
    process.on('exit', (code) => this.atExit(code));
  }

  /**
   * Initializes MPI (MPI_Init_thread, FUNNELED: only the main thread calls MPI) unless the
   * process already did, and creates the transport. Collective over MPI_COMM_WORLD.
   * Throws MpiError when an MPI call fails.
   */
  static start(lib: MpiLibrary, opts: MpiTransportOptions): MpiTransport {
    const { fn, abi, h } = lib;
    const flag = new Int32Array(1);
    check(lib, fn.Initialized(flag), 'MPI_Initialized');
    if (flag[0] === 0) {
      const provided = new Int32Array(1);
      check(lib, fn.Init_thread(null, null, abi.THREAD_FUNNELED, provided), 'MPI_Init_thread');
    }
    const out = new Int32Array(1);
    check(lib, fn.Comm_rank(h.COMM_WORLD, out), 'MPI_Comm_rank');
    const rank = out[0];
    check(lib, fn.Comm_size(h.COMM_WORLD, out), 'MPI_Comm_size');
    const size = out[0];
    const tagUb = attribute(lib, h.COMM_WORLD, abi.KEY_TAG_UB) ?? 32767;
    const appnum = attribute(lib, h.COMM_WORLD, abi.KEY_APPNUM);
    const appIndex = appnum === null || appnum < 0 ? 0 : appnum;
    const all = new Int32Array(size);
    check(lib, fn.Allgather(Int32Array.of(appIndex), 1, h.DATATYPES[6], all, 1, h.DATATYPES[6], h.COMM_WORLD), 'MPI_Allgather');
    const appRanks: number[] = [];
    all.forEach((a, r) => { if (a === appIndex) appRanks.push(r); });
    const dup = () => {
      const cell = lib.abi.handleBytes === 8 ? new BigInt64Array(1) : new Int32Array(1);
      check(lib, fn.Comm_dup(h.COMM_WORLD, cell), 'MPI_Comm_dup');
      const comm = Number(cell[0]);
      check(lib, fn.Comm_set_errhandler(comm, h.ERRORS_RETURN), 'MPI_Comm_set_errhandler');
      return comm;
    };
    const comms = { env: dup(), bulk: dup(), coll: dup(), native: dup() };
    const nodeHints = NodeHints.open(lib, rank, size, RECV_HINTS && opts.spin);
    return new MpiTransport(lib, { rank, size, appIndex, appRanks, tagUb }, comms, opts, nodeHints);
  }

  /** The library this transport runs on. */
  get library(): MpiLibrary {
    return this.lib;
  }

  private fail(what: string, rc: number): never {
    throw new MpiError(`${what} failed: ${errorString(this.lib, rc)}`, rc);
  }

  private checkPeer(r: number): void {
    if (!Number.isInteger(r) || r < 0 || r >= this.size) throw new ArgumentError(`rank ${r} is not a world rank (0 to ${this.size - 1})`);
  }

  // ---------------------------------------------------------------- envelopes

  /** Writes an envelope (header and eager payload) and sends it with MPI_Send; gives back the credits `dest` is owed. */
  private sendEnvelope(kind: number, encoding: number, dest: number, tag: number, context: number, signature: number,
    bytes: number, seq: number, behind: number, payload: Uint8Array | null): void {
    const h = this.header;
    h.kind = kind; h.encoding = encoding; h.context = context; h.tag = tag; h.signature = signature;
    h.bytes = bytes; h.seq = seq; h.behind = behind; h.credits = this.flow.returned[dest];
    this.flow.returned[dest] = 0;
    this.envelopes.send(dest, h, payload);
    this.sentTo[dest]++;
    if (kind <= RTS) this.messagesTo[dest]++;
    if (kind < PROBE && this.finished[dest] === 0) { this.dataSent = (this.dataSent + 1) | 0; this.dataSentTo[dest]++; }
  }

  private sendControl(kind: number, dest: number, context = 0): void {
    if (this.finished[dest] === 0 && !this.silent) this.sendEnvelope(kind, 0, dest, 0, context, 0, 0, 0, 0, null);
  }

  /**
   * Reads the flow-control words of a data or control envelope from `source` (credits given
   * back, announced backlogs, the end of its deck). Returns the envelope kind.
   */
  private control(source: number, w: number): number {
    const i32 = this.i32;
    const kind = i32[w + W_KIND] & 0xff;
    const back = i32[w + W_CREDITS];
    this.takenFrom[source]++;
    if (kind < PROBE && this.finished[source] === 0) { this.dataTaken = (this.dataTaken + 1) | 0; this.dataTakenFrom[source]++; }
    if (kind <= RTS) {
      this.messagesFrom[source]++;
      this.flow.returned[source]++;
      const ctx = i32[w + W_CONTEXT];
      if (i32[w + W_BEHIND] > 0) this.match.owe(source, ctx);
      else if (this.match.owing[source] !== null) this.match.paid(source, ctx);
    } else if (kind === BACKLOG) {
      this.match.owe(source, i32[w + W_CONTEXT]);
    } else if (kind === FIN) {
      this.peerFinished(source);
    } else if (kind === PROBE) {
      this.probed = [source, i32[w + W_TAG]];
      if (!this.waiting) this.answerProbe(false);
    } else if (kind === REPORT) {
      this.probe.report(i32[w + W_TAG], {
        rank: source, idle: (i32[w] >>> 8) === 1, sent: i32[w + W_BYTES_LO] >>> 0, taken: i32[w + W_BEHIND] >>> 0,
        waits: i32[w + W_SIGNATURE] >>> 0, finished: i32[w + W_CONTEXT],
        text: new TextDecoder().decode(this.u8.subarray(w * 4 + HEADER, w * 4 + HEADER + i32[w + W_SEQ])),
      });
    } else if (kind === HINT) {
      this.hintTaken[source] = i32[w + W_CONTEXT];
      this.hinted[source] = 1;
    } else if (kind === DEADLOCK) {
      if (this.rank === this.coordinator()) this.verdicts++;
      else this.condemned = true;
    }
    if (back !== 0) {
      this.flow.credits[source] += back;
      if (this.flow.queues[source].length !== 0) this.flush(source);
    }
    return kind;
  }

  /** Gives credits back to senders: those with a backlog at once, others once enough have gathered. */
  private giveBack(source: number): void {
    if (this.flow.giveBackNow(source, this.match.owing[source] !== null, this.waiting)) this.sendControl(CREDIT, source);
  }

  private peerFinished(source: number): void {
    if (this.finished[source] !== 0) return;
    this.finished[source] = 1;
    this.finishedCount++;
    // Traffic with a finished rank no longer counts for deadlock detection (on either side, once each knows).
    this.dataSent = (this.dataSent - this.dataSentTo[source]) | 0;
    this.dataTaken = (this.dataTaken - this.dataTakenFrom[source]) | 0;
    this.match.forget(source);
    // Messages still waiting for credit can never be received: drop them (as a send into a finished rank's ring).
    this.flow.drop(source);
    // Large messages it will never receive: stop waiting for them.
    this.bulkTransfers.abandonSendsTo(source);
  }

  // ---------------------------------------------------------------- sending

  isend(data: Uint8Array, encoding: Encoding, dest: number, tag: number, context: number, signature = 0): TransportRequest {
    const req = new Req('send', dest, context, tag, encoding, data);
    const bytes = data.byteLength;
    req.bytes = bytes;
    req.signature = signature;
    if (dest === this.rank) {
      this.match.unexpected.push({ source: dest, tag, context, encoding, bytes, signature, data: data.slice(), seq: 0, landing: null });
      this.match.matchPosted();
      req.done = true;
      return req;
    }
    this.checkPeer(dest);
    const kind = bytes <= EAGER_PAYLOAD ? EAGER : bytes <= this.eagerLimit ? PULL : RTS;
    // the receiver waits in a receive from this rank with nothing of ours in flight: it stays
    // in that wait (pulling at once) until our next message, so a buffered send need not copy
    // (hintFrom may take what has arrived, a FIN included: check for a finished rank after it)
    const direct = kind === PULL && this.directTo(dest);
    if (this.finished[dest] !== 0) {
      req.done = true;
      return req;
    }
    const flow = this.flow;
    if (flow.open(dest)) {
      flow.spend(dest);
      this.emit(kind, req, data, 0, false, direct);
      return req;
    }
    // No credit: wait in the queue (buffered messages copied while the pair's buffer has room, so the send completes now).
    const buffered = kind !== RTS && this.hasRoom(dest, flow.queuedBytes[dest] + bytes);
    if (buffered) req.done = true;
    const copy = !buffered ? data : kind === PULL ? this.copies.copy(data) : data.slice();
    if (flow.enqueue(dest, { kind, req, data: copy, buffered })) this.sendControl(BACKLOG, dest, context);
    return req;
  }

  /**
   * Sends a message that has its credit: an eager envelope; or a PULL header and the payload
   * from a copy (`copied`: `data` is one already), the send complete at once while the pair's
   * buffer has room, else when the receiver has pulled it; or an RTS header and the payload
   * with MPI_Issend, complete once the matching receive has started (whatever MPI's own eager
   * limit), as on every transport. `direct`: a PULL sent straight from `data`, complete once
   * pulled, for a receiver known to wait for it (a receive hint).
   */
  private emit(kind: number, req: Req, data: Uint8Array, behind: number, copied: boolean, direct = false): void {
    const dest = req.peer;
    if (kind === EAGER) {
      this.sendEnvelope(EAGER, req.encoding, dest, req.tag, req.context, req.signature, req.bytes, 0, behind, data);
      req.done = true;
      return;
    }
    const seq = this.nextSeq[dest];
    this.nextSeq[dest] = (seq + 1) & this.seqMask;
    this.sendEnvelope(kind, req.encoding, dest, req.tag, req.context, req.signature, req.bytes, seq, behind, null);
    if (kind === RTS) {
      this.bulkTransfers.start(req, true, data, req.encoding, dest, seq);
      return;
    }
    this.pullSends++;
    if (direct) {
      // straight from the array, complete once pulled: no copy, so nothing held in the pair buffer
      this.directSends++;
      this.bulkTransfers.start(req, true, data, req.encoding, dest, seq, false);
      return;
    }
    const copy = copied ? data : this.copies.copy(data);
    const carrier = new Req('send', dest, req.context, req.tag, req.encoding, copy);
    const bytes = req.bytes;
    const room = this.hasRoom(dest, bytes);
    this.pulling[dest] += bytes;
    carrier.then = () => {
      this.pulling[dest] -= bytes;
      if (carrier.error !== null) req.error ??= carrier.error;
      else if (this.finished[dest] === 0) this.copies.give(copy); // an abandoned send's copy may still be read by MPI
      req.done = true;
    };
    if (room) req.done = true;
    this.bulkTransfers.start(carrier, true, carrier.data!, req.encoding, dest, seq, false);
  }

  /**
   * Whether the pair buffer towards `dest` has room for `bytes` more. Buffered sends return
   * without testing MPI, so copies the receiver pulled long ago may still count as in flight:
   * when they seem to fill the buffer, completed transfers are retired first (MPI_Test, no wait).
   */
  private hasRoom(dest: number, bytes: number): boolean {
    if (this.pulling[dest] + bytes <= this.pairBytes) return true;
    if (this.bulkTransfers.active.length !== 0) this.bulkTransfers.test();
    return this.pulling[dest] + bytes <= this.pairBytes;
  }

  /** Sends queued messages to `dest` while credit lasts. */
  private flush(dest: number): void {
    for (let n = this.flow.next(dest); n !== null; n = this.flow.next(dest)) this.emit(n.o.kind, n.o.req, n.o.data, n.behind, n.o.buffered);
  }

  trySend(data: Uint8Array, encoding: Encoding, dest: number, tag: number, context: number, signature = 0): boolean {
    const bytes = data.byteLength;
    if (bytes > EAGER_PAYLOAD || dest === this.rank || dest < 0 || dest >= this.size || !this.flow.open(dest) || this.finished[dest] !== 0) return false;
    this.flow.spend(dest);
    this.sendEnvelope(EAGER, encoding, dest, tag, context, signature, bytes, 0, 0, data);
    return true;
  }

  // ---------------------------------------------------------------- receiving

  tryRecv(source: number, tag: number, context: number, into: Uint8Array | null, expect: Encoding): Uint8Array | null {
    if (source < 0 || source === this.rank || this.match.unexpected.length !== 0 || this.match.posted.length !== 0 ||
      this.bulkTransfers.active.length !== 0 || this.flow.backlogged !== 0) return null;
    if (!this.takesBuffered(into) || !this.sharesWords(source)) return this.tryRecvPoll(source, tag, context, into, expect);
    // a receive that may take a buffered message tells its source through the node's hint words
    this.beginWordHint(source);
    try {
      return this.tryRecvPoll(source, tag, context, into, expect);
    } finally {
      this.endWordHint();
    }
  }

  /** tryRecv's polls (its preconditions checked). */
  private tryRecvPoll(source: number, tag: number, context: number, into: Uint8Array | null, expect: Encoding): Uint8Array | null {
    const i32 = this.i32;
    // a receive that may take a buffered message tells its source once it finds nothing yet
    let hinted = false;
    for (let polls = this.spinPolls; polls > 0; polls--) {
      const s = this.envelopes.testHead();
      if (s === null) {
        if (!hinted) { hinted = true; this.sendHint(source, into); }
        continue;
      }
      const w = s.at >> 2;
      const word = i32[w];
      const from = i32[s.sourceIdx];
      if ((word & 0xff) > RTS) {
        this.control(from, w);
        this.envelopes.consumeHead();
        this.giveBack(from);
        if (this.match.unexpected.length !== 0 || this.flow.backlogged !== 0) return null;
        continue;
      }
      const length = i32[w + W_BYTES_LO];
      const encoding = word >>> 8;
      if ((word & 0xff) !== EAGER || from !== source || i32[w + W_CONTEXT] !== context || (tag !== ANY_TAG && i32[w + W_TAG] !== tag) ||
        (into !== null && (length > into.byteLength || (expect >= 0 && !compatibleEncodings(encoding, expect))))) {
        // the caller posts this receive next: a buffered message for it may land in `into` now
        const f = this.fastRecv;
        f.active = into !== null; f.peer = source; f.tag = tag; f.context = context; f.into = into; f.expect = expect;
        try {
          this.takeEnvelopes(s);
        } finally {
          f.active = false; f.into = null;
        }
        return null;
      }
      this.control(from, w);
      const data = takePayload(this.u8, s.at + HEADER, length, into);
      const last = this.last;
      last.source = from;
      last.tag = i32[w + W_TAG];
      last.bytes = length;
      last.encoding = encoding;
      last.signature = i32[w + W_SIGNATURE];
      this.envelopes.consumeHead();
      if (this.flow.returned[from] >= this.flow.returnAt || this.match.owing[from] !== null) this.giveBack(from);
      return data;
    }
    return null;
  }

  irecv(source: number, tag: number, context: number, into: Uint8Array | null, expect: Encoding): TransportRequest {
    const req = new Req('recv', source, context, tag, expect, into);
    this.match.posted.push(req);
    this.match.matchPosted();
    if (!req.done) this.progress();
    return req;
  }

  /** Completes a receive with a matched message: copies an eager payload, or starts the bulk receive. */
  private deliver(req: Req, u: Unexpected): void {
    req.signature = u.signature;
    req.source = u.source;
    req.tag = u.tag;
    req.encoding = u.encoding;
    req.bytes = u.bytes;
    const landing = u.landing;
    if (landing !== null && !landing.done) {
      landing.then = () => this.deliver(req, { ...u, landing: null, data: landing.data });
      return;
    }
    if (landing !== null && landing.error !== null) {
      req.error = landing.error;
      req.done = true;
      return;
    }
    if (u.data !== null) {
      if (req.data !== null) {
        if (u.data.buffer !== req.data.buffer || u.data.byteOffset !== req.data.byteOffset) req.data.set(u.data);
        req.data = req.data.subarray(0, u.bytes);
      } else {
        req.data = u.data;
      }
      req.done = true;
      return;
    }
    const dest = req.data !== null ? req.data.subarray(0, u.bytes) : new Uint8Array(u.bytes);
    req.data = dest;
    this.bulkTransfers.start(req, false, dest, u.encoding, u.source, u.seq);
  }

  /** Takes every envelope that has arrived (starting with the completed standing receive `first`), then matches. True if there was any. */
  private takeEnvelopes(first: RecvSlot | null): boolean {
    let s = first ?? this.envelopes.testHead();
    if (s === null) return false;
    const i32 = this.i32;
    let senders: number[] | null = null;
    for (let n = 0; s !== null && n < 100000; n++) {
      const w = s.at >> 2;
      const source = i32[s.sourceIdx];
      const kind = this.control(source, w);
      if (kind <= RTS) {
        const lo = i32[w + W_BYTES_LO] >>> 0;
        const start = s.at + HEADER;
        const u: Unexpected = {
          source, tag: i32[w + W_TAG], context: i32[w + W_CONTEXT], encoding: i32[w] >>> 8,
          bytes: lo + (i32[w + W_BYTES_HI] >>> 0) * 4294967296, signature: i32[w + W_SIGNATURE],
          data: kind === EAGER ? this.u8.slice(start, start + lo) : null, seq: i32[w + W_SEQ], landing: null,
        };
        if (kind === PULL) {
          // Pull a buffered message at once (as a ring is drained on shared memory): the sender's copy is freed.
          // Straight into the receive that will take it when that is certain, else into a buffer of its own.
          const target = this.certainReceiver(u);
          const landing = new Req('recv', source, u.context, u.tag, u.encoding, target ?? new Uint8Array(u.bytes));
          u.data = landing.data;
          u.landing = landing;
          this.bulkTransfers.start(landing, false, landing.data!, u.encoding, source, u.seq);
        }
        this.match.unexpected.push(u);
      }
      this.envelopes.consumeHead();
      if (senders === null) senders = [source];
      else if (!senders.includes(source)) senders.push(source);
      s = this.envelopes.testHead();
    }
    if (this.match.posted.length !== 0) this.match.matchPosted();
    if (senders !== null) for (const r of senders) this.giveBack(r);
    return true;
  }

  /**
   * The memory a PULL message `u` may land in directly: the buffer of the posted receive that
   * matchPosted will certainly give it to — the first posted receive from its source with its
   * context and a matching tag, with no receive from ANY_SOURCE on that context before it (turn
   * rules may hold those back) and no queued message it would take first — when that buffer
   * takes the message. With none posted, the same for the blocking receive in tryRecv, which
   * is posted next ({@link fastRecv}). Null otherwise (the message lands in a buffer of its own).
   */
  private certainReceiver(u: Unexpected): Uint8Array | null {
    for (const req of this.match.posted) {
      if (req.context !== u.context) continue;
      if (req.peer === ANY_SOURCE) return null;
      if (req.peer !== u.source || (req.tag !== ANY_TAG && req.tag !== u.tag)) continue;
      return this.landingIn(u, req.data, req.encoding, req.peer, req.tag, req.context);
    }
    const f = this.fastRecv;
    if (this.match.posted.length !== 0 || !f.active || f.context !== u.context || f.peer !== u.source || (f.tag !== ANY_TAG && f.tag !== u.tag)) return null;
    f.active = false; // only the first message it matches
    return this.landingIn(u, f.into, f.expect, f.peer, f.tag, f.context);
  }

  /** `into` cut to `u`'s size if the receive (peer, tag, context) takes `u` there: it fits, its type agrees, and no queued message comes first. */
  private landingIn(u: Unexpected, into: Uint8Array | null, expect: number, peer: number, tag: number, context: number): Uint8Array | null {
    if (into === null || u.bytes > into.byteLength || (expect >= 0 && !compatibleEncodings(u.encoding, expect)) ||
      this.match.findMatch(peer, tag, context) >= 0) return null;
    return into.subarray(0, u.bytes);
  }

  iprobe(source: number, tag: number, context: number): Envelope | null {
    this.progress();
    const j = this.match.findMatch(source, tag, context);
    if (j < 0) return null;
    return envelopeOf(this.match.unexpected[j]);
  }

  queued(context: number): Envelope[] {
    this.progress();
    return envelopesOn(this.match.unexpected, context);
  }

  // ---------------------------------------------------------------- progress and waiting

  progress(): void {
    this.pump();
  }

  handOver(): void {
    if (this.flow.starved.size !== 0) this.settle();
  }

  /** One round of progress; true when anything arrived or completed (only then can a waiter's condition change). */
  private pump(): boolean {
    const took = this.takeEnvelopes(null);
    return (this.bulkTransfers.active.length !== 0 && this.bulkTransfers.test()) || took;
  }

  /**
   * Polls until `isDone()`. The condition is evaluated when something arrived or completed,
   * and at least once a millisecond otherwise (it may run periodic checks of its own, such as
   * the collective-mismatch scan, which should see time pass rather than count polls).
   * Before returning, waits until no message of this rank still waits for credit (see settle).
   */
  block(isDone: () => boolean, request: TransportRequest | null, sole = false): void {
    if (!isDone()) {
      const source = sole ? this.hint(request) : -1;
      if (source < 0) {
        this.poll(isDone, request);
      } else {
        // the source may read this rank's hint word while the wait lasts (see NodeHints)
        this.beginWordHint(source);
        try {
          this.poll(isDone, request);
        } finally {
          this.endWordHint();
        }
      }
    }
    if (this.flow.starved.size !== 0) this.settle();
  }

  /** Stores this rank's hint word for `source` (NodeHints.begin): a wait in a receive from it starts. */
  private beginWordHint(source: number): void {
    const taken = this.messagesFrom[source];
    this.wordHint.source = source;
    this.wordHint.taken = taken;
    this.wordHint.word = this.nodeHints!.begin(source, taken);
  }

  /**
   * Takes this rank's hint word back, if one is out (NodeHints.end): when its wait ends, or
   * when the wait starts to sleep between polls (it would no longer pull at once). If the
   * source claimed it, pulls the claimed message first.
   */
  private endWordHint(): void {
    const h = this.wordHint;
    if (h.source < 0) return;
    const source = h.source;
    h.source = -1;
    if (this.nodeHints!.end(source, h.word)) this.pullClaimed(source, h.taken);
  }

  /**
   * A wait whose hint word `source` claimed has ended (NodeHints.end): the message it sends
   * straight from its array after claiming is pulled before this rank leaves simdeck, since
   * that send completes only then. Makes progress until the message after the `taken` first
   * has arrived and no transfer from `source` is still landing (microseconds: the source sends
   * it right after claiming), or `source` has finished.
   */
  private pullClaimed(source: number, taken: number): void {
    for (let polls = 0; this.finished[source] === 0 && (this.messagesFrom[source] === taken || this.landingFrom(source)); polls++) {
      this.pump();
      if ((polls & 1023) === 1023) yieldCore();
    }
  }

  /** Whether a transfer from `source` is still arriving. */
  private landingFrom(source: number): boolean {
    for (const r of this.bulkTransfers.active) if (r.kind === 'recv' && r.peer === source) return true;
    return false;
  }

  /** Whether a receive into `into` may take a buffered message, and hints are worth giving (every rank has a core). */
  private takesBuffered(into: Uint8Array | null): boolean {
    return RECV_HINTS && into !== null && into.byteLength > EAGER_PAYLOAD && this.opts.spin;
  }

  /**
   * Whether the next buffered send to `dest` may go straight from the deck's array: `dest`
   * waits in a receive from this rank with no message of ours in flight, and stays in it,
   * pulling at once, until our next message. Through the node's hint words (claimed here, so
   * `dest` pulls before its wait ends) when `dest` shares them, else its last HINT envelope.
   */
  private directTo(dest: number): boolean {
    if (!this.sharesWords(dest)) return this.hintFrom(dest);
    return this.finished[dest] === 0 && this.flow.open(dest) && this.nodeHints!.claim(dest, this.messagesTo[dest]);
  }

  /** Whether `peer` and this rank hint through the node's shared words (else through HINT envelopes). */
  private sharesWords(peer: number): boolean {
    return this.nodeHints !== null && this.nodeHints.shares(peer);
  }

  /**
   * Tells the source of `request` (a receive into a buffer that can take a buffered message)
   * that this rank waits for it: its next buffered send, if nothing else of its reaches us
   * first, goes straight from the deck's array instead of a copy (the send then waits to be
   * pulled, which this rank does at once while it waits). Only with a core per rank: a
   * sleeping receiver would make that send wait. Returns the source when it shares the node's
   * hint words (the caller stores this rank's word for the length of the wait), else -1 (a
   * HINT envelope sent, or no hint).
   */
  private hint(request: TransportRequest | null): number {
    // only a receive no message has matched yet: it then waits for the source's next ones
    if (!(request instanceof Req) || request.kind !== 'recv' || request.done || !this.match.posted.includes(request)) return -1;
    const source = request.peer;
    if (source < 0 || source === this.rank) return -1;
    if (this.sharesWords(source)) return this.takesBuffered(request.data) ? source : -1;
    this.sendHint(source, request.data);
    return -1;
  }

  /**
   * Sends `source` a receive hint for a wait into `into`, when that buffer can take a buffered
   * message and every rank has a core. SIMDECK_MPI_RECV_HINTS=0 turns hints off.
   */
  private sendHint(source: number, into: Uint8Array | null): void {
    if (this.takesBuffered(into) && !this.sharesWords(source)) this.sendControl(HINT, source, this.messagesFrom[source]);
  }

  /** Whether `dest` waits in a receive from this rank with no message of ours in flight; takes what has arrived first (one MPI_Test when nothing has). */
  private hintFrom(dest: number): boolean {
    if (!this.hintValid(dest)) this.takeEnvelopes(null);
    return this.hintValid(dest);
  }

  /** Whether `dest`'s last receive hint still holds: it has taken every message this rank sent it. */
  private hintValid(dest: number): boolean {
    return this.hinted[dest] === 1 && this.hintTaken[dest] === this.messagesTo[dest];
  }

  private poll(isDone: () => boolean, request: TransportRequest | null): void {
    for (let polls = this.spinPolls; polls > 0; polls--) {
      if ((this.pump() || (polls & 1023) === 0) && isDone()) return;
    }
    const since = Date.now();
    let checked = since;
    this.blocked = request;
    this.waiting = true;
    this.waits = (this.waits + 1) | 0;
    this.returnCredits();
    try {
      for (;;) {
        const moved = this.pump();
        const now = Date.now();
        if (moved || now !== checked) {
          checked = now;
          if (isDone()) return;
        }
        if (request !== null && !request.done && this.finishedCount !== 0 && this.peerGone(request)) {
          throw new DeadlockError(`${this.describe(request)} can never complete: ` +
            (request.peer === ANY_SOURCE ? 'every other rank has finished its deck' : `rank ${request.peer} has finished its deck`));
        }
        this.pause(now - since, request);
      }
    } finally {
      this.blocked = null;
      this.waiting = false;
    }
  }

  /**
   * Between polls of a wait that has lasted `waited` ms: deadlock detection, hang check, then
   * yield or sleep — longer as the wait lasts (MPI cannot wake a sleeper when a message comes),
   * so that a rank waiting for long (a paused job, another rank computing) uses no core.
   */
  private pause(waited: number, request: TransportRequest | null): void {
    if (waited >= 20) {
      if (this.wordHint.source >= 0) this.endWordHint(); // about to sleep: a direct send would wait for the wake-up
      this.watchDeadlock(waited);
    }
    if (this.hangMs !== null && waited > this.hangMs) this.hang(request);
    if (waited < 20) yieldCore();
    else Atomics.wait(sleepCell, 0, 0, waited < 1000 ? 0.05 : waited < 5000 ? 1 : 2);
  }

  // ---------------------------------------------------------------- deadlock detection

  /** The rank that runs deadlock detection: the lowest one not known to have finished its deck. */
  private coordinator(): number {
    let r = 0;
    while (r < this.size && this.finished[r] !== 0) r++;
    return r;
  }

  /** This rank's state for a deadlock probe; `waiting`: it is in a wait that nothing it holds can end. */
  private report(waiting: boolean): WaitReport {
    return {
      rank: this.rank, idle: waiting && !this.bulkTransfers.receiving() && !this.settling, sent: this.dataSent >>> 0,
      taken: this.dataTaken >>> 0, waits: this.waits >>> 0, finished: this.finishedCount, text: this.describe(),
    };
  }

  /** Answers the pending probe (REPORT: idle flag as encoding, the counts in the header, the wait's description as payload). */
  private answerProbe(waiting: boolean): void {
    const p = this.probed;
    this.probed = null;
    if (p === null || this.silent) return;
    const r = this.report(waiting);
    const text = new TextEncoder().encode(r.text).subarray(0, EAGER_PAYLOAD);
    this.sendEnvelope(REPORT, r.idle ? 1 : 0, p[0], p[1], r.finished, r.waits | 0, r.sent, text.byteLength, r.taken | 0, text);
  }

  /** In a wait: obeys a deadlock verdict, answers a probe, and on the coordinator runs the waves. */
  private watchDeadlock(waited: number): void {
    if (this.condemned) this.condemn();
    if (this.probed !== null) this.answerProbe(true);
    if (this.silent || this.coordinator() !== this.rank) return;
    const members = () => {
      const m: number[] = [];
      for (let r = 0; r < this.size; r++) if (r !== this.rank && this.finished[r] === 0) m.push(r);
      return m;
    };
    const all = this.probe.tick(Date.now(), waited, () => this.report(true), members);
    if (all !== null) this.declareDeadlock(all);
  }

  /**
   * Coordinator: the job is deadlocked. Prints every rank's blocked call, lets the other ranks
   * drain their output (each answers the verdict once its output is read), then aborts the job
   * with the deadlock status.
   */
  private declareDeadlock(all: WaitReport[]): never {
    const lines = ['simdeck: deadlock: every rank is blocked in a simdeck call that no message in flight can complete; the job is aborted'];
    for (const r of all) lines.push(`[rank ${r.rank}] deadlock: blocked in ${r.text}`);
    for (let r = 0; r < this.size; r++) if (this.finished[r] !== 0) lines.push(`[rank ${r}] deadlock: finished its deck (waits for the others)`);
    process.stderr.write(lines.join('\n') + '\n');
    const members = all.filter((r) => r.rank !== this.rank);
    for (const m of members) this.sendEnvelope(DEADLOCK, 0, m.rank, 0, 0, 0, 0, 0, 0, null);
    const end = Date.now() + 1000;
    while (this.verdicts < members.length && Date.now() < end) {
      this.pump();
      Atomics.wait(sleepCell, 0, 0, 1);
    }
    process.exit(this.abortWorld(EXIT_STATUS_DEADLOCK));
  }

  /** A member told the job is deadlocked: lets the launcher read its output, says so, and waits to be ended. */
  private condemn(): never {
    drainOutput();
    this.sendEnvelope(DEADLOCK, 0, this.coordinator(), 0, 0, 0, 0, 0, 0, null);
    const end = Date.now() + 5000;
    while (Date.now() < end) { this.pump(); Atomics.wait(sleepCell, 0, 0, 5); }
    this.aborting = true;
    process.exit(EXIT_STATUS_DEADLOCK);
  }

  /** Gives back every credit this rank holds (it is about to wait, so its senders should not). */
  private returnCredits(): void {
    const returned = this.flow.returned;
    for (let r = 0; r < this.size; r++) if (returned[r] !== 0) this.sendControl(CREDIT, r);
  }

  /**
   * Before a blocking call returns to the deck: messages still queued for lack of credit, and
   * the next message to a destination left without credit, would wait for this rank's next simdeck call
   * (which may be long in coming: the deck may compute, or wait on a file another rank writes
   * after receiving). So keep making progress until every such destination has its messages
   * in MPI and a credit for the next one — receivers give credits back at once while they
   * wait — or has finished its deck. Sends themselves still return at once (buffered). The
   * price: a blocking call that follows a burst of sends to a rank that is busy outside simdeck
   * returns once that rank takes some of them.
   */
  private settle(): void {
    const clear = () => this.flow.settled(this.finished);
    if (clear()) return;
    const since = Date.now();
    this.waiting = true;
    this.returnCredits();
    try {
      while (!clear()) {
        this.pump();
        this.pause(Date.now() - since, null);
      }
    } finally {
      this.waiting = false;
    }
  }

  /** True when the rank(s) a receive depends on have finished their decks (their every message has been taken out of MPI). */
  private peerGone(request: TransportRequest): boolean {
    if (request.kind !== 'recv') return false;
    if (request.peer >= 0) return request.peer !== this.rank && this.finished[request.peer] !== 0;
    return request.peer === ANY_SOURCE && this.size > 1 && this.finishedCount === this.size - 1;
  }

  /** Hang diagnosis: says what this rank waits for, lets other ranks say theirs, then aborts the job. */
  private hang(request: TransportRequest | null): never {
    process.stderr.write(`[rank ${this.rank}] hang: blocked in ${this.describe(request)} for more than ${this.opts.hangTimeout} s; aborting the job\n`);
    const end = Date.now() + 1000;
    while (Date.now() < end) { this.progress(); Atomics.wait(sleepCell, 0, 0, 1); }
    this.abort(124, 'hang');
  }

  /** What this rank is blocked in, for hang reports. */
  describe(request: TransportRequest | null = this.blocked): string {
    return describeWait(this.activity, request, this.opts.contextName);
  }

  setActivity(describe: { toString(): string } | null): void {
    this.activity = describe;
  }

  // ---------------------------------------------------------------- native communicators

  /**
   * The MPI communicator of a simdeck communicator, created the first time it is asked for:
   * MPI_Comm_dup of MPI_COMM_WORLD for the world, MPI_Comm_create_group over the members (in
   * simdeck rank order, so MPI ranks equal simdeck ranks) otherwise. Collective over the
   * members the first time. Native communicators keep MPI's default error handler (errors
   * are fatal), as C and Fortran code expects.
   */
  nativeComm(context: number, worldRanks: Int32Array | null): NativeComm {
    const known = this.natives.get(context);
    if (known !== undefined && sameMembers(known.members, worldRanks)) return known.value;
    const { fn, h, abi } = this.lib;
    const cell = () => (abi.handleBytes === 8 ? new BigInt64Array(1) : new Int32Array(1));
    const out = cell();
    if (worldRanks === null) {
      check(this.lib, fn.Comm_dup(h.COMM_WORLD, out), 'MPI_Comm_dup');
    } else {
      const worldGroup = cell();
      check(this.lib, fn.Comm_group(h.COMM_WORLD, worldGroup), 'MPI_Comm_group');
      const group = cell();
      check(this.lib, fn.Group_incl(Number(worldGroup[0]), worldRanks.length, worldRanks, group), 'MPI_Group_incl');
      check(this.lib, fn.Comm_create_group(h.COMM_WORLD, Number(group[0]), context % (this.info.tagUb + 1), out), 'MPI_Comm_create_group');
      fn.Group_free(group);
      fn.Group_free(worldGroup);
    }
    const handle = Number(out[0]);
    const value: NativeComm = {
      handle: abi.handleBytes === 8 ? BigInt(handle) : handle,
      fortran: this.lib.c2f(handle),
    };
    this.natives.set(context, { members: worldRanks, value });
    return value;
  }

  private worldCollectives: MpiCollectives | null = null;

  /**
   * MPI's own collectives (nativeCollectives.ts) for the world communicator, run on a duplicate
   * of MPI_COMM_WORLD of their own; null for every other communicator (their collectives
   * use messages: creating their MPI communicators would block inside MPI).
   */
  collectives(context: number, worldRanks: Int32Array | null, rank: number): NativeCollectives | null {
    if (context !== 0 || worldRanks !== null) return null;
    this.worldCollectives ??= new MpiCollectives({
      lib: this.lib, comm: this.worldNative, types: this.TYPES, spinPolls: this.spinPolls,
      block: (isDone, request) => this.block(isDone, request), progress: () => this.progress(), fail: (what, rc) => this.fail(what, rc),
      finished: (r) => this.finished[r] !== 0,
      settling: (on) => { this.settling = on; },
    }, rank, this.size);
    return this.worldCollectives;
  }

  /**
   * MPI_Allreduce of a typed array with a built-in operator on the native communicator of a
   * simdeck communicator (created on first use, collectively). Blocking inside MPI.
   */
  nativeAllreduce(context: number, worldRanks: Int32Array | null, send: Uint8Array, recv: Uint8Array,
    encoding: Encoding, op: 'SUM' | 'PROD' | 'MAX' | 'MIN'): boolean {
    // Uint8ClampedArray would wrap where JavaScript clamps; a Buffer reduces as uint8 (MPI_BYTE is not numeric).
    const type = encoding === 3 ? undefined : this.TYPES[encoding === 12 ? 2 : encoding];
    const mpiOp = this.lib.h.OPS[op];
    const per = elementBytes(encoding);
    const count = send.byteLength / per;
    if (encoding < 1 || type === undefined || mpiOp === undefined || !Number.isInteger(count) || count > 0x7fffffff ||
      recv.byteLength < send.byteLength) return false;
    if (count === 0) return true;
    const comm = Number(this.nativeComm(context, worldRanks).handle);
    const inPlace = send.buffer === recv.buffer && send.byteOffset === recv.byteOffset;
    const rc = this.fn.Allreduce(inPlace ? this.lib.abi.IN_PLACE : this.lib.addressOf(send), this.lib.addressOf(recv), count, type, mpiOp, comm);
    if (rc !== 0) this.fail('MPI_Allreduce', rc);
    return true;
  }

  // ---------------------------------------------------------------- ending

  abort(code: number, message: string): never {
    void message;
    process.exit(this.abortWorld(code));
  }

  /**
   * MPI_Abort on the world with `code` (1 unless 1-255); returns the status used. First waits
   * until the launcher has read this rank's output: it stops forwarding once it handles the abort.
   */
  private abortWorld(code: number): number {
    this.aborting = true;
    const status = code > 0 && code < 256 ? code : 1;
    drainOutput();
    this.fn.Abort(this.lib.h.COMM_WORLD, status);
    return status;
  }

  /**
   * Ends this rank's part: sends what waits for credit and completes pending sends, tells the
   * other ranks this one is done (FIN), waits until every rank has done the same (MPI_Ibarrier,
   * still giving credits back meanwhile), then takes every envelope still addressed to this
   * rank (counts exchanged with MPI_Ialltoall), so that MPI_Finalize finds no stray message.
   */
  finalize(): void {
    if (this.finalized) return;
    if (DIRECT_STATS) process.stderr.write(`[rank ${this.rank}] mpi buffered sends: ${this.pullSends}, straight from the array: ${this.directSends}; ` +
      `hint words shared with ${this.nodeHints?.peers() ?? 0} ranks\n`);
    this.setActivity('finalize (waiting for the other ranks to finish their decks)');
    const flushed = () => this.flow.backlogged === 0 && !this.bulkTransfers.sending();
    if (!flushed()) this.block(flushed, null);
    this.finalized = true;
    if (this.size <= FIN_LIMIT) {
      for (let r = 0; r < this.size; r++) if (r !== this.rank) this.sendControl(FIN, r);
    }
    const slot = this.bulkTransfers.pool.take();
    const waitFor = (what: string, rc: number) => {
      if (rc !== 0) this.fail(what, rc);
      this.block(() => {
        const t = this.fn.Test(slot.address, this.flagAddr, this.statusAddr);
        if (t !== 0) this.fail(what, t);
        return this.i32[0] !== 0;
      }, null);
    };
    waitFor('MPI_Ibarrier', this.fn.Ibarrier(this.coll, slot.address));
    this.silent = true; // every rank has flushed: nobody needs credit now
    const expected = new Int32Array(this.size);
    waitFor('MPI_Ialltoall', this.fn.Ialltoall(this.lib.addressOf(this.sentTo), 1, this.TYPES[6], this.lib.addressOf(expected), 1, this.TYPES[6], this.coll, slot.address));
    const drained = () => {
      for (let r = 0; r < this.size; r++) if (this.takenFrom[r] < expected[r]) return false;
      return !this.bulkTransfers.receiving(); // pulled messages nobody receives still land
    };
    if (!drained()) this.block(drained, null);
    this.bulkTransfers.pool.give(slot);
    this.setActivity(null);
    this.envelopes.cancel();
    const flag = new Int32Array(1);
    this.fn.Finalized(flag);
    if (flag[0] === 0) {
      const rc = this.fn.Finalize();
      if (rc !== 0) this.fail('MPI_Finalize', rc);
    }
  }

  /** A process leaving without finalize: finalize on a clean exit, abort the job otherwise (no rank left hanging). */
  private atExit(code: number): void {
    if (this.finalized || this.aborting) return;
    if (code === 0) {
      try { this.finalize(); } catch { /* exiting anyway */ }
    } else {
      this.abortWorld(code);
    }
  }
}

function sameMembers(a: Int32Array | null, b: Int32Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A predefined integer attribute of a communicator (MPI_TAG_UB, MPI_APPNUM), or null when not set. */
function attribute(lib: MpiLibrary, comm: number, key: number): number | null {
  const value = new BigInt64Array(1);
  const flag = new Int32Array(1);
  check(lib, lib.fn.Comm_get_attr(comm, key, value, flag), 'MPI_Comm_get_attr');
  if (flag[0] === 0 || value[0] === 0n) return null;
  return koffi.decode(value[0], 'int') as number;
}

/** "Open MPI 4.1.4" or "MPICH 4.0.2" from the library's version text. */
export function shortVersion(lib: { abi: { title: string }; version: string }): string {
  const v = lib.version;
  const m = /Open MPI v?([\d.]+\w*)/.exec(v) ?? /MPICH Version:\s*([\w.]+)/.exec(v) ?? /Version\s+([\w.]+)/i.exec(v);
  return m ? `${lib.abi.title} ${m[1]}` : v.slice(0, 40);
}

function yieldCore(): void {
  if (libc === null) libc = { sched_yield: libcFunction('int sched_yield()') as () => number };
  libc.sched_yield();
}
