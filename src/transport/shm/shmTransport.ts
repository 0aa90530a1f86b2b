/**
 * The embedded shared-memory transport: every rank of a job maps one POSIX shared-memory
 * segment. Small messages are copied through a single-producer single-consumer ring per ordered
 * pair of ranks; large ones move with one copy, the receiver reading the sender's buffer with
 * process_vm_readv, or through the ring in chunks where the kernel refuses that.
 *
 * Waiting spins while every rank has a core and sleeps on a futex otherwise (or after spinning
 * a while); every sleep is timed and checks the job's abort word, so no rank waits forever on a
 * dead peer.
 */
import { DeadlockError, JobAbortedError, TransportError } from '../../errors.js';
import { compatibleEncodings } from '../encoding.js';
import {
  ANY_SOURCE, ANY_TAG, type Encoding, type Envelope, type NativeCollectives, type Transport, type TransportRequest,
} from '../transport.js';
import { claimArea } from './collectiveArea.js';
import { addressOf, allowPeerReads, futexWait, futexWakeAll, readFromProcess } from '../../system/libc.js';
import { FRAME_HEADER, Kind, Ring, pad8 } from './ring.js';
import { takePayload } from '../bytes.js';
import { eagerLimit } from '../buffering.js';
import { BaseRequest, describeWait, envelopeOf, envelopesOn } from '../request.js';
import { Abort, H, R, RING_CTRL_BYTES, rankBlockOffset, ringOffset, type Segment } from './segment.js';

/** Polls before sleeping when every rank has its own core (~1-2 ms), and when oversubscribed. */
const SPIN_POLLS_DEDICATED = 20000;
const SPIN_POLLS_SHARED = 64;
/** Longest single futex sleep: bounds how late a rank notices an abort. */
const SLEEP_MS = 50;

class Request extends BaseRequest {
  /** send: 0 queued, 1 waiting for FIN/CTS, 2 streaming; recv: bytes streamed so far. */
  state = 0;
  id = 0;
  /** send: the receiver's id for streamed DATA frames. */
  aux = 0;
}

/** A message taken off a ring before any receive matched it. */
interface Unexpected extends Envelope {
  context: number;
  /** Eager: the bytes. Rendezvous: null. */
  data: Uint8Array | null;
  sendId: number;
  address: number;
}

/** A frame that could not be written yet because the ring was full. */
interface Outgoing {
  kind: number;
  request: Request | null;
  id: number;
  aux: number;
}

/** Hooks the runtime gives the transport. */
export interface ShmHooks {
  /** Called (instead of throwing) when the job's abort word is set while this rank blocks. */
  onAbort?: (code: number, describe: () => string) => never;
  /** Names of contexts for diagnostics. */
  contextName?: (context: number) => string;
}

/** The shared-memory transport of one rank. */
export class ShmTransport implements Transport {
  readonly name = 'shm';
  readonly size: number;
  private readonly seg: Segment;
  private readonly outRings: (Ring | null)[] = [];
  private readonly inRings: (Ring | null)[] = [];
  private readonly bellIdx: number[] = [];
  private readonly bellAddr: number[] = [];
  private readonly sleepersIdx: number[] = [];
  private readonly pids: number[] = [];
  private readonly blockedSinceIdx: number;
  private readonly waitsIdx: number;
  private readonly spinPolls: number;
  private readonly eagerLimit: number;
  private cma: boolean;
  /** This process's id while single-copy reads between ranks work here (Transport.singleCopyPid), else 0. Local. */
  get singleCopyPid(): number {
    return this.cma ? process.pid : 0;
  }
  private readonly posted: Request[] = [];
  private readonly unexpected: Unexpected[] = [];
  private readonly outQueues: Outgoing[][] = [];
  private readonly streams: Request[] = [];
  private readonly awaitingFin = new Map<number, Request>();
  private readonly streamingRecvs = new Map<number, Request>();
  private nextId = 1;
  private rotor = 0;
  private activity: { toString(): string } | null = null;
  private blocked: TransportRequest | null = null;
  private readonly addrScratch = new Float64Array(1);
  private readonly addrBytes = new Uint8Array(this.addrScratch.buffer);

