/**
 * Collectives native to shared memory: one area of the job's segment per communicator (claimed
 * at its first collective, keyed by its context and lowest world rank), in which the ranks meet
 * instead of exchanging chains of messages.
 *
 *   header      STATE/KEY words; per round % K: ARRIVE (arrivals) and the sums of the
 *               arrivals' tags and signatures; GEN (rounds released so far, the word sleepers
 *               wait on); SLEEPERS
 *   rank slots  per local rank: SEQ/SIG (the collective it entered last, SEQ + 1, and the last
 *               8 of them by number, for mismatch checks), a spare word, per round % K: round
 *               tag, signature, length (-1: too large), encoding; then K data buffers of
 *               AREA_DATA_BYTES
 *
 * Every native collective is one *round*, numbered alike on every rank. In round g a rank
 * writes its contribution to its data buffer g % K, counts itself in ARRIVE[g % K], and the last
 * to arrive resets that counter and releases the round (GEN = g + 1) with one futex wake for
 * every sleeper; it also checks that the sums of the arrivals' tags and signatures are p times
 * its own (every rank made this very call). Barrier, allreduce and allgather wait for the release and then read every
 * slot (each rank combines in rank order, so all get the same bits). Buffers rotate, and a
 * rank writes round g only once round g - K + 1 is released (everyone has read round g - K,
 * whose buffer it reuses), so no rank overwrites what another still reads.
 *
 * Broadcasts are not here: measured side by side (docs/benchmarks.md, collectives), a bcast
 * through the area, whose root stamps its slot and wakes the readers, took 1.4 µs on 2 ranks
 * and 33 µs on 4 ranks of 2 cores against 0.7 and 4.7 µs for the message algorithm, whose
 * root sends and goes on; so bcast and bcastInto use messages.
 *
 * Waiting: a bounded spin (long with a core per rank, short when oversubscribed), then sleeping
 * on the awaited word and on the rank's doorbell together (futex_waitv), so point-to-point
 * traffic still wakes it; timed, checking the abort word, peers that finished their decks, and
 * the SEQ/SIG of the others for proof that they called something else. The rank counts as
 * blocked for the launcher's deadlock watch while it sleeps, as in ShmTransport.block.
 */
