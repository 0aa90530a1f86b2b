/**
 * MPI's own collectives for the world communicator of an MPI job, where they are faster than
 * simdeck's message algorithms: MPI_Iallreduce of a typed array with a built-in operator and
 * MPI_Iallgather of equal blocks, from {@link NATIVE_MIN_BYTES} up, on a duplicate of
 * MPI_COMM_WORLD that only world collectives use, in the same order on every rank. Barriers,
 * broadcasts and small reductions go by messages: measured on Open MPI 4.1 and MPICH 4.0 here,
 * a nonblocking MPI collective plus its mismatch check costs 1.5-2.6x simdeck's own algorithm at
 * 8 bytes (docs/benchmarks.md, the issue-9 A/B table), while from about 64 KiB MPI's reductions
 * win. (A broadcast is left out because only root knows its size: ranks could not agree on
 * the path without a message first.)
 *
 * Why nonblocking: a rank blocked inside a blocking MPI collective takes no envelopes out of MPI
 * and gives no flow-control credit back (flowControl.ts), so a peer that waits for credit
 * before it reaches the collective would wait forever. Here the collective is started, then
 * completed by MPI_Test inside the transport's block(): meanwhile envelopes are taken, credits
 * go back, deadlock probes are answered, and a rank that never comes is caught as a deadlock.
 *
 * Mismatch detection: every native collective starts one MPI_Iallreduce (MAX) of four doubles
 * packing the call's number and signature with the rank ([tag, -tag, sig, -sig] × 2^20 + rank)
 * beside the data's own collective; from its result every rank learns whether all made this
 * very call and, if not, one rank that did not and its call, and it throws before waiting for
 * the data (which may never complete). With SIMDECK_COLLECTIVE_CHECK=0 (signature 0) the check
 * is skipped, and ranks in two different native collectives are left to MPI, which reports an
 * error or never completes them (then the job ends as deadlocked).
 */
import { DeadlockError } from '../../errors.js';
import { elementBytes } from '../encoding.js';
import type { CollectiveCall, NativeCollectives, NativeOp, TransportRequest } from '../transport.js';
import type { MpiLibrary } from './library.js';
import { Block } from './memory.js';

/** How long a native collective still completes after a rank it waits with has finished its deck. */
const FINISHED_GRACE_MS = 1000;

/** What the collectives need from the MPI transport. */
export interface MpiCollectiveHost {
  readonly lib: MpiLibrary;
  /** The native communicator (MPI_Comm as a number). */
  readonly comm: number;
  /** MPI datatype per payload encoding. */
  readonly types: number[];
  /** The transport's block(): waits making progress (credits, probes, deadlock detection). */
  block(isDone: () => boolean, request: TransportRequest | null): void;
  /** The transport's progress(): takes envelopes and gives credits back, without blocking. */
  progress(): void;
  /** Polls of a wait before block()'s slower loop (many with a core per rank, few when oversubscribed). */
  readonly spinPolls: number;
  /** Whether world rank `r` has told this one it finished its deck. */
  finished(r: number): boolean;
  /** Throws the transport's error for a failed MPI call. */
  fail(what: string, rc: number): never;
  /** While on, this rank does not count as idle for deadlock detection (it waits for MPI, not for a message). */
  settling(on: boolean): void;
}

/**
 * Smallest payload (bytes reduced, or gathered in all) taken by MPI's own collectives: below it
 * simdeck's message algorithms are faster (see the file comment). Every rank of a correct call
 * passes the same sizes, so every rank takes the same path.
 */
export const NATIVE_MIN_BYTES = 65536;
/** Ranks are packed below this factor in the check (2^20). */
const RANKS = 1 << 20;

/** World collectives of one MPI rank through the library's own collectives. */
export class MpiCollectives implements NativeCollectives {
  private readonly fn: MpiLibrary['fn'];
  /** Two request handles, the MPI_Test flag, and a status. */
  private readonly ctl: Block;
  private readonly req0: number;
  private readonly req1: number;
  private readonly flagAddr: number;
  private readonly statusAddr: number;
  /** The packed check vector (four doubles) and its MAX. */
  private readonly checkIn: Block;
  private readonly checkOut: Block;
  private readonly checkInF: Float64Array;
  private readonly checkOutF: Float64Array;
  private readonly f64: number;
  /** allgather's own block when it is small enough to sit on V8's moving heap. */
  private readonly smallBlock: Block;

  constructor(private readonly host: MpiCollectiveHost, private readonly rank: number, private readonly size: number) {
    const addr = host.lib.addressOf;
    this.fn = host.lib.fn;
    this.ctl = new Block(128, addr);
    this.req0 = this.ctl.address;
    this.req1 = this.ctl.address + 8;
    this.flagAddr = this.ctl.address + 16;
    this.statusAddr = this.ctl.address + 32;
    this.checkIn = new Block(32, addr);
    this.checkOut = new Block(32, addr);
    this.checkInF = new Float64Array(this.checkIn.buffer);
    this.checkOutF = new Float64Array(this.checkOut.buffer);
    this.f64 = host.types[9];
    this.smallBlock = new Block(64, addr);
  }

  readonly minBytes = NATIVE_MIN_BYTES;

  /** Nothing to record: the checks travel with the calls. */
  announce(call: CollectiveCall): void {
    void call;
  }

