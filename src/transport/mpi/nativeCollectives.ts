/**
 * MPI's own collectives for the world communicator of an MPI job: MPI_Ibarrier's work done by
 * MPI_Iallreduce, MPI_Ibcast, MPI_Iallreduce and MPI_Iallgather on the transport's collective
 * communicator (a duplicate of MPI_COMM_WORLD that only world collectives and finalize use, in
 * the same order on every rank).
 *
 * Why nonblocking: a rank blocked inside a blocking MPI collective takes no envelopes out of MPI
 * and gives no flow-control credit back (flowControl.ts), so a peer that waits for credit
 * before it reaches the collective would wait forever. Here the collective is started, then
 * completed by MPI_Test inside the transport's block(): meanwhile envelopes are taken, credits
 * go back, deadlock probes are answered, and a rank that never comes is caught as a deadlock.
 *
 * Mismatch detection at low cost: the barrier *is* an MPI_Iallreduce (MAX) of the call's
 * [tag, -tag, sig, -sig], so every rank learns whether all made the same call; bcast carries
 * root's tag and signature in a 16-byte header that every rank compares; allreduce and
 * allgather start the same 16-byte check beside the data (both requests in flight at once).
 * On a disagreement the ranks gather every (tag, sig) pair to name the first rank that differs.
 * Two ranks in different native collectives (a bcast against an allreduce) are MPI's to sort
 * out: the library reports an error (the job fails with a TransportError) or never completes
 * them (the deadlock detection ends the job).
 */
import { MessageTypeError, TruncationError } from '../../errors.js';
import { compatibleEncodings, elementBytes, encodingName } from '../encoding.js';
import type { CollectiveCall, NativeCollectives, NativeOp, TransportRequest } from '../transport.js';
import type { MpiLibrary } from './library.js';
import { Block } from './memory.js';

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
  /** Throws the transport's error for a failed MPI call. */
  fail(what: string, rc: number): never;
}

/** Bytes of root's payload that travel inside bcast's first MPI_Ibcast (the header is 16 more). */
const INLINE = 240;
/** Typed arrays up to this size are staged in off-heap memory (V8 may move small on-heap arrays). */
const STAGE = 1024;

/** World collectives of one MPI rank through the library's own collectives. */
export class MpiCollectives implements NativeCollectives {
  private readonly fn: MpiLibrary['fn'];
  /** Two request handles, the MPI_Test flag, and a status. */
  private readonly ctl: Block;
  private readonly req0: number;
  private readonly req1: number;
  private readonly flagAddr: number;
  private readonly statusAddr: number;
  /** bcast: header [length, encoding, tag, sig] then INLINE payload bytes. */
  private readonly head: Block;
  /** The [tag, -tag, sig, -sig] check vector and its MAX. */
  private readonly checkIn: Block;
  private readonly checkOut: Block;
  /** Staging for small typed arrays: send half, receive half. */
  private readonly stage: Block;
  private readonly i32MaxInt: number;

  constructor(private readonly host: MpiCollectiveHost, private readonly rank: number, private readonly size: number) {
    const addr = host.lib.addressOf;
    this.fn = host.lib.fn;
    this.ctl = new Block(128, addr);
    this.req0 = this.ctl.address;
    this.req1 = this.ctl.address + 8;
    this.flagAddr = this.ctl.address + 16;
    this.statusAddr = this.ctl.address + 32;
    this.head = new Block(16 + INLINE, addr);
    this.checkIn = new Block(16, addr);
    this.checkOut = new Block(16, addr);
    this.stage = new Block(2 * STAGE, addr);
    this.i32MaxInt = host.types[6];
  }

  /** Nothing to record: the checks travel with the calls. */
  announce(call: CollectiveCall): void {
    void call;
  }

  barrier(call: CollectiveCall): void {
    this.startCheck(call, this.req0);
    this.wait(call, 'MPI_Iallreduce', this.req0, 0);
    this.verify(call);
  }