  constructor(seg: Segment, readonly rank: number, private readonly hooks: ShmHooks = {}) {
    this.seg = seg;
    this.size = seg.shape.size;
    const ringBytes = seg.shape.ringBytes;
    for (let r = 0; r < this.size; r++) {
      const block = rankBlockOffset(r);
      this.bellIdx.push((block + R.DOORBELL) >> 2);
      this.bellAddr.push(seg.address + block + R.DOORBELL);
      this.sleepersIdx.push((block + R.SLEEPERS) >> 2);
      this.pids.push(0);
      this.outQueues.push([]);
      if (r === rank) {
        this.outRings.push(null);
        this.inRings.push(null);
      } else {
        const out = ringOffset(seg.shape, rank, r);
        const inn = ringOffset(seg.shape, r, rank);
        this.outRings.push(new Ring(seg, out, out + RING_CTRL_BYTES, ringBytes));
        this.inRings.push(new Ring(seg, inn, inn + RING_CTRL_BYTES, ringBytes));
      }
    }
    this.blockedSinceIdx = (rankBlockOffset(rank) + R.BLOCKED_SINCE) >> 3;
    this.waitsIdx = (rankBlockOffset(rank) + R.WAITS) >> 2;
    const spin = seg.i32[H.SPIN] === 1;
    this.spinPolls = spin ? SPIN_POLLS_DEDICATED : SPIN_POLLS_SHARED;
    // Up to half a ring goes eager (the buffering rule every transport follows, buffering.ts):
    // two copies through a ring that stays in cache beat the rendezvous round trip (64 KiB: 9.5 vs 45 µs).
    this.eagerLimit = eagerLimit(this.size, ringBytes);
    this.cma = seg.i32[H.CMA] === 1;
    if (this.cma) allowPeerReads();
    seg.i32[(rankBlockOffset(rank) + R.PID) >> 2] = process.pid;
  }

  /** The address of this rank's kernel-trace slot (64 bytes) in the segment. */
  kernelSlot(): Uint8Array {
    const at = rankBlockOffset(this.rank) + R.KERNEL;
    return this.seg.u8.subarray(at, at + 64);
  }

  /** Native collectives through a collective area of the segment (collectiveArea.ts); null once every area is taken. */
  collectives(context: number, worldRanks: Int32Array | null, rank: number): NativeCollectives | null {
    const host = { seg: this.seg, spinPolls: this.spinPolls, worldRank: this.rank, progress: () => this.progress(), aborted: () => this.aborted(this.blocked) };
    return claimArea(host, context, worldRanks, rank);
  }

  // ---------------------------------------------------------------- sending

  isend(data: Uint8Array, encoding: Encoding, dest: number, tag: number, context: number, signature = 0): TransportRequest {
    const req = new Request('send', dest, context, tag, encoding, data);
    req.bytes = data.byteLength;
    req.signature = signature;
    if (dest === this.rank) {
      this.arrive(this.rank, tag, context, encoding, data.slice(), 0, 0, data.byteLength, signature);
      req.done = true;
      return req;
    }
    const queue = this.outQueues[dest];
    if (data.byteLength <= this.eagerLimit) {
      if (queue.length === 0 && this.outRings[dest]!.tryWrite(Kind.EAGER, encoding, tag, context, 0, signature,
        data.byteLength, data, 0, data.byteLength)) {
        this.ring(dest);
        req.done = true;
        return req;
      }
      queue.push({ kind: Kind.EAGER, request: req, id: 0, aux: 0 });
    } else {
      req.id = this.nextId++;
      queue.push({ kind: Kind.RTS, request: req, id: req.id, aux: 0 });
    }
    this.flush(dest);
    return req;
  }

  /** Wakes rank `dest` if it sleeps; called after writing to its ring. */
  private ring(dest: number): void {
    const i32 = this.seg.i32;
    if (Atomics.load(i32, this.sleepersIdx[dest]) !== 0) {
      Atomics.add(i32, this.bellIdx[dest], 1);
      futexWakeAll(this.bellAddr[dest]);
    }
  }

