/**
 * The MPI transport: simdeck's messages over the system MPI library, called through koffi.
 *
 * Channels. All traffic of all simdeck communicators travels on two duplicates of
 * MPI_COMM_WORLD (a third carries the transport's own collectives at finalize); simdeck's
 * context and tag ride in a header, so no MPI communicator has to be
 * created when a simdeck one is, and MPI's tag space (2^28 in MPICH) never limits simdeck's
 * 2^31 tags.
 *
 * - `env`, envelopes: every message starts as one MPI_BYTE message of a {@link HEADER}-byte
 *   header (kind, payload encoding, context, tag, signature, byte count, ...) followed, for
 *   payloads up to {@link EAGER_PAYLOAD} bytes, by the payload itself. A few standing
 *   MPI_Irecv(ANY_SOURCE, ANY_TAG) on `env` take every envelope; receives are matched here, in
 *   MPI's order (per sender and context never overtaken; posted receives in posting order),
 *   and unmatched messages wait in a queue here. That is what lets a receive into a
 *   too-small or wrongly typed buffer fail with the message left queued, lets probe report
 *   encoding and signature, and lets collective-mismatch checks see queued messages.
 * - `bulk`: a larger message sends a header of kind RTS on `env`, and its payload with
 *   MPI_Isend of the typed array's own MPI datatype, zero-copy, on `bulk` with the MPI tag set
 *   to a per-destination sequence number; the receiver posts MPI_Irecv straight into the
 *   destination buffer once a receive matches the header. Payloads past 1 GiB go as several
 *   MPI messages (counts stay below INT_MAX; MPI-4's `_c` calls are not needed, and Open MPI 4
 *   lacks them).
 *
 * Flow control. MPI buffers only a few dozen unreceived small messages per receiver (Open MPI
 * 4.1 per pair, MPICH 4.0 over all senders — as few as ~32); past that MPI_Send blocks until
 * the receiver calls MPI, and a sender blocked inside MPI_Send makes no simdeck progress. So each
 * sender holds {@link creditsFor} credits per destination: an envelope costs one, the receiver
 * gives them back as it takes envelopes out of MPI (on its own envelopes to the sender, or in a
 * CREDIT envelope; at once while it waits), and messages without credit wait in a queue here
 * (copied while the pair's buffer has room, see buffering.ts, so an isend still completes). MPI_Send
 * of an envelope therefore never waits for the receiver. A queued message moves on at its
 * sender's next simdeck call, so every blocking call, a blocking send included, settles first
 * (see settle()): it returns to the deck once every queued message is in MPI and each
 * destination that ran out of credit has one. A blocking send to a rank that is busy outside
 * simdeck thus returns at once for the first credits' worth of messages, then waits for that
 * rank, as MPI_Send waits once MPI's eager buffers are full.
 *
 * Fairness. MPI does not make ANY_SOURCE receives fair; simdeck does: a receive from
 * ANY_SOURCE takes the sender next in turn (round-robin) among those with a matching message.
 * A sender whose messages wait in its queue for credit announces that (BACKLOG envelopes, and
 * each envelope says how many of the same communicator follow), and a turn owed to such a
 * sender waits for its next message, so backlogs held at the senders are still taken in turn.
 *
 * Waiting polls MPI_Test; it spins while every rank on the node has a core, and otherwise (or
 * after a while) yields the core and then sleeps briefly between polls. A rank that finishes
 * its deck tells the others (FIN), so a receive that can never complete fails with a
 * DeadlockError instead of hanging (jobs up to {@link FIN_LIMIT} ranks).
 *
 * Costs at 8 bytes: one MPI_Send on the sender; on the receiver the MPI_Test that finds a
 * standing receive complete (posting it again happens at the next poll, after this rank's
 * reply has gone out).
 */
import { BaseRequest, describeWait, envelopeOf, envelopesOn } from '../request.js';
import koffi from 'koffi';
import { ArgumentError, DeadlockError } from '../../errors.js';
import { compatibleEncodings, elementBytes } from '../encoding.js';
import {
  ANY_SOURCE, ANY_TAG, type Encoding, type Envelope, type NativeComm, type Transport, type TransportRequest,
} from '../transport.js';
import { MpiError } from './errors.js';
import { drainOutput } from './outputDrain.js';
import { copyBytes, takePayload } from '../bytes.js';
import type { MpiLibrary } from './library.js';
import { Block, SlotPool, type Slot } from './memory.js';
import { eagerLimit, pairBufferBytes } from '../buffering.js';
import { DeadlockProbe, type WaitReport } from './deadlockProbe.js';
import { EXIT_STATUS_DEADLOCK } from '../transport.js';

