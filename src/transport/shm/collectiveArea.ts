/**
 * Collectives native to shared memory: one area of the job's segment per communicator (claimed
 * at its first collective, keyed by its context and lowest world rank), in which the ranks meet
 * instead of exchanging chains of messages.
 *
 *   header      STATE/KEY words; SLEEPERS (ranks asleep in this area)
 *   rank slots  per local rank: line 0: SEQ/SIG (the collective it entered last, SEQ + 1);
 *               line 1: the last 8 of them by number (pairs SEQ + 1, SIG), for mismatch checks;
 *               from byte 256, K round lines of 64 bytes (round g uses line g % K):
 *               [g + 1, tag, signature, length (-1: too large), encoding, -, -, -, 32 inline
 *               data bytes]; then K data buffers of AREA_DATA_BYTES for larger contributions
 *
 * Every native collective is one *round*, numbered alike on every rank. In round g a rank
 * writes its contribution (inline when it fits in 32 bytes, else to its data buffer g % K), its
 * call's tag and signature to its round line g % K, and then the line's first word (g + 1);
 * it wakes sleepers of the area, if any, and waits until every other rank's line g % K says
 * g + 1. The mismatch check is then free: the tag and signature of every rank's call sit in
 * the very cache line that told it that rank arrived (each rank compares them with its own
 * call); a small allreduce's operands are in that line too, so 2 ranks meet with one cache line
 * moved each way. Each rank combines in rank order, so all get the same bits.
 *
 * No counter is shared: a rank writes round g only after it has seen every rank arrive in
 * round g - 1 (so every rank has finished reading round g - 2, and K >= 2 lines suffice).
 *
 * Broadcasts are not here: measured side by side (docs/benchmarks.md, collectives), a bcast
 * through the area, whose root stamped its slot and woke the readers, took 1.4 µs on 2 ranks
 * and 33 µs on 4 ranks of 2 cores against 0.7 and 4.7 µs for the message algorithm, whose
 * root sends and goes on; so bcast and bcastInto use messages.
 *
 * Waiting: a bounded spin (long with a core per rank, short when oversubscribed), then sleeping
 * on the first word still awaited and on the rank's doorbell together (futex_waitv), so
 * point-to-point traffic still wakes it; timed, checking the abort word, peers that finished
 * their decks, and the SEQ/SIG of the others for proof that they called something else. The
 * rank counts as blocked for the launcher's deadlock watch while it sleeps, as in
 * ShmTransport.block.
 */
import { DeadlockError } from '../../errors.js';
import { TYPED_ARRAY_CLASSES } from '../encoding.js';
import type { CollectiveCall, NativeCollectives, NativeOp } from '../transport.js';
import { futexWait2, futexWakeAll } from '../../system/libc.js';
import { copyBytes } from '../bytes.js';
import {
  AREA_BUFFERS, AREA_DATA_BYTES, AREA_HEADER_BYTES, AREA_SLOT_CTRL, COLLECTIVE_AREAS, H, R, areaOffset, rankBlockOffset, type Segment,
} from './segment.js';

/** What the area needs from its rank's transport. */
export interface AreaHost {
  readonly seg: Segment;
  /** Polls before sleeping. */
  readonly spinPolls: number;
  /** This process's world rank. */
  readonly worldRank: number;
  /** Makes point-to-point progress (nonblocking collectives and sends in flight go on meanwhile). */
  progress(): void;
  /** The job was aborted: ends this rank as the transport does. */
  aborted(): never;
}

/** Int32 indices (relative to the area) of header words. */
const STATE = 0, KEY_CTX = 1, KEY_MIN = 2, KEY_SIZE = 3, SLEEPERS = 16;
/** Round lines and data buffers per rank (indexed by round % K). */
const K = AREA_BUFFERS;
/** Int32 offsets inside a rank slot: announcements, history, and round line k at LINES + 16 k. */
const SEQ = 0, SIG = 1, HISTORY = 16, LINES = 64;
/** Int32 offsets inside a round line. */
const L_ROUND = 0, L_TAG = 1, L_SIG = 2, L_LEN = 3, L_ENC = 4, L_DATA = 8;
/** Bytes of a contribution kept in the round line itself. */
const INLINE_BYTES = 32;
/** Collectives remembered per rank (pairs of SEQ + 1, SIG from HISTORY on). */
const HISTORY_CALLS = 8;
/** A rank that sees another disagree leaves the report to the lower-ranked one this long. */
const DEFER_MS = 250;
const FREE = 0, CLAIMING = 1, READY = 2;
/** Longest single sleep (bounds how late a rank notices an abort or a finished peer). */
const SLEEP_MS = 50;