  /** Writes queued frames to `dest` while its ring has room. */
  private flush(dest: number): void {
    const queue = this.outQueues[dest];
    const ring = this.outRings[dest]!;
    let wrote = false;
    while (queue.length !== 0) {
      const o = queue[0];
      const req = o.request;
      let ok: boolean;
      if (o.kind === Kind.EAGER) {
        ok = ring.tryWrite(Kind.EAGER, req!.encoding, req!.tag, req!.context, 0, req!.signature, req!.bytes, req!.data, 0, req!.bytes);
        if (ok) req!.done = true;
      } else if (o.kind === Kind.RTS) {
        this.addrScratch[0] = addressOf(req!.data!);
        ok = ring.tryWrite(Kind.RTS, req!.encoding, req!.tag, req!.context, req!.id, req!.signature, req!.bytes, this.addrBytes, 0, 8);
        if (ok) { req!.state = 1; this.awaitingFin.set(req!.id, req!); }
      } else {
        ok = ring.tryWrite(o.kind, 0, 0, 0, o.id, o.aux, 0, null, 0, 0);
      }
      if (!ok) {
        Atomics.store(this.seg.i32, ring.fullWaitIdx, 1);
        break;
      }
      queue.shift();
      wrote = true;
    }
    if (wrote) this.ring(dest);
  }

  /** Sends a header-only control frame to `dest`, queued behind earlier frames. */
  private control(dest: number, kind: number, id: number, aux: number): void {
    this.outQueues[dest].push({ kind, request: null, id, aux });
    this.flush(dest);
  }

  /** Pushes DATA chunks of streamed sends while rings have room. */
  private pumpStreams(): void {
    for (let i = 0; i < this.streams.length; i++) {
      const req = this.streams[i];
      const ring = this.outRings[req.peer]!;
      let wrote = false;
      while (req.state < req.bytes + 2) {
        const offset = req.state - 2;
        const n = Math.min(ring.maxPayload, req.bytes - offset);
        if (!ring.tryWrite(Kind.DATA, 0, 0, 0, req.aux, 0, req.bytes, req.data, offset, n)) {
          Atomics.store(this.seg.i32, ring.fullWaitIdx, 1);
          break;
        }
        wrote = true;
        req.state += n;
      }
      if (wrote) this.ring(req.peer);
      if (req.state === req.bytes + 2) {
        req.done = true;
        this.streams.splice(i--, 1);
      }
    }
  }

  trySend(data: Uint8Array, encoding: Encoding, dest: number, tag: number, context: number, signature = 0): boolean {
    if (dest === this.rank || data.byteLength > this.eagerLimit || this.outQueues[dest].length !== 0) return false;
    if (!this.outRings[dest]!.tryWrite(Kind.EAGER, encoding, tag, context, 0, signature, data.byteLength, data, 0, data.byteLength)) return false;
    this.ring(dest);
    return true;
  }

  readonly last: Envelope = { source: 0, tag: 0, bytes: 0, encoding: 0, signature: 0 };

  tryRecv(source: number, tag: number, context: number, into: Uint8Array | null, expect: Encoding): Uint8Array | null {
    if (source < 0 || source === this.rank || this.unexpected.length !== 0 || this.posted.length !== 0) return null;
    const ring = this.inRings[source]!;
    const i32 = ring.i32;
    const size = ring.bytes;
    for (let polls = this.spinPolls; polls > 0; polls--) {
      let head = i32[ring.headIdx] >>> 0;
      const tail = Atomics.load(i32, ring.tailIdx) >>> 0;
      if (head === tail) {
        if (this.othersBusy(source) || i32[H.ABORT] !== 0) return null;
        continue;
      }
      let pos = head & (size - 1);
      if (size - pos < FRAME_HEADER || (i32[(ring.data + pos) >> 2] & 0xff) === Kind.WRAP) {
        head = (head + size - pos) >>> 0;
        if (head === tail) { Atomics.store(i32, ring.headIdx, head | 0); continue; }
        pos = 0;
      }
      const at = ring.data + pos;
      const w = at >> 2;
      const word = i32[w];
      const length = i32[w + 1];
      const encoding = word >>> 8;
      if ((word & 0xff) !== Kind.EAGER || i32[w + 3] !== context || (tag !== ANY_TAG && i32[w + 2] !== tag)) return null;
      if (into !== null && (length > into.byteLength || (expect >= 0 && !compatibleEncodings(encoding, expect)))) return null;
      const data = takePayload(ring.u8, at + FRAME_HEADER, length, into);
      const last = this.last;
      last.source = source;
      last.tag = i32[w + 2];
      last.bytes = length;
      last.encoding = encoding;
      last.signature = i32[w + 5];
      this.consumed(source, ring, (head + FRAME_HEADER + pad8(length)) | 0);
      return data;
    }
    return null;
  }