  bcast(call: CollectiveCall, root: number, data: Uint8Array | null, encoding: number, into: Uint8Array | null): { bytes: Uint8Array; encoding: number } | null {
    const h = this.head;
    const isRoot = this.rank === root;
    if (isRoot) {
      const n = data === null ? 0 : data.byteLength;
      h.i32[0] = n; h.i32[1] = encoding; h.i32[2] = call.tag; h.i32[3] = call.sig;
      if (n <= INLINE && data !== null) h.u8.set(data, 16);
    }
    this.start('MPI_Ibcast', this.fn.Ibcast(h.address, 16 + INLINE, this.host.types[2], root, this.host.comm, this.req0));
    this.wait(call, 'MPI_Ibcast', this.req0, 0);
    const length = h.i32[0];
    const enc = h.i32[1];
    if (!isRoot && (h.i32[2] !== call.tag || h.i32[3] !== call.sig)) {
      if (length > INLINE) this.rest(call, root, new Uint8Array(length)); // keep MPI's collectives in step
      throw call.mismatch(root, h.i32[2], h.i32[3]);
    }
    if (isRoot) {
      if (length > INLINE) this.rest(call, root, data!);
      return { bytes: data ?? new Uint8Array(0), encoding };
    }
    let error: Error | null = null;
    let out: Uint8Array;
    if (into === null) out = new Uint8Array(length);
    else if (encoding >= 0 && !compatibleEncodings(enc, encoding)) {
      error = new MessageTypeError(`bcast: root sends ${encodingName(enc)} but this rank's buffer is ${encodingName(encoding)}; use the same type on every rank`);
      out = new Uint8Array(length);
    } else if (length > into.byteLength) {
      error = new TruncationError(`bcast: root sends ${length} bytes but this rank's buffer holds ${into.byteLength}; pass a buffer as large as root's`);
      out = new Uint8Array(length);
    } else out = into.subarray(0, length);
    if (length <= INLINE) out.set(h.u8.subarray(16, 16 + length));
    else this.rest(call, root, out);
    if (error !== null) throw error;
    return { bytes: out, encoding: enc };
  }

  allreduce(call: CollectiveCall, send: Uint8Array, recv: Uint8Array, encoding: number, op: NativeOp): boolean {
    const type = encoding === 3 ? undefined : this.host.types[encoding === 12 ? 2 : encoding];
    const mpiOp = this.host.lib.h.OPS[op];
    const count = send.byteLength / elementBytes(encoding);
    if (encoding < 1 || type === undefined || mpiOp === undefined || !Number.isInteger(count) || count > 0x7fffffff) return false;
    const staged = send.byteLength <= STAGE;
    const s = this.stage;
    let from: number, to: number;
    if (staged) {
      s.u8.set(send, 0);
      from = s.address;
      to = s.address + STAGE;
    } else {
      const inPlace = send.buffer === recv.buffer && send.byteOffset === recv.byteOffset;
      from = inPlace ? this.host.lib.abi.IN_PLACE : this.host.lib.addressOf(send);
      to = this.host.lib.addressOf(recv);
    }
    this.startCheck(call, this.req1);
    this.start('MPI_Iallreduce', this.fn.Iallreduce(from, to, count, type, mpiOp, this.host.comm, this.req0));
    this.wait(call, 'MPI_Iallreduce', this.req0, this.req1);
    this.verify(call);
    if (staged) recv.set(s.u8.subarray(STAGE, STAGE + send.byteLength));
    return true;
  }

  allgather(call: CollectiveCall, send: Uint8Array, recv: Uint8Array): boolean {
    const n = send.byteLength;
    if (n === 0 || n * this.size > 0x7fffffff || recv.byteLength < n * this.size) return false;
    const staged = n * (this.size + 1) <= 2 * STAGE;
    const s = this.stage;
    const bytes = this.host.types[2];
    let from: number, to: number;
    if (staged) {
      s.u8.set(send, 0);
      from = s.address;
      to = s.address + n;
    } else {
      from = this.host.lib.addressOf(send);
      to = this.host.lib.addressOf(recv);
    }
    this.startCheck(call, this.req1);
    this.start('MPI_Iallgather', this.fn.Iallgather(from, n, bytes, to, n, bytes, this.host.comm, this.req0));
    this.wait(call, 'MPI_Iallgather', this.req0, this.req1);
    this.verify(call);
    if (staged) recv.set(s.u8.subarray(n, n + n * this.size));
    return true;
  }