import { DeadlockError } from '../../errors.js';
import { TYPED_ARRAY_CLASSES } from '../encoding.js';
import type { CollectiveCall, NativeCollectives, NativeOp } from '../transport.js';
import { futexWait2, futexWakeAll } from '../../system/libc.js';
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
const STATE = 0, KEY_CTX = 1, KEY_MIN = 2, KEY_SIZE = 3, ARRIVE = 16, TAG_SUM = 20, SIG_SUM = 24, GEN = 32, SLEEPERS = 48;
/** Rounds whose data buffers, counters and sums are in use at once (indexed by round % K). */
const K = AREA_BUFFERS;
/** Int32 offsets inside a rank slot (ROUND_TAG .. ENC: K words each). */
const SEQ = 0, SIG = 1, ROUND_TAG = 4, ROUND_SIG = 8, LEN = 12, ENC = 16, HISTORY = 20;
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
  private readonly mine: number;
  /** Rounds this rank has entered (the same count on every rank). */
  private round = 0;
  private readonly genAddr: number;
  private readonly bellIdx: number;
  private readonly bellAddr: number;
  private readonly sleepersIdx: number;
  private readonly waitsIdx: number;
  private readonly blockedSinceIdx: number;
  private readonly areaWordIdx: number;
  private readonly areaValueIdx: number;
  private readonly finishedIdx: number[] = [];

  constructor(private readonly host: AreaHost, private readonly base: number, private readonly size: number,
    private readonly rank: number, worldRanks: Int32Array | null) {
    const seg = host.seg;
    this.i32 = seg.i32;
    this.u8 = seg.u8;
    const slotBytes = AREA_SLOT_CTRL + AREA_BUFFERS * AREA_DATA_BYTES;
    for (let r = 0; r < size; r++) {
      this.slots.push(base + ((AREA_HEADER_BYTES + r * slotBytes) >> 2));
      this.finishedIdx.push((rankBlockOffset(worldRanks === null ? r : worldRanks[r]) + R.FINISHED) >> 2);
    }
    this.mine = this.slots[rank];
    this.genAddr = seg.address + (base + GEN) * 4;
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
    i32[h + 1] = call.sig;
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
      const s = this.slots[r];
      const seq = Atomics.load(i32, s + SEQ) - 1;
      const sig = i32[s + SIG];
      if (((seq === call.tag && sig !== call.sig) || (ahead && seq > call.tag)) && (done === null || !done()) && this.mayReport(r)) {
        throw call.mismatch(r, seq, sig);
      }
    }
  }

  disagreement(): { peer: number; tag: number; sig: number } | null {
    const i32 = this.i32;
    for (let k = 0; k < HISTORY_CALLS; k++) {
      const mine = this.mine + HISTORY + 2 * k;
      const seq = Atomics.load(i32, mine) - 1;
      if (seq < 0) continue;
      for (let r = 0; r < this.size; r++) {
        const h = this.slots[r] + HISTORY + 2 * k;
        if (r !== this.rank && Atomics.load(i32, h) - 1 === seq && i32[h + 1] !== i32[mine + 1]) return { peer: r, tag: seq, sig: i32[h + 1] };
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
    this.checkRound(call);
  }

  allreduce(call: CollectiveCall, send: Uint8Array, recv: Uint8Array, encoding: number, op: NativeOp): boolean {
    const cls = TYPED_ARRAY_CLASSES[encoding] as unknown as (new (b: ArrayBuffer, o: number, n: number) => ArrayLike<number> & { [i: number]: number; set(v: ArrayLike<number>): void; BYTES_PER_ELEMENT: number }) | null;
    if (cls === null || cls === undefined || encoding === 3 || encoding === 12 || send.byteLength > AREA_DATA_BYTES) return false;
    const g = this.allRound(call, send, encoding);
    this.checkRound(call);
    if (this.overflowed(g)) return false;
    const half = g % K;
    const per = (cls as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    const n = send.byteLength / per;
    const buffer = this.u8.buffer as ArrayBuffer;
    const view = (r: number) => new cls(buffer, (this.slots[r] + (AREA_SLOT_CTRL >> 2)) * 4 + half * AREA_DATA_BYTES, n);
    const acc = new cls(recv.buffer as ArrayBuffer, recv.byteOffset, n);
    for (let r = 0; r < this.size; r++) {
      const len = this.i32[this.slots[r] + LEN + half];
      if (len !== send.byteLength) throw call.mismatch(r, call.tag, this.i32[this.slots[r] + ROUND_SIG + half]);
    }
    acc.set(view(0));
    for (let r = 1; r < this.size; r++) combine(op, acc, view(r), n);
    return true;
  }

  allgather(call: CollectiveCall, send: Uint8Array, recv: Uint8Array): boolean {
    if (send.byteLength > AREA_DATA_BYTES || recv.byteLength < send.byteLength * this.size) return false;
    const g = this.allRound(call, send, 2);
    this.checkRound(call);
    if (this.overflowed(g)) return false;
    const half = g % K;
    const n = send.byteLength;
    for (let r = 0; r < this.size; r++) {
      const at = (this.slots[r] + (AREA_SLOT_CTRL >> 2)) * 4 + half * AREA_DATA_BYTES;
      if (this.i32[this.slots[r] + LEN + half] !== n) throw call.mismatch(r, call.tag, this.i32[this.slots[r] + ROUND_SIG + half]);
      recv.set(this.u8.subarray(at, at + n), r * n);
    }
    return true;
  }

  // ---------------------------------------------------------------- rounds

  /**
   * Starts this rank's next round g for writing to its buffer g % K: waits until round
   * g - K + 1 is released (everyone has then read round g - K, which used that buffer).
   */
  private enter(call: CollectiveCall): number {
    const g = this.round++;
    const gen = this.base + GEN;
    const need = g - K + 2;
    if (Atomics.load(this.i32, gen) < need) this.waitFor(call, gen, () => Atomics.load(this.i32, gen) >= need);
    return g;
  }

  /** Writes this rank's contribution (null: none) and the round's tag and signature to its half. */
  private publish(call: CollectiveCall, g: number, data: Uint8Array | null, encoding: number): void {
    const half = g % K;
    const i32 = this.i32;
    const slot = this.mine;
    i32[slot + ROUND_TAG + half] = call.tag;
    i32[slot + ROUND_SIG + half] = call.sig;
    i32[slot + ENC + half] = encoding;
    if (data === null) i32[slot + LEN + half] = 0;
    else if (data.byteLength > AREA_DATA_BYTES) i32[slot + LEN + half] = -1;
    else {
      this.u8.set(data, (slot + (AREA_SLOT_CTRL >> 2)) * 4 + half * AREA_DATA_BYTES);
      i32[slot + LEN + half] = data.byteLength;
    }
  }

  /**
   * Counts this rank in round g; the last one releases it, after checking that every rank came
   * with this call. Returns true for the last one.
   */
  private arrive(call: CollectiveCall, g: number): boolean {
    const i32 = this.i32;
    const h = g % K;
    const counter = this.base + ARRIVE + h;
    Atomics.add(i32, this.base + TAG_SUM + h, call.tag);
    Atomics.add(i32, this.base + SIG_SUM + h, call.sig);
    if (Atomics.add(i32, counter, 1) + 1 !== this.size) return false;
    const tags = Atomics.exchange(i32, this.base + TAG_SUM + h, 0);
    const sigs = Atomics.exchange(i32, this.base + SIG_SUM + h, 0);
    Atomics.store(i32, counter, 0);
    Atomics.store(i32, this.base + GEN, g + 1);
    this.wake(this.genAddr);
    if (tags !== Math.imul(this.size, call.tag) || sigs !== Math.imul(this.size, call.sig)) throw this.namedMismatch(call);
    return true;
  }

  /** The mismatch error naming a rank whose call number `call.tag` differs from this one (from the ranks' histories). */
  private namedMismatch(call: CollectiveCall): Error {
    const i32 = this.i32;
    for (let r = 0; r < this.size; r++) {
      const h = this.slots[r] + HISTORY + 2 * (call.tag & (HISTORY_CALLS - 1));
      const seq = Atomics.load(i32, h) - 1;
      if (r !== this.rank && (seq !== call.tag || i32[h + 1] !== call.sig)) return call.mismatch(r, seq === call.tag ? seq : Atomics.load(i32, this.slots[r] + SEQ) - 1, seq === call.tag ? i32[h + 1] : i32[this.slots[r] + SIG]);
    }
    return call.mismatch(this.rank === 0 ? 1 : 0, call.tag, call.sig);
  }

  /** A round in which every rank contributes and waits for all: returns its number. */
  private allRound(call: CollectiveCall, data: Uint8Array | null, encoding: number): number {
    const g = this.enter(call);
    this.publish(call, g, data, encoding);
    if (!this.arrive(call, g)) {
      const gen = this.base + GEN;
      this.waitFor(call, gen, () => Atomics.load(this.i32, gen) > g);
    }
    return g;
  }

  /** After an all-round: every rank must have been in this very call. */
  private checkRound(call: CollectiveCall): void {
    if (call.sig === 0) return; // checking is off
    const half = (this.round - 1) % K;
    const i32 = this.i32;
    for (let r = 0; r < this.size; r++) {
      const s = this.slots[r];
      if (i32[s + ROUND_TAG + half] !== call.tag || i32[s + ROUND_SIG + half] !== call.sig) throw call.mismatch(r, i32[s + ROUND_TAG + half], i32[s + ROUND_SIG + half]);
    }
  }

  /** Whether some rank's contribution to round g did not fit (then every rank takes the message path). */
  private overflowed(g: number): boolean {
    const half = g % K;
    for (let r = 0; r < this.size; r++) if (this.i32[this.slots[r] + LEN + half] < 0) return true;
    return false;
  }

  private addressOf(index: number): number {
    return this.host.seg.address + index * 4;
  }

  /** Wakes every rank sleeping on the word at `address` (one system call), if any sleeps. */
  private wake(address: number): void {
    if (Atomics.load(this.i32, this.base + SLEEPERS) !== 0) futexWakeAll(address);
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