/**
 * Claims (or finds) the collective area of the communicator with this context and members
 * (null: the world) for local rank `rank`; null when every area is taken by other
 * communicators (areas are never given back, so then every member finds none).
 */
export function claimArea(host: AreaHost, context: number, worldRanks: Int32Array | null, rank: number): CollectiveArea | null {
  const seg = host.seg;
  const i32 = seg.i32;
  const size = worldRanks === null ? seg.shape.size : worldRanks.length;
  let lowest = 0;
  if (worldRanks !== null) { lowest = worldRanks[0]; for (const w of worldRanks) if (w < lowest) lowest = w; }
  const start = ((context * 31 + lowest) >>> 0) % COLLECTIVE_AREAS;
  for (let k = 0; k < COLLECTIVE_AREAS; k++) {
    const i = (start + k) % COLLECTIVE_AREAS;
    const base = areaOffset(seg.shape, i) >> 2;
    let state = Atomics.compareExchange(i32, base + STATE, FREE, CLAIMING);
    if (state === FREE) {
      i32[base + KEY_CTX] = context;
      i32[base + KEY_MIN] = lowest;
      i32[base + KEY_SIZE] = size;
      Atomics.store(i32, base + STATE, READY);
      return new CollectiveArea(host, base, size, rank, worldRanks);
    }
    while (state === CLAIMING) state = Atomics.load(i32, base + STATE); // a few stores away
    if (i32[base + KEY_CTX] === context && i32[base + KEY_MIN] === lowest && i32[base + KEY_SIZE] === size) {
      return new CollectiveArea(host, base, size, rank, worldRanks);
    }
  }
  return null;
}

/** One rank's handle on its communicator's collective area. */
export class CollectiveArea implements NativeCollectives {
  private readonly i32: Int32Array;
  private readonly u8: Uint8Array;
  /** Int32 index of each local rank's slot. */
  private readonly slots: number[] = [];
  /** Int32 index of each local rank's round line k, at [K * r + k]. */
  private readonly lines: Int32Array;
  /** Byte offset of each local rank's data buffer k, at [K * r + k]. */
  private readonly buffers: number[] = [];
  private readonly mine: number;
  /** Rounds this rank has entered (the same count on every rank). */
  private round = 0;
  private readonly bellIdx: number;
  private readonly bellAddr: number;
  private readonly sleepersIdx: number;
  private readonly waitsIdx: number;
  private readonly blockedSinceIdx: number;
  private readonly areaWordIdx: number;
  private readonly areaValueIdx: number;
  private readonly finishedIdx: number[] = [];
  /** The round and the local rank a wait is for (see arrived). */
  private waitRound = 0;
  private waitPeer = 0;
  private readonly arrived = (): boolean => (Atomics.load(this.i32, this.lines[K * this.waitPeer + this.waitRound % K] + L_ROUND) - (this.waitRound + 1) | 0) >= 0;

  constructor(private readonly host: AreaHost, private readonly base: number, private readonly size: number,
    private readonly rank: number, worldRanks: Int32Array | null) {
    const seg = host.seg;
    this.i32 = seg.i32;
    this.u8 = seg.u8;
    const slotBytes = AREA_SLOT_CTRL + AREA_BUFFERS * AREA_DATA_BYTES;
    this.lines = new Int32Array(size * K);
    for (let r = 0; r < size; r++) {
      const slot = base + ((AREA_HEADER_BYTES + r * slotBytes) >> 2);
      this.slots.push(slot);
      for (let k = 0; k < K; k++) {
        this.lines[K * r + k] = slot + LINES + 16 * k;
        this.buffers.push(slot * 4 + AREA_SLOT_CTRL + k * AREA_DATA_BYTES);
      }
      this.finishedIdx.push((rankBlockOffset(worldRanks === null ? r : worldRanks[r]) + R.FINISHED) >> 2);
    }
    this.mine = this.slots[rank];
    const block = rankBlockOffset(host.worldRank);
    this.bellIdx = (block + R.DOORBELL) >> 2;
    this.bellAddr = seg.address + block + R.DOORBELL;
    this.sleepersIdx = (block + R.SLEEPERS) >> 2;
    this.waitsIdx = (block + R.WAITS) >> 2;
    this.blockedSinceIdx = (block + R.BLOCKED_SINCE) >> 3;
    this.areaWordIdx = (block + R.AREA_WORD) >> 2;
    this.areaValueIdx = (block + R.AREA_VALUE) >> 2;
  }