  /** True when anything other than the ring from `source` needs attention. */
  private othersBusy(source: number): boolean {
    if (this.streams.length !== 0) return true;
    for (let r = 0; r < this.size; r++) {
      if (r !== this.rank && r !== source && (this.inRings[r]!.hasData() || this.outQueues[r].length !== 0)) return true;
    }
    return this.outQueues[source].length !== 0;
  }

  // ---------------------------------------------------------------- receiving

  irecv(source: number, tag: number, context: number, into: Uint8Array | null, expect: Encoding): TransportRequest {
    const req = new Request('recv', source, context, tag, expect, into);
    const list = this.unexpected;
    for (let i = 0; i < list.length; i++) {
      const u = list[i];
      if (u.context === context && (source === ANY_SOURCE || u.source === source) && (tag === ANY_TAG || u.tag === tag)) {
        if (!req.accepts(u.bytes, u.encoding)) return req;
        list.splice(i, 1);
        this.deliver(req, u.source, u.tag, u.encoding, u.bytes, u.data, u.sendId, u.address, u.signature);
        return req;
      }
    }
    this.posted.push(req);
    this.progress();
    return req;
  }

  /** Completes a receive with a matched message (eager bytes, or rendezvous by address). */
  private deliver(req: Request, source: number, tag: number, encoding: Encoding, bytes: number,
    data: Uint8Array | null, sendId: number, address: number, signature: number): void {
    req.signature = signature;
    req.source = source;
    req.tag = tag;
    req.encoding = encoding;
    req.bytes = bytes;
    if (data !== null) {
      if (req.data !== null) {
        req.data.set(data);
        req.data = req.data.subarray(0, bytes);
      } else {
        req.data = data;
      }
      req.done = true;
      return;
    }
    // Rendezvous: read the sender's buffer directly, or ask it to stream.
    const dest = req.data !== null ? req.data.subarray(0, bytes) : new Uint8Array(bytes);
    req.data = dest;
    if (this.cma) {
      let pid = this.pids[source];
      if (pid === 0) pid = this.pids[source] = this.seg.i32[(rankBlockOffset(source) + R.PID) >> 2];
      const err = readFromProcess(pid, addressOf(dest), address, bytes);
      if (err === 0) {
        req.done = true;
        this.control(source, Kind.FIN, sendId, 0);
        return;
      }
      if (err !== 1 /* EPERM */ && err !== 38 /* ENOSYS */) {
        req.error = new TransportError(`process_vm_readv from rank ${source} failed with errno ${err}`);
        req.done = true;
        return;
      }
      this.cma = false; // the kernel refuses single-copy reads here: stream from now on
    }
    req.state = 0;
    req.id = this.nextId++;
    this.streamingRecvs.set(req.id, req);
    this.control(source, Kind.CTS, sendId, req.id);
  }

  /**
   * Takes the first posted receive that matches a message just arrived, if any, off the posted
   * list; returns it when it accepts the message, else null (a receive that does not accept it
   * has failed, see BaseRequest.accepts, and the message is to be queued).
   */
  private matchPosted(source: number, tag: number, context: number, bytes: number, encoding: Encoding): Request | null {
    const posted = this.posted;
    for (let i = 0; i < posted.length; i++) {
      const req = posted[i];
      if (req.context === context && (req.peer === ANY_SOURCE || req.peer === source) && (req.tag === ANY_TAG || req.tag === tag)) {
        posted.splice(i, 1);
        return req.accepts(bytes, encoding) ? req : null;
      }
    }
    return null;
  }

  /** Routes a message that just arrived: to the first matching posted receive, else queue it. */
  private arrive(source: number, tag: number, context: number, encoding: Encoding, data: Uint8Array | null,
    sendId: number, address: number, bytes: number, signature: number): void {
    const req = this.matchPosted(source, tag, context, bytes, encoding);
    if (req !== null) this.deliver(req, source, tag, encoding, bytes, data, sendId, address, signature);
    else this.unexpected.push({ source, tag, context, encoding, bytes, data, sendId, address, signature });
  }

  iprobe(source: number, tag: number, context: number): Envelope | null {
    this.progress();
    for (const u of this.unexpected) {
      if (u.context === context && (source === ANY_SOURCE || u.source === source) && (tag === ANY_TAG || u.tag === tag)) {
        return envelopeOf(u);
      }
    }
    return null;
  }

  queued(context: number): Envelope[] {
    this.progress();
    return envelopesOn(this.unexpected, context);
  }

  // ---------------------------------------------------------------- progress