/** Header bytes in front of every envelope (10 int32 words). */
const HEADER = 40;
/**
 * Largest payload sent inside its envelope. Header plus payload stay under Open MPI's
 * shared-memory eager limit (4 KiB less its own header), so MPI_Send never takes MPI's
 * rendezvous path for an envelope.
 */
export const EAGER_PAYLOAD = 4000 - HEADER;
const ENVELOPE_MAX = HEADER + EAGER_PAYLOAD;
/** Standing receives on the envelope communicator. */
const RECV_SLOTS = 4;
const SLOT_STRIDE = 64 + ((ENVELOPE_MAX + 63) & ~63);
/** Largest bulk MPI message: 1 GiB. */
const CHUNK_BYTES = 1 << 30;
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
/** Ranks that announce the end of their deck to every other rank (O(size) messages each). */
export const FIN_LIMIT = 512;

/**
 * Envelope kinds. Data (one credit each): EAGER (payload inside), PULL (a buffered message the
 * receiver pulls at once from the sender's copy), RTS (a large message, moved once a receive
 * matches). Control (no credit): CREDIT, BACKLOG, FIN; deadlock detection: PROBE, REPORT,
 * DEADLOCK (not counted as traffic: see deadlockProbe.ts).
 */
const EAGER = 1;
const PULL = 2;
const RTS = 3;
const CREDIT = 4;
const BACKLOG = 5;
const FIN = 6;
const PROBE = 7;
const REPORT = 8;
const DEADLOCK = 9;

/** Header words. */
const W_KIND = 0; // kind | encoding << 8
const W_CONTEXT = 1;
const W_TAG = 2;
const W_SIGNATURE = 3;
const W_BYTES_LO = 4;
const W_BYTES_HI = 5;
const W_SEQ = 6;
const W_BEHIND = 7; // messages of the same context queued behind this one at the sender
const W_CREDITS = 8; // credits given back to the receiver of this envelope

/** Polls before yielding: dedicated cores, oversubscribed. */
const SPIN_DEDICATED = 20000;
const SPIN_SHARED = 64;
/** findMatch: a receive from ANY_SOURCE must wait for a sender's announced message. */
const STALL = -2;

class Req extends BaseRequest {
  /** Bulk transfer: the MPI requests still outstanding. */
  mpi: Slot[] = [];
  /** Run once when the bulk transfer completes (a landed PULL's waiting receive, a buffered send's budget). */
  then: (() => void) | null = null;
}

/** A message whose envelope arrived before any receive matched it. */
interface Unexpected {
  source: number;
  tag: number;
  context: number;
  encoding: Encoding;
  bytes: number;
  signature: number;
  /** Eager and PULL: the payload (a PULL's once `landing` is done). RTS: null (it waits on the sender until a receive matches). */
  data: Uint8Array | null;
  seq: number;
  /** PULL: the transfer bringing the payload here. */
  landing: Req | null;
}

/** An envelope waiting for credit. */
interface Outgoing {
  kind: number;
  req: Req;
  /** The payload (a copy when `buffered`). */
  data: Uint8Array;
  buffered: boolean;
}