  // ---------------------------------------------------------------- helpers

  /** The rest of a bcast payload too large for the header's message: a second MPI_Ibcast. */
  private rest(call: CollectiveCall, root: number, buffer: Uint8Array): void {
    const big = buffer.byteLength > 64 ? buffer : null; // small arrays may sit on the moving V8 heap
    const tmp = big ?? new Block(Math.max(8, buffer.byteLength), this.host.lib.addressOf).u8.subarray(0, buffer.byteLength);
    if (big === null && this.rank === root) tmp.set(buffer);
    this.start('MPI_Ibcast', this.fn.Ibcast(this.host.lib.addressOf(tmp), tmp.byteLength, this.host.types[2], root, this.host.comm, this.req0));
    this.wait(call, 'MPI_Ibcast', this.req0, 0);
    if (big === null && this.rank !== root) buffer.set(tmp);
  }

  /** Starts the MAX-allreduce of [tag, -tag, sig, -sig] (the barrier, and the check beside data). */
  private startCheck(call: CollectiveCall, request: number): void {
    const v = this.checkIn.i32;
    v[0] = call.tag; v[1] = -call.tag; v[2] = call.sig; v[3] = -call.sig;
    this.start('MPI_Iallreduce', this.fn.Iallreduce(this.checkIn.address, this.checkOut.address, 4, this.i32MaxInt, this.host.lib.h.OPS.MAX, this.host.comm, request));
  }

  /** After the check completed: throws the mismatch when some rank made another call. */
  private verify(call: CollectiveCall): void {
    const m = this.checkOut.i32;
    if (m[0] === call.tag && m[1] === -call.tag && m[2] === call.sig && m[3] === -call.sig) return;
    // Rare: find the first rank that differs (every rank takes this path, since all saw the same MAX).
    const all = new Block(8 * this.size, this.host.lib.addressOf);
    const mine = this.checkIn;
    mine.i32[0] = call.tag; mine.i32[1] = call.sig;
    this.start('MPI_Iallgather', this.fn.Iallgather(mine.address, 2, this.i32MaxInt, all.address, 2, this.i32MaxInt, this.host.comm, this.req0));
    this.wait(call, 'MPI_Iallgather', this.req0, 0);
    for (let r = 0; r < this.size; r++) {
      if (r !== this.rank && (all.i32[2 * r] !== call.tag || all.i32[2 * r + 1] !== call.sig)) throw call.mismatch(r, all.i32[2 * r], all.i32[2 * r + 1]);
    }
    throw call.mismatch(this.rank === 0 ? 1 : 0, call.tag, call.sig);
  }

  private start(what: string, rc: number): void {
    if (rc !== 0) this.host.fail(what, rc);
  }

  /** Completes request `a` (and `b` when not 0) by MPI_Test inside the transport's wait. */
  private wait(call: CollectiveCall, what: string, a: number, b: number): void {
    const ctl = this.ctl.i32;
    const flag = 4; // int32 index of flagAddr
    const fn = this.fn;
    let aDone = false;
    let bDone = b === 0;
    const done = (): boolean => {
      if (!aDone) {
        const rc = fn.Test(a, this.flagAddr, this.statusAddr);
        if (rc !== 0) this.host.fail(what, rc);
        aDone = ctl[flag] !== 0;
      }
      if (!bDone) {
        const rc = fn.Test(b, this.flagAddr, this.statusAddr);
        if (rc !== 0) this.host.fail('MPI_Iallreduce', rc);
        bDone = ctl[flag] !== 0;
      }
      return aDone && bDone;
    };
    // block() looks at `done` only when an envelope moved or once a millisecond: poll it here
    // first, with the transport's progress every few polls (credits keep flowing).
    for (let k = this.host.spinPolls; k > 0; k--) {
      if (done()) return;
      if ((k & 15) === 0) this.host.progress();
    }
    this.host.block(done, null); // the transport's activity (the collective) describes the wait
  }
}