  /** Nothing to do: a message is in its receiver's ring (or waits for a receive, which the receiver drives) once its send call returns. */
  handOver(): void {}

  progress(): void {
    const n = this.size;
    if (n > 1) {
      // Take one frame from each ring per pass, so that backlogs of several senders interleave
      // in arrival order (ANY_SOURCE fairness); bounded so a flood cannot pin us here.
      for (let pass = 0; pass < 256; pass++) {
        let took = false;
        let r = this.rotor;
        for (let k = 0; k < n; k++) {
          if (r !== this.rank && this.takeFrame(r, this.inRings[r]!)) took = true;
          r = r + 1 === n ? 0 : r + 1;
        }
        if (!took) break;
      }
      this.rotor = this.rotor + 1 === n ? 0 : this.rotor + 1;
      for (let r = 0; r < n; r++) if (this.outQueues[r].length !== 0) this.flush(r);
    }
    if (this.streams.length !== 0) this.pumpStreams();
  }

  /** Consumes the next frame waiting in the ring from `source`; false when there is none. */
  private takeFrame(source: number, ring: Ring): boolean {
    const i32 = ring.i32;
    const u8 = ring.u8;
    const size = ring.bytes;
    let head = i32[ring.headIdx] >>> 0;
    const tail = Atomics.load(i32, ring.tailIdx) >>> 0;
    if (head === tail) return false;
    let pos = head & (size - 1);
    if (size - pos < FRAME_HEADER || (i32[(ring.data + pos) >> 2] & 0xff) === Kind.WRAP) {
      head = (head + size - pos) >>> 0;
      if (head === tail) { Atomics.store(i32, ring.headIdx, head | 0); return false; }
      pos = 0;
    }
    const at = ring.data + pos;
    const w = at >> 2;
    const word = i32[w];
    const kind = word & 0xff;
    const length = i32[w + 1];
    const start = at + FRAME_HEADER;
    switch (kind) {
      case Kind.EAGER: {
        const tag = i32[w + 2], context = i32[w + 3], encoding = word >>> 8, signature = i32[w + 5];
        const req = this.matchPosted(source, tag, context, length, encoding);
        if (req !== null) {
          // a receive is waiting: copy straight from the ring into its buffer (no array in between)
          req.signature = signature;
          req.source = source;
          req.tag = tag;
          req.encoding = encoding;
          req.bytes = length;
          req.data = takePayload(u8, start, length, req.data);
          req.done = true;
        } else {
          this.unexpected.push({ source, tag, context, encoding, bytes: length, data: u8.slice(start, start + length), sendId: 0, address: 0, signature });
        }
        break;
      }
      case Kind.RTS: {
        this.addrBytes.set(u8.subarray(start, start + 8));
        const total = (i32[w + 6] >>> 0) + (i32[w + 7] >>> 0) * 4294967296;
        this.arrive(source, i32[w + 2], i32[w + 3], word >>> 8, null, i32[w + 4], this.addrScratch[0], total, i32[w + 5]);
        break;
      }
      case Kind.FIN: {
        const req = this.awaitingFin.get(i32[w + 4]);
        if (req !== undefined) { this.awaitingFin.delete(req.id); req.done = true; }
        break;
      }
      case Kind.CTS: {
        const req = this.awaitingFin.get(i32[w + 4]);
        if (req !== undefined) {
          this.awaitingFin.delete(req.id);
          req.aux = i32[w + 5];
          req.state = 2;
          this.streams.push(req);
        }
        break;
      }
      case Kind.DATA: {
        const req = this.streamingRecvs.get(i32[w + 4]);
        if (req !== undefined) {
          req.data!.set(u8.subarray(start, start + length), req.state);
          req.state += length;
          if (req.state === req.bytes) { this.streamingRecvs.delete(req.id); req.done = true; }
        }
        break;
      }
      default:
        throw new TransportError(`corrupt frame kind ${kind} in the ring from rank ${source}`);
    }
    this.consumed(source, ring, (head + FRAME_HEADER + pad8(length)) | 0);
    return true;
  }

  /** Consumer: publishes the new head and wakes the producer if it waits for room. */
  private consumed(source: number, ring: Ring, head: number): void {
    const i32 = ring.i32;
    Atomics.store(i32, ring.headIdx, head);
    if (Atomics.load(i32, ring.fullWaitIdx) !== 0) {
      Atomics.store(i32, ring.fullWaitIdx, 0);
      Atomics.add(i32, this.bellIdx[source], 1);
      futexWakeAll(this.bellAddr[source]);
    }
  }