  announce(call: CollectiveCall): void {
    const i32 = this.i32;
    const h = this.mine + HISTORY + 2 * (call.tag & (HISTORY_CALLS - 1));
    // The history pair is rewritten under a cleared number, so a reader that finds the same
    // number before and after reading the signature has the signature of that call (announced);
    // SIG beside SEQ is only for messages: a reader may see SEQ of one call and SIG of the next.
    Atomics.store(i32, h, 0);
    Atomics.store(i32, h + 1, call.sig);
    Atomics.store(i32, h, call.tag + 1);
    i32[this.mine + SIG] = call.sig;
    Atomics.store(i32, this.mine + SEQ, call.tag + 1); // 0: nothing announced yet
  }

  /**
   * Called while a message-based collective waits: throws its mismatch error when another rank
   * entered a different collective at this point (the lower-ranked of the two reports it).
   */
  check(call: CollectiveCall): void {
    if (call.sig !== 0) this.scan(call, false, null);
  }

  /**
   * Throws the call's mismatch error when another rank announced a different collective at this
   * point (same number, another signature), or with `ahead`, one past it: proof only while this
   * rank waits in a native collective that rank cannot have left without coming through, so
   * only if `done` (looked at after reading) still says false.
   */
  private scan(call: CollectiveCall, ahead: boolean, done: (() => boolean) | null): void {
    const i32 = this.i32;
    for (let r = 0; r < this.size; r++) {
      if (r === this.rank) continue;
      const seq = Atomics.load(i32, this.slots[r] + SEQ) - 1;
      if (seq < call.tag || (seq > call.tag && !ahead)) continue;
      // (a rank that has moved on since may have rewritten its entry: then no proof this time)
      const sig = this.announced(r, seq);
      if (sig === null || (seq === call.tag && sig === call.sig)) continue;
      if ((done === null || !done()) && this.mayReport(r)) throw call.mismatch(r, seq, sig);
    }
  }

  /**
   * The signature rank r announced for its collective number `tag`, or null when its history no
   * longer (or not yet) holds that call. Read between two loads of the entry's number, which
   * announce clears while it rewrites the entry, so it never pairs one call's number with
   * another's signature.
   */
  private announced(r: number, tag: number): number | null {
    const i32 = this.i32, h = this.slots[r] + HISTORY + 2 * (tag & (HISTORY_CALLS - 1));
    if (Atomics.load(i32, h) !== tag + 1) return null;
    const sig = Atomics.load(i32, h + 1);
    return Atomics.load(i32, h) === tag + 1 ? sig : null;
  }

  disagreement(): { peer: number; tag: number; sig: number } | null {
    const i32 = this.i32;
    for (let k = 0; k < HISTORY_CALLS; k++) {
      const mine = this.mine + HISTORY + 2 * k;
      const seq = Atomics.load(i32, mine) - 1;
      if (seq < 0) continue;
      const sig = i32[mine + 1]; // (this rank's own entries change only in its own thread)
      for (let r = 0; r < this.size; r++) {
        if (r === this.rank) continue;
        const theirs = this.announced(r, seq);
        if (theirs !== null && theirs !== sig) return { peer: r, tag: seq, sig: theirs };
      }
    }
    return null;
  }

  /** Whether this rank reports a disagreement with rank r now (the lower rank reports; the higher after DEFER_MS). */
  private mayReport(r: number): boolean {
    if (this.rank < r) return true;
    const now = Date.now();
    if (this.suspectSince === 0) this.suspectSince = now;
    return now - this.suspectSince >= DEFER_MS;
  }

  private suspectSince = 0;

  barrier(call: CollectiveCall): void {
    this.allRound(call, null, 0);
  }