  allreduce(call: CollectiveCall, send: Uint8Array, recv: Uint8Array, encoding: number, op: NativeOp): boolean {
    const type = encoding === 3 ? undefined : this.host.types[encoding === 12 ? 2 : encoding];
    const mpiOp = this.host.lib.h.OPS[op];
    const count = send.byteLength / elementBytes(encoding);
    if (send.byteLength < NATIVE_MIN_BYTES || encoding < 1 || type === undefined || mpiOp === undefined || !Number.isInteger(count) || count > 0x7fffffff) return false;
    const inPlace = send.buffer === recv.buffer && send.byteOffset === recv.byteOffset;
    // Arrays of NATIVE_MIN_BYTES are never on V8's moving heap: their addresses hold while MPI works.
    const from = inPlace ? this.host.lib.abi.IN_PLACE : this.host.lib.addressOf(send);
    const checked = this.startCheck(call);
    this.start('MPI_Iallreduce', this.fn.Iallreduce(from, this.host.lib.addressOf(recv), count, type, mpiOp, this.host.comm, this.req0));
    this.wait(call, 'MPI_Iallreduce', this.req0, checked ? this.req1 : 0);
    return true;
  }

  allgather(call: CollectiveCall, send: Uint8Array, recv: Uint8Array): boolean {
    const n = send.byteLength;
    if (n * this.size < NATIVE_MIN_BYTES || n * this.size > 0x7fffffff || recv.byteLength < n * this.size) return false;
    const bytes = this.host.types[2];
    // A block of up to 64 bytes may sit on V8's moving heap: MPI reads a copy of it off the heap.
    if (n <= 64) this.smallBlock.u8.set(send);
    const from = n <= 64 ? this.smallBlock.address : this.host.lib.addressOf(send);
    const checked = this.startCheck(call);
    this.start('MPI_Iallgather', this.fn.Iallgather(from, n, bytes, this.host.lib.addressOf(recv), n, bytes, this.host.comm, this.req0));
    this.wait(call, 'MPI_Iallgather', this.req0, checked ? this.req1 : 0);
    return true;
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Starts the check (request 1) unless checking is off (signature 0): the MAX-allreduce of
   * [tag, -tag, sig, -sig] each × 2^20 + rank (sig as unsigned), exact in doubles for ranks
   * below 2^20. Returns whether it started.
   */
  private startCheck(call: CollectiveCall): boolean {
    if (call.sig === 0) return false;
    const v = this.checkInF;
    const sig = call.sig >>> 0;
    v[0] = call.tag * RANKS + this.rank; v[1] = -call.tag * RANKS + this.rank;
    v[2] = sig * RANKS + this.rank; v[3] = -sig * RANKS + this.rank;
    this.start('MPI_Iallreduce', this.fn.Iallreduce(this.checkIn.address, this.checkOut.address, 4, this.f64, this.host.lib.h.OPS.MAX, this.host.comm, this.req1));
    return true;
  }

  /** After the check completed: throws the mismatch (naming a rank that differs) when some rank made another call. */
  private verify(call: CollectiveCall): void {
    const m = this.checkOutF;
    const sig = call.sig >>> 0;
    const split = (x: number, sign: number) => {
      const r = ((x % RANKS) + RANKS) % RANKS;
      return { value: sign * Math.round((x - r) / RANKS), rank: r };
    };
    const hiTag = split(m[0], 1), loTag = split(m[1], -1), hiSig = split(m[2], 1), loSig = split(m[3], -1);
    const sigOf = (v: number) => v | 0;
    if (hiSig.value !== sig) throw call.mismatch(hiSig.rank, call.tag, sigOf(hiSig.value));
    if (loSig.value !== sig) throw call.mismatch(loSig.rank, call.tag, sigOf(loSig.value));
    if (hiTag.value !== call.tag) throw call.mismatch(hiTag.rank, hiTag.value, call.sig);
    if (loTag.value !== call.tag) throw call.mismatch(loTag.rank, loTag.value, call.sig);
  }

  private start(what: string, rc: number): void {
    if (rc !== 0) this.host.fail(what, rc);
  }

  /**
   * Completes request `a` by MPI_Test inside the transport's wait; with `b` (the check, not 0)
   * in flight too, completes it first and throws a mismatch before waiting any longer for `a`.
   */
  private wait(call: CollectiveCall, what: string, a: number, b: number): void {
    if (b !== 0) {
      this.complete(call, b, 'MPI_Iallreduce');
      this.verify(call);
    }
    this.complete(call, a, what);
  }

  private complete(call: CollectiveCall, request: number, what: string): void {
    const ctl = this.ctl.i32;
    const flag = 4; // int32 index of flagAddr
    const fn = this.fn;
    let nextWatch = 0;
    let finishedSince = 0;
    const done = (): boolean => {
      const rc = fn.Test(request, this.flagAddr, this.statusAddr);
      if (rc !== 0) this.host.fail(what, rc);
      if (ctl[flag] !== 0) return true;
      const now = performance.now();
      if (now > nextWatch) { // every few ms: queued messages that prove the ranks disagree
        if (nextWatch !== 0) {
          call.watch();
          // A rank that finished may have finished after taking part in this collective (it
          // completed there first): give MPI a second to complete it here before calling it a
          // collective that rank never entered.
          for (let r = 0; r < this.size; r++) {
            if (r === this.rank || !this.host.finished(r)) continue;
            if (finishedSince === 0) { finishedSince = now; this.host.settling(true); }
            else if (now - finishedSince > FINISHED_GRACE_MS) throw new DeadlockError(`${call.toString()} can never complete: rank ${r} has finished its deck`);
            break;
          }
        }
        nextWatch = now + 2;
      }
      return false;
    };
    // block() looks at `done` only when an envelope moved or once a millisecond: poll it here
    // first, with the transport's progress every few polls (credits keep flowing).
    try {
      for (let k = this.host.spinPolls; k > 0; k--) {
        if (done()) return;
        if ((k & 15) === 0) this.host.progress();
      }
      this.host.block(done, null); // the transport's activity (the collective) describes the wait
    } finally {
      if (finishedSince !== 0) this.host.settling(false);
    }
  }
}