  // ---------------------------------------------------------------- waiting

  block(isDone: () => boolean, request: TransportRequest | null): void {
    const i32 = this.seg.i32;
    let polls = this.spinPolls;
    for (;;) {
      this.progress();
      if (isDone()) return;
      if (i32[H.ABORT] !== 0) this.aborted(request);
      if (--polls > 0) continue;
      break;
    }
    // Slow path: sleep on our doorbell, timed, recording that we are blocked (and in which wait:
    // the launcher's deadlock watch tells a rank that stays in one wait from one that moves on).
    const f64 = this.seg.f64;
    Atomics.add(i32, this.waitsIdx, 1);
    f64[this.blockedSinceIdx] = Date.now();
    this.blocked = request;
    const me = this.rank;
    try {
      for (;;) {
        Atomics.add(i32, this.sleepersIdx[me], 1);
        const bell = Atomics.load(i32, this.bellIdx[me]);
        this.progress();
        if (isDone()) { Atomics.sub(i32, this.sleepersIdx[me], 1); return; }
        futexWait(this.bellAddr[me], bell, SLEEP_MS);
        Atomics.sub(i32, this.sleepersIdx[me], 1);
        if (Atomics.load(i32, H.ABORT) !== 0) this.aborted(request);
        if (request !== null && !request.done && this.peerGone(request)) {
          this.progress();
          if (isDone()) return;
          throw new DeadlockError(`${this.describe(request)} can never complete: ` +
            (request.peer === ANY_SOURCE ? 'every other rank has finished its deck' : `rank ${request.peer} has finished its deck`));
        }
        // Spin a little after a wake-up: the next message often follows closely.
        for (let k = SPIN_POLLS_SHARED; k > 0; k--) {
          this.progress();
          if (isDone()) return;
        }
      }
    } finally {
      f64[this.blockedSinceIdx] = 0;
      this.blocked = null;
    }
  }

  /** True when the rank(s) a request depends on have finished their decks. */
  private peerGone(request: TransportRequest): boolean {
    const finished = (r: number) => r !== this.rank && Atomics.load(this.seg.i32, (rankBlockOffset(r) + R.FINISHED) >> 2) !== 0;
    if (request.peer >= 0) return finished(request.peer);
    if (request.peer !== ANY_SOURCE || this.size === 1) return false;
    for (let r = 0; r < this.size; r++) if (r !== this.rank && !finished(r)) return false;
    return true;
  }

  private aborted(request: TransportRequest | null): never {
    const code = Atomics.load(this.seg.i32, H.ABORT);
    if (this.hooks.onAbort) return this.hooks.onAbort(code, () => this.describe(request));
    throw new JobAbortedError(`the job was aborted (code ${code}) while this rank was in ${this.describe(request)}`);
  }

  /** What this rank is blocked in, for hang reports. */
  describe(request: TransportRequest | null = this.blocked): string {
    return describeWait(this.activity, request, this.hooks.contextName);
  }

  setActivity(describe: { toString(): string } | null): void {
    this.activity = describe;
  }

  abort(code: number, message: string): never {
    const i32 = this.seg.i32;
    if (Atomics.compareExchange(i32, H.ABORT, Abort.NONE, code) === Abort.NONE) {
      Atomics.store(i32, H.ABORT_RANK, this.rank);
    }
    for (let r = 0; r < this.size; r++) {
      Atomics.add(i32, this.bellIdx[r], 1);
      futexWakeAll(this.bellAddr[r]);
    }
    throw new JobAbortedError(message);
  }

  finalize(): void {
    const pending = () => {
      if (this.streams.length !== 0 || this.awaitingFin.size !== 0) return false;
      for (const q of this.outQueues) if (q.length !== 0) return false;
      return true;
    };
    if (!pending()) this.block(pending, null);
    const i32 = this.seg.i32;
    Atomics.store(i32, (rankBlockOffset(this.rank) + R.FINISHED) >> 2, 1);
    Atomics.add(i32, H.FINISHED, 1);
    for (let r = 0; r < this.size; r++) {
      if (r !== this.rank && Atomics.load(i32, this.sleepersIdx[r]) !== 0) { Atomics.add(i32, this.bellIdx[r], 1); futexWakeAll(this.bellAddr[r]); }
    }
  }
}