  allreduce(call: CollectiveCall, send: Uint8Array, recv: Uint8Array, encoding: number, op: NativeOp): boolean {
    const cls = TYPED_ARRAY_CLASSES[encoding] as unknown as (new (b: ArrayBuffer, o: number, n: number) => ArrayLike<number> & { [i: number]: number; set(v: ArrayLike<number>): void; BYTES_PER_ELEMENT: number }) | null;
    if (cls === null || cls === undefined || encoding === 3 || encoding === 12 || send.byteLength > AREA_DATA_BYTES) return false;
    const g = this.allRound(call, send, encoding);
    if (this.overflowed(g)) return false;
    const k = g % K;
    const n = send.byteLength;
    for (let r = 0; r < this.size; r++) {
      const line = this.lines[K * r + k];
      if (this.i32[line + L_LEN] !== n) throw call.mismatch(r, call.tag, this.i32[line + L_SIG]);
    }
    if (encoding === 9 && n === 8) {
      // one double (allreduce of a number, the commonest case): no views
      const f64 = this.host.seg.f64;
      let acc = f64[(this.lines[k] + L_DATA) >> 1];
      for (let r = 1; r < this.size; r++) acc = combine1(op, acc, f64[(this.lines[K * r + k] + L_DATA) >> 1]);
      this.out8[0] = acc;
      copyBytes(recv, 0, this.out8b, 0, 8);
      return true;
    }
    const per = (cls as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    const count = n / per;
    const buffer = this.u8.buffer as ArrayBuffer;
    const view = (r: number) => new cls(buffer, this.dataAt(r, k, n), count);
    const acc = new cls(recv.buffer as ArrayBuffer, recv.byteOffset, count);
    acc.set(view(0));
    for (let r = 1; r < this.size; r++) combine(op, acc, view(r), count);
    return true;
  }

  private readonly out8 = new Float64Array(1);
  private readonly out8b = new Uint8Array(this.out8.buffer);

  allgather(call: CollectiveCall, send: Uint8Array, recv: Uint8Array): boolean {
    if (send.byteLength > AREA_DATA_BYTES || recv.byteLength < send.byteLength * this.size) return false;
    const g = this.allRound(call, send, 2);
    if (this.overflowed(g)) return false;
    const k = g % K;
    const n = send.byteLength;
    const u8 = this.u8;
    for (let r = 0; r < this.size; r++) {
      const line = this.lines[K * r + k];
      if (this.i32[line + L_LEN] !== n) throw call.mismatch(r, call.tag, this.i32[line + L_SIG]);
      copyBytes(recv, r * n, u8, this.dataAt(r, k, n), n);
    }
    return true;
  }

  // ---------------------------------------------------------------- rounds

  /** Byte offset of local rank r's contribution of `n` bytes to a round using line/buffer k. */
  private dataAt(r: number, k: number, n: number): number {
    return n <= INLINE_BYTES ? (this.lines[K * r + k] + L_DATA) * 4 : this.buffers[K * r + k];
  }

  /**
   * A round in which every rank contributes and waits for all: writes this rank's contribution
   * (null: none) and call to its round line, waits for every other rank's, and throws the call's
   * mismatch error when one came with another call. Returns the round's number.
   */
  private allRound(call: CollectiveCall, data: Uint8Array | null, encoding: number): number {
    const g = this.round++;
    const k = g % K;
    const i32 = this.i32;
    const line = this.lines[K * this.rank + k];
    i32[line + L_TAG] = call.tag;
    i32[line + L_SIG] = call.sig;
    i32[line + L_ENC] = encoding;
    if (data === null) i32[line + L_LEN] = 0;
    else if (data.byteLength > AREA_DATA_BYTES) i32[line + L_LEN] = -1;
    else {
      const n = data.byteLength;
      copyBytes(this.u8, this.dataAt(this.rank, k, n), data, 0, n);
      i32[line + L_LEN] = n;
    }
    Atomics.store(i32, line + L_ROUND, g + 1);
    if (Atomics.load(i32, this.base + SLEEPERS) !== 0) futexWakeAll(this.host.seg.address + (line + L_ROUND) * 4);
    const want = g + 1;
    for (let r = 0; r < this.size; r++) {
      if (r === this.rank) continue;
      const peer = this.lines[K * r + k];
      if ((Atomics.load(i32, peer + L_ROUND) - want | 0) < 0) {
        this.waitRound = g;
        this.waitPeer = r;
        this.waitFor(call, peer + L_ROUND, this.arrived);
      }
      if (i32[peer + L_TAG] !== call.tag || i32[peer + L_SIG] !== call.sig) throw call.mismatch(r, i32[peer + L_TAG], i32[peer + L_SIG]);
    }
    return g;
  }

  /** Whether some rank's contribution to round g did not fit (then every rank takes the message path). */
  private overflowed(g: number): boolean {
    const k = g % K;
    for (let r = 0; r < this.size; r++) if (this.i32[this.lines[K * r + k] + L_LEN] < 0) return true;
    return false;
  }

  private addressOf(index: number): number {
    return this.host.seg.address + index * 4;
  }

  // ---------------------------------------------------------------- waiting

  /** Blocks until `done()`, which turns true when the word at int32 index `word` changes. */
  private waitFor(call: CollectiveCall, word: number, done: () => boolean): void {
    const i32 = this.i32;
    const host = this.host;
    for (let polls = host.spinPolls; polls > 0; polls--) {
      if (done()) return;
      if ((polls & 255) === 0) {
        host.progress();
        if (i32[H.ABORT] !== 0) host.aborted();
      }
    }
    const f64 = host.seg.f64;
    Atomics.add(i32, this.waitsIdx, 1);
    f64[this.blockedSinceIdx] = Date.now();
    const address = this.addressOf(word);
    const sleepers = this.base + SLEEPERS;
    this.suspectSince = 0;
    try {
      for (;;) {
        Atomics.add(i32, sleepers, 1);
        Atomics.add(i32, this.sleepersIdx, 1);
        const value = Atomics.load(i32, word);
        const bell = Atomics.load(i32, this.bellIdx);
        // For the deadlock watch: a sleeper whose word has changed since is woken, not stuck.
        i32[this.areaValueIdx] = value;
        Atomics.store(i32, this.areaWordIdx, word + 1);
        host.progress();
        if (!done()) futexWait2(address, value, this.bellAddr, bell, SLEEP_MS);
        // (AREA_WORD stays set until the next sleep or the end: woken, this rank is not stuck.)
        Atomics.sub(i32, this.sleepersIdx, 1);
        Atomics.sub(i32, sleepers, 1);
        if (done()) return;
        if (Atomics.load(i32, H.ABORT) !== 0) host.aborted();
        this.diagnose(call, done);
        for (let k = 64; k > 0; k--) if (done()) return;
      }
    } finally {
      Atomics.store(i32, this.areaWordIdx, 0);
      f64[this.blockedSinceIdx] = 0;
    }
  }

  /**
   * While waiting: throws the call's mismatch error when another rank is in a different
   * collective at this point (same number, another signature) or already past it without
   * having come through, and DeadlockError when a rank that has not come finished its deck.
   */
  private diagnose(call: CollectiveCall, done: () => boolean): void {
    if (call.sig !== 0) this.scan(call, true, done);
    call.watch();
    for (let r = 0; r < this.size; r++) {
      if (r !== this.rank && Atomics.load(this.i32, this.finishedIdx[r]) !== 0 && !done()) {
        throw new DeadlockError(`${call.toString()} can never complete: rank ${r} has finished its deck`);
      }
    }
  }
}

/** op(a, b) for one element. */
function combine1(op: NativeOp, a: number, b: number): number {
  switch (op) {
    case 'SUM': return a + b;
    case 'PROD': return a * b;
    case 'MAX': return b > a ? b : a;
    case 'MIN': return b < a ? b : a;
  }
}

/** acc[i] = op(acc[i], x[i]) for the first n elements (acc holds the lower ranks). */
function combine(op: NativeOp, acc: { [i: number]: number }, x: { [i: number]: number }, n: number): void {
  let i = 0;
  switch (op) {
    case 'SUM': for (; i < n; i++) acc[i] += x[i]; return;
    case 'PROD': for (; i < n; i++) acc[i] *= x[i]; return;
    case 'MAX': for (; i < n; i++) if (x[i] > acc[i]) acc[i] = x[i]; return;
    case 'MIN': for (; i < n; i++) if (x[i] < acc[i]) acc[i] = x[i]; return;
  }
}