/** A standing receive on the envelope communicator. */
interface RecvSlot {
  req: number;
  status: number;
  /** Byte offset of the envelope in the arena. */
  at: number;
  data: number;
  /** int32 index of MPI_SOURCE in the arena. */
  sourceIdx: number;
}

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
  private readonly arena: Block;
  private readonly u8: Uint8Array;
  private readonly i32: Int32Array;
  private readonly flagAddr: number;
  private readonly statusAddr: number;
  private readonly sendAddr: number;
  private readonly sendAt: number;
  /**
   * The standing receives, posted and consumed in cyclic order: the posted ones are
   * `slots[head .. head + live)` (MPI matches them in that order); the others wait to be posted
   * again. (Persistent requests, MPI_Recv_init + MPI_Start, measured no faster than MPI_Irecv
   * at 8 bytes on either library, so each post is a plain MPI_Irecv.)
   */
  private readonly slots: RecvSlot[] = [];
  private head = 0;
  private live = 0;
  private readonly pool: SlotPool;
  private readonly posted: Req[] = [];
  private readonly unexpected: Unexpected[] = [];
  /** Requests with bulk MPI transfers in flight. */
  private readonly active: Req[] = [];
  /** Sends to ranks that finished without receiving them (kept so their buffers stay alive). */
  private readonly abandoned: Req[] = [];
  private readonly nextSeq: Int32Array;
  private readonly seqMask: number;
  // flow control, per peer
  private readonly credits: Int32Array;
  private readonly returned: Int32Array;
  /** A receiver gives credits back once it holds this many (sooner to a sender with a backlog). */
  private readonly returnAt: number;
  private readonly queues: Outgoing[][];
  private readonly queuedBytes: Float64Array;
  /** Per destination: how many queued messages each context has; contexts whose backlog was announced. */
  private readonly queuedByContext: (Map<number, number> | null)[];
  private readonly announced: (Set<number> | null)[];
  private backlogged = 0;
  /** Destinations whose credit ran out and may not have come back yet (see settle()). */
  private readonly starved = new Set<number>();
  /** True while this rank waits (it then gives credits back at once: a sender may be waiting for them). */
  private waiting = false;
  /** Per context: the senders that announced more messages on it. */
  private readonly owed = new Map<number, Set<number>>();
  private readonly owing: (Set<number> | null)[];
  private readonly finished: Uint8Array;
  private finishedCount = 0;
  /** Envelopes sent to / taken from each rank (finalize drains until every envelope sent here is taken). */
  private readonly sentTo: Int32Array;
  private readonly takenFrom: Int32Array;
  /** Set once finalize has made sure no rank needs credit any more: nothing is sent after that. */
  private silent = false;
  private rotor = 0;
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
  private verdicts = 0;

  private constructor(private readonly lib: MpiLibrary, info: MpiWorldInfo, comms: { env: number; bulk: number; coll: number },
    private readonly opts: MpiTransportOptions) {
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
    this.name = `mpi:${shortVersion(lib)}`;
    this.arena = new Block(256 + SLOT_STRIDE * (RECV_SLOTS + 1), lib.addressOf);
    this.u8 = this.arena.u8;
    this.i32 = this.arena.i32;
    this.flagAddr = this.arena.address;
    this.statusAddr = this.arena.address + 64;
    this.sendAt = 256;
    this.sendAddr = this.arena.address + this.sendAt;
    for (let k = 0; k < RECV_SLOTS; k++) {
      const base = 256 + SLOT_STRIDE * (k + 1);
      const slot: RecvSlot = {
        req: this.arena.address + base, status: this.arena.address + base + 16,
        at: base + 64, data: this.arena.address + base + 64, sourceIdx: (base + 16 + lib.abi.status.source) >> 2,
      };
      this.slots.push(slot);
    }
    this.pool = new SlotPool(lib.addressOf);
    const n = this.size;
    this.nextSeq = new Int32Array(n);
    // Sequence numbers are MPI tags on the bulk communicator: keep them within MPI_TAG_UB.
    let mask = 1;
    while (mask * 2 - 1 <= info.tagUb && mask < 2 ** 30) mask *= 2;
    this.seqMask = mask - 1;
    const credits = creditsFor(n);
    this.credits = new Int32Array(n).fill(credits);
    this.returnAt = Math.ceil(credits / 2);
    this.returned = new Int32Array(n);
    this.queues = Array.from({ length: n }, () => []);
    this.queuedBytes = new Float64Array(n);
    this.queuedByContext = new Array<Map<number, number> | null>(n).fill(null);
    this.announced = new Array<Set<number> | null>(n).fill(null);
    this.owing = new Array<Set<number> | null>(n).fill(null);
    this.finished = new Uint8Array(n);
    this.sentTo = new Int32Array(n);
    this.takenFrom = new Int32Array(n);
    this.spinPolls = opts.spin ? SPIN_DEDICATED : SPIN_SHARED;
    this.pairBytes = pairBufferBytes(n);
    this.eagerLimit = Math.max(EAGER_PAYLOAD, eagerLimit(n, this.pairBytes));
    this.pulling = new Float64Array(n);
    this.dataSentTo = new Int32Array(n);
    this.dataTakenFrom = new Int32Array(n);
    this.probe = new DeadlockProbe((r, wave) => this.sendEnvelope(PROBE, 0, r, wave, 0, 0, 0, 0, 0, null));
    this.hangMs = opts.hangTimeout === null ? null : opts.hangTimeout * 1000;
    this.repost();
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
    const comms = { env: dup(), bulk: dup(), coll: dup() };
    return new MpiTransport(lib, { rank, size, appIndex, appRanks, tagUb }, comms, opts);
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

  /** Posts every consumed standing receive again (behind those still posted). */
  private repost(): void {
    const n = RECV_SLOTS;
    while (this.live < n) {
      const s = this.slots[(this.head + this.live) % n];
      const rc = this.fn.Irecv(s.data, ENVELOPE_MAX, this.BYTE, this.ANY_SRC, -1, this.env, s.req);
      if (rc !== 0) this.fail('MPI_Irecv', rc);
      this.live++;
    }
  }

  /** The oldest standing receive if it has completed (its envelope is then at `slot.at`), else null. */
  private testHead(): RecvSlot | null {
    if (this.live !== RECV_SLOTS) this.repost();
    const s = this.slots[this.head];
    const rc = this.fn.Test(s.req, this.flagAddr, s.status);
    if (rc !== 0) this.fail('MPI_Test', rc);
    return this.i32[0] !== 0 ? s : null;
  }

  /** Marks the oldest standing receive consumed; it is started again at the next poll. */
  private consumeHead(): void {
    this.head = this.head + 1 === RECV_SLOTS ? 0 : this.head + 1;
    this.live--;
  }

  /** Writes an envelope (header and eager payload) and sends it with MPI_Send; gives back the credits `dest` is owed. */
  private sendEnvelope(kind: number, encoding: number, dest: number, tag: number, context: number, signature: number,
    bytes: number, seq: number, behind: number, payload: Uint8Array | null): void {
    const i32 = this.i32;
    const w = this.sendAt >> 2;
    i32[w + W_KIND] = kind | (encoding << 8);
    i32[w + W_CONTEXT] = context;
    i32[w + W_TAG] = tag;
    i32[w + W_SIGNATURE] = signature;
    i32[w + W_BYTES_LO] = bytes % 4294967296;
    i32[w + W_BYTES_HI] = Math.floor(bytes / 4294967296);
    i32[w + W_SEQ] = seq;
    i32[w + W_BEHIND] = behind;
    i32[w + W_CREDITS] = this.returned[dest];
    this.returned[dest] = 0;
    const n = payload === null ? 0 : payload.byteLength;
    if (n !== 0) copyBytes(this.u8, this.sendAt + HEADER, payload!, 0, n);
    const rc = this.fn.Send(this.sendAddr, HEADER + n, this.BYTE, dest, 0, this.env);
    if (rc !== 0) this.fail(`MPI_Send to rank ${dest}`, rc);
    this.sentTo[dest]++;
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
      this.returned[source]++;
      const ctx = i32[w + W_CONTEXT];
      if (i32[w + W_BEHIND] > 0) this.owe(source, ctx);
      else if (this.owing[source] !== null) this.paid(source, ctx);
    } else if (kind === BACKLOG) {
      this.owe(source, i32[w + W_CONTEXT]);
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
    } else if (kind === DEADLOCK) {
      if (this.rank === this.coordinator()) this.verdicts++;
      else this.condemned = true;
    }
    if (back !== 0) {
      this.credits[source] += back;
      if (this.queues[source].length !== 0) this.flush(source);
    }
    return kind;
  }

  private owe(source: number, ctx: number): void {
    let set = this.owed.get(ctx);
    if (set === undefined) this.owed.set(ctx, set = new Set());
    set.add(source);
    (this.owing[source] ??= new Set()).add(ctx);
  }

  private paid(source: number, ctx: number): void {
    this.owed.get(ctx)?.delete(source);
    const mine = this.owing[source];
    if (mine !== null) {
      mine.delete(ctx);
      if (mine.size === 0) this.owing[source] = null;
    }
  }

  /** Gives credits back to senders: those with a backlog at once, others once enough have gathered. */
  private giveBack(source: number): void {
    const r = this.returned[source];
    if (r >= this.returnAt || (r > 0 && (this.owing[source] !== null || this.waiting))) this.sendControl(CREDIT, source);
  }

  private peerFinished(source: number): void {
    if (this.finished[source] !== 0) return;
    this.finished[source] = 1;
    this.finishedCount++;
    // Traffic with a finished rank no longer counts for deadlock detection (on either side, once each knows).
    this.dataSent = (this.dataSent - this.dataSentTo[source]) | 0;
    this.dataTaken = (this.dataTaken - this.dataTakenFrom[source]) | 0;
    const mine = this.owing[source];
    if (mine !== null) for (const ctx of [...mine]) this.paid(source, ctx);
    // Messages still waiting for credit can never be received: drop them (as a send into a finished rank's ring).
    for (const o of this.queues[source]) o.req.done = true;
    if (this.queues[source].length !== 0) this.backlogged--;
    this.queues[source].length = 0;
    this.queuedBytes[source] = 0;
    this.queuedByContext[source] = null;
    this.announced[source] = null;
    // Large messages it will never receive: stop waiting for them (their memory stays referenced).
    for (let i = 0; i < this.active.length; i++) {
      const r = this.active[i];
      if (r.kind !== 'send' || r.peer !== source) continue;
      for (const part of r.mpi) this.fn.Request_free(part.address);
      r.mpi.length = 0;
      r.done = true;
      this.abandoned.push(r);
      this.active.splice(i--, 1);
      r.then?.();
    }
  }

  // ---------------------------------------------------------------- sending

  isend(data: Uint8Array, encoding: Encoding, dest: number, tag: number, context: number, signature = 0): TransportRequest {
    const req = new Req('send', dest, context, tag, encoding, data);
    const bytes = data.byteLength;
    req.bytes = bytes;
    req.signature = signature;
    if (dest === this.rank) {
      this.unexpected.push({ source: dest, tag, context, encoding, bytes, signature, data: data.slice(), seq: 0, landing: null });
      this.matchPosted();
      req.done = true;
      return req;
    }
    this.checkPeer(dest);
    if (this.finished[dest] !== 0) {
      req.done = true;
      return req;
    }
    const kind = bytes <= EAGER_PAYLOAD ? EAGER : bytes <= this.eagerLimit ? PULL : RTS;
    const queue = this.queues[dest];
    if (queue.length === 0 && this.credits[dest] > 0) {
      this.spend(dest);
      this.emit(kind, req, data, 0, false);
      return req;
    }
    // No credit: wait in the queue (buffered messages copied while the pair's buffer has room, so the send completes now).
    const buffered = kind !== RTS && this.queuedBytes[dest] + this.pulling[dest] + bytes <= this.pairBytes;
    if (buffered) {
      this.queuedBytes[dest] += bytes;
      req.done = true;
    }
    if (queue.length === 0) this.backlogged++;
    this.starved.add(dest);
    queue.push({ kind, req, data: buffered ? data.slice() : data, buffered });
    const counts = this.queuedByContext[dest] ??= new Map();
    counts.set(context, (counts.get(context) ?? 0) + 1);
    const told = this.announced[dest] ??= new Set();
    if (!told.has(context)) {
      told.add(context);
      this.sendControl(BACKLOG, dest, context);
    }
    return req;
  }

  /** Uses one credit towards `dest`; a destination left without credit is settled before the next blocking call returns. */
  private spend(dest: number): void {
    if (--this.credits[dest] === 0) this.starved.add(dest);
  }

  /**
   * Sends a message that has its credit: an eager envelope; or a PULL header and the payload
   * from a copy (`copied`: `data` is one already), the send complete at once while the pair's
   * buffer has room, else when the receiver has pulled it; or an RTS header and the payload
   * with MPI_Issend, complete once the matching receive has started (whatever MPI's own eager
   * limit), as on every transport.
   */
  private emit(kind: number, req: Req, data: Uint8Array, behind: number, copied: boolean): void {
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
      this.startBulk(req, true, data, req.encoding, dest, seq);
      return;
    }
    const carrier = new Req('send', dest, req.context, req.tag, req.encoding, copied ? data : data.slice());
    const bytes = req.bytes;
    const room = this.pulling[dest] + bytes <= this.pairBytes;
    this.pulling[dest] += bytes;
    carrier.then = () => {
      this.pulling[dest] -= bytes;
      if (carrier.error !== null) req.error ??= carrier.error;
      req.done = true;
    };
    if (room) req.done = true;
    this.startBulk(carrier, true, carrier.data!, req.encoding, dest, seq, false);
  }

  /** Sends queued messages to `dest` while credit lasts. */
  private flush(dest: number): void {
    const queue = this.queues[dest];
    const counts = this.queuedByContext[dest]!;
    while (queue.length !== 0 && this.credits[dest] > 0) {
      const o = queue.shift()!;
      this.spend(dest);
      const ctx = o.req.context;
      const left = counts.get(ctx)! - 1;
      if (left === 0) {
        counts.delete(ctx);
        this.announced[dest]!.delete(ctx);
      } else {
        counts.set(ctx, left);
      }
      if (o.buffered) this.queuedBytes[dest] -= o.req.bytes;
      this.emit(o.kind, o.req, o.data, left, o.buffered);
    }
    if (queue.length === 0) this.backlogged--;
  }

  trySend(data: Uint8Array, encoding: Encoding, dest: number, tag: number, context: number, signature = 0): boolean {
    const bytes = data.byteLength;
    if (bytes > EAGER_PAYLOAD || dest === this.rank || dest < 0 || dest >= this.size || this.credits[dest] <= 0 ||
      this.queues[dest].length !== 0 || this.finished[dest] !== 0) return false;
    this.spend(dest);
    this.sendEnvelope(EAGER, encoding, dest, tag, context, signature, bytes, 0, 0, data);
    return true;
  }

  /**
   * Starts the bulk MPI transfers of a message (zero-copy, in chunks of at most 1 GiB); sends are
   * synchronous (MPI_Issend) unless `sync` is false.
   */
  private startBulk(req: Req, send: boolean, buf: Uint8Array, encoding: number, peer: number, seq: number, sync = true): void {
    const per = elementBytes(encoding);
    const exact = buf.byteLength % per === 0;
    const unit = exact ? per : 1;
    const dtype = exact ? (this.TYPES[encoding] ?? this.BYTE) : this.BYTE;
    const chunk = Math.floor(CHUNK_BYTES / unit);
    let address = this.lib.addressOf(buf);
    let left = buf.byteLength / unit;
    while (left > 0) {
      const n = Math.min(left, chunk);
      const slot = this.pool.take();
      const rc = send
        ? (sync ? this.fn.Issend : this.fn.Isend)(address, n, dtype, peer, seq, this.bulk, slot.address)
        : this.fn.Irecv(address, n, dtype, peer, seq, this.bulk, slot.address);
      if (rc !== 0) {
        this.pool.give(slot);
        this.fail(`${send ? 'MPI_Isend to' : 'MPI_Irecv from'} rank ${peer}`, rc);
      }
      req.mpi.push(slot);
      address += n * unit;
      left -= n;
    }
    if (req.mpi.length === 0) { req.done = true; req.then?.(); }
    else this.active.push(req);
  }

  /** Tests the bulk transfers in flight; completes requests whose every part is done. True if any completed. */
  private testBulk(): boolean {
    const active = this.active;
    let completed = false;
    for (let i = 0; i < active.length; i++) {
      const req = active[i];
      const parts = req.mpi;
      while (parts.length !== 0) {
        const slot = parts[0];
        const rc = this.fn.Test(slot.address, this.flagAddr, this.statusAddr);
        if (rc !== 0) {
          req.error = new MpiError(`bulk ${req.kind} ${req.kind === 'send' ? 'to' : 'from'} rank ${req.peer} failed: ${errorString(this.lib, rc)}`, rc);
          break;
        }
        if (this.i32[0] === 0) break;
        parts.shift();
        this.pool.give(slot);
      }
      if (parts.length === 0 || req.error !== null) {
        req.done = true;
        completed = true;
        active.splice(i--, 1);
        req.then?.();
      }
    }
    return completed;
  }

  // ---------------------------------------------------------------- receiving

  tryRecv(source: number, tag: number, context: number, into: Uint8Array | null, expect: Encoding): Uint8Array | null {
    if (source < 0 || source === this.rank || this.unexpected.length !== 0 || this.posted.length !== 0 ||
      this.active.length !== 0 || this.backlogged !== 0) return null;
    const i32 = this.i32;
    for (let polls = this.spinPolls; polls > 0; polls--) {
      const s = this.testHead();
      if (s === null) continue;
      const w = s.at >> 2;
      const word = i32[w];
      const from = i32[s.sourceIdx];
      if ((word & 0xff) > RTS) {
        this.control(from, w);
        this.consumeHead();
        this.giveBack(from);
        if (this.unexpected.length !== 0 || this.backlogged !== 0) return null;
        continue;
      }
      const length = i32[w + W_BYTES_LO];
      const encoding = word >>> 8;
      if ((word & 0xff) !== EAGER || from !== source || i32[w + W_CONTEXT] !== context || (tag !== ANY_TAG && i32[w + W_TAG] !== tag) ||
        (into !== null && (length > into.byteLength || (expect >= 0 && !compatibleEncodings(encoding, expect))))) {
        this.takeEnvelopes(s);
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
      this.consumeHead();
      if (this.returned[from] >= this.returnAt || this.owing[from] !== null) this.giveBack(from);
      return data;
    }
    return null;
  }

  irecv(source: number, tag: number, context: number, into: Uint8Array | null, expect: Encoding): TransportRequest {
    const req = new Req('recv', source, context, tag, expect, into);
    this.posted.push(req);
    this.matchPosted();
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
        req.data.set(u.data);
        req.data = req.data.subarray(0, u.bytes);
      } else {
        req.data = u.data;
      }
      req.done = true;
      return;
    }
    const dest = req.data !== null ? req.data.subarray(0, u.bytes) : new Uint8Array(u.bytes);
    req.data = dest;
    this.startBulk(req, false, dest, u.encoding, u.source, u.seq);
  }

  /**
   * The queued message a receive takes: for a given source, its first message on the context
   * with a matching tag; for ANY_SOURCE, the first such message of the sender next in turn
   * after the one last taken, or STALL when a sender before it in turn announced messages it
   * has not sent yet. -1 when none.
   */
  private findMatch(source: number, tag: number, context: number): number {
    const list = this.unexpected;
    if (source !== ANY_SOURCE) {
      for (let j = 0; j < list.length; j++) {
        const u = list[j];
        if (u.source === source && u.context === context && (tag === ANY_TAG || u.tag === tag)) return j;
      }
      return -1;
    }
    const n = this.size;
    let best = -1;
    let bestTurn = n;
    let seen: number[] | null = null;
    for (let j = 0; j < list.length; j++) {
      const u = list[j];
      if (u.context !== context || (tag !== ANY_TAG && u.tag !== tag)) continue;
      const turn = (u.source - this.rotor + n) % n;
      if (turn < bestTurn) { best = j; bestTurn = turn; }
      (seen ??= []).push(u.source);
    }
    const owed = this.owed.get(context);
    if (owed !== undefined && owed.size !== 0) {
      for (const s of owed) {
        if ((s - this.rotor + n) % n < bestTurn && (seen === null || !seen.includes(s))) return STALL;
      }
    }
    return best;
  }

  /** Matches posted receives against queued messages, in posting order. */
  private matchPosted(): void {
    const posted = this.posted;
    let stalled: number[] | null = null;
    for (let i = 0; i < posted.length; i++) {
      const req = posted[i];
      if (stalled !== null && stalled.includes(req.context)) continue; // an earlier receive may take its message
      const j = this.findMatch(req.peer, req.tag, req.context);
      if (j === STALL) { (stalled ??= []).push(req.context); continue; }
      if (j < 0) continue;
      const u = this.unexpected[j];
      posted.splice(i--, 1);
      if (!req.accepts(u.bytes, u.encoding)) continue;
      this.unexpected.splice(j, 1);
      if (req.peer === ANY_SOURCE) this.rotor = (u.source + 1) % this.size;
      this.deliver(req, u);
    }
  }

  /** Takes every envelope that has arrived (starting with the completed standing receive `first`), then matches. True if there was any. */
  private takeEnvelopes(first: RecvSlot | null): boolean {
    let s = first ?? this.testHead();
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
          const landing = new Req('recv', source, u.context, u.tag, u.encoding, new Uint8Array(u.bytes));
          u.data = landing.data;
          u.landing = landing;
          this.startBulk(landing, false, landing.data!, u.encoding, source, u.seq);
        }
        this.unexpected.push(u);
      }
      this.consumeHead();
      if (senders === null) senders = [source];
      else if (!senders.includes(source)) senders.push(source);
      s = this.testHead();
    }
    if (this.posted.length !== 0) this.matchPosted();
    if (senders !== null) for (const r of senders) this.giveBack(r);
    return true;
  }

  iprobe(source: number, tag: number, context: number): Envelope | null {
    this.progress();
    const j = this.findMatch(source, tag, context);
    if (j < 0) return null;
    return envelopeOf(this.unexpected[j]);
  }

  queued(context: number): Envelope[] {
    this.progress();
    return envelopesOn(this.unexpected, context);
  }

  // ---------------------------------------------------------------- progress and waiting

  progress(): void {
    this.pump();
  }

  handOver(): void {
    if (this.starved.size !== 0) this.settle();
  }

  /** One round of progress; true when anything arrived or completed (only then can a waiter's condition change). */
  private pump(): boolean {
    const took = this.takeEnvelopes(null);
    return (this.active.length !== 0 && this.testBulk()) || took;
  }

  /**
   * Polls until `isDone()`. The condition is evaluated when something arrived or completed,
   * and at least once a millisecond otherwise (it may run periodic checks of its own, such as
   * the collective-mismatch scan, which should see time pass rather than count polls).
   * Before returning, waits until no message of this rank still waits for credit (see settle).
   */
  block(isDone: () => boolean, request: TransportRequest | null): void {
    if (!isDone()) this.poll(isDone, request);
    if (this.starved.size !== 0) this.settle();
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
    if (waited >= 20) this.watchDeadlock(waited);
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
      rank: this.rank, idle: waiting && !this.active.some((r) => r.kind === 'recv'), sent: this.dataSent >>> 0,
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
    const returned = this.returned;
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
    const clear = () => {
      for (const d of this.starved) {
        if (this.finished[d] !== 0 || (this.queues[d].length === 0 && this.credits[d] > 0)) this.starved.delete(d);
      }
      return this.starved.size === 0;
    };
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
    this.setActivity('finalize (waiting for the other ranks to finish their decks)');
    const flushed = () => this.backlogged === 0 && !this.active.some((r) => r.kind === 'send');
    if (!flushed()) this.block(flushed, null);
    this.finalized = true;
    if (this.size <= FIN_LIMIT) {
      for (let r = 0; r < this.size; r++) if (r !== this.rank) this.sendControl(FIN, r);
    }
    const slot = this.pool.take();
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
      return !this.active.some((r) => r.kind === 'recv'); // pulled messages nobody receives still land
    };
    if (!drained()) this.block(drained, null);
    this.pool.give(slot);
    this.setActivity(null);
    for (let k = 0; k < RECV_SLOTS; k++) {
      const s = this.slots[(this.head + k) % RECV_SLOTS];
      if (k < this.live) {
        this.fn.Cancel(s.req);
        this.fn.Wait(s.req, this.statusAddr);
      }
    }
    this.live = 0;
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

/** MPI_Error_string of an error code. */
export function errorString(lib: MpiLibrary, code: number): string {
  const buf = new Uint8Array(lib.abi.MAX_ERROR_STRING + 1);
  const len = new Int32Array(1);
  if (lib.fn.Error_string(code, buf, len) !== 0) return `MPI error ${code}`;
  return `${Buffer.from(buf.subarray(0, Math.max(0, Math.min(len[0], buf.length)))).toString('utf8').replace(/\0.*$/s, '').trim()} (MPI error ${code})`;
}

function check(lib: MpiLibrary, rc: number, what: string): void {
  if (rc !== 0) throw new MpiError(`${what} failed: ${errorString(lib, rc)}`, rc);
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
  if (libc === null) libc = { sched_yield: koffi.load('libc.so.6').func('int sched_yield()') as () => number };
  libc.sched_yield();
}
