/**
 * Receive hints between ranks of one node as words in shared memory (issue 9), instead of HINT
 * envelopes: no MPI message per hint, and a sender sees a hint the moment it is stored.
 *
 * Every rank of a node maps one POSIX shared-memory segment holding, for each of the node's
 * ranks and each world rank, a 32-bit word (each rank's words from a cache line of their own);
 * receiver r's word for source s is
 *
 * - 0: r is not waiting in a sole receive from s;
 * - `k << 2 | WAITING`: r waits in a receive from s into a buffer that can take a buffered
 *   message, having taken k (mod 2^30) messages from s;
 * - the same with CLAIMED added: s saw k equal to the messages it has sent r (none in flight),
 *   and is sending its next buffered message straight from the deck's array instead of a copy.
 *
 * The receiver stores the word when its wait starts and takes it back with a compare-exchange
 * when the wait ends. The sender claims the word with a compare-exchange before it sends, so the
 * two never both win: a hint read just as the wait ends is either claimed first (the receiver
 * then stays in progress until it has pulled the claimed message: microseconds, since the sender
 * sends it right after claiming) or found cleared (the sender copies, and `send` returns at
 * once). A direct send therefore never waits on a receiver that has left.
 *
 * The segment is created by the node's lowest world rank, opened by the others, and its name
 * removed as soon as every rank has it mapped (start-up, collective), so nothing stays in
 * /dev/shm however the job ends; its name carries the creator's pid, so a creator killed in
 * that window leaves a name the launcher's stale sweep removes.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { check } from './errors.js';
import type { MpiLibrary } from './library.js';
import { mapShared, unlinkShared, type Mapping } from '../../system/libc.js';

const WAITING = 1;
const CLAIMED = 2;
const COUNT_MASK = 0x3fffffff;
/** Bytes per rank in the start-up exchange: pid, a random tag, then the node's identity text. */
const RECORD = 128;
const KEY_AT = 8;

/** The word a receiver stores while waiting, having taken `taken` messages from the source. */
function waitingWord(taken: number): number {
  return ((taken & COUNT_MASK) << 2) | WAITING;
}

/** This machine's identity: host name and boot id (containers on one host may share a host name, not a boot). */
function nodeKey(): string {
  let boot = '';
  try { boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(); } catch { /* not Linux */ }
  return `${hostname()}|${boot}`;
}

/** The shared hint words of this rank's node; see the module comment. */
export class NodeHints {
  /** Index of this rank's first word (its word for source s is at mine + s). */
  private readonly mine: number;

  private constructor(
    private readonly words: Int32Array,
    /** Per world rank: index of its first word in `words`, or -1 when it does not share the segment. */
    private readonly base: Int32Array,
    /** The node's segment (kept so the mapping lives as long as the words), or null for memory of the caller's. */
    readonly mapping: Mapping | null,
    /** This rank's world rank: its column among every receiver's words. */
    private readonly self: number,
  ) {
    this.mine = base[self];
  }

  /**
   * Sets up the node's hint words: collective over MPI_COMM_WORLD (two MPI_Allgather and one
   * MPI_Barrier; none in a job of one rank), every rank must call it. `enabled`: this rank takes
   * part (every rank has a core, hints are on); a rank that does not, or fails to map the segment, shares nothing and
   * its peers fall back to HINT envelopes with it. Returns null when this rank shares the
   * segment with no other rank. Throws MpiError when an MPI call fails.
   */
  static open(lib: MpiLibrary, rank: number, size: number, enabled: boolean): NodeHints | null {
    if (size === 1) return null; // no peer (every rank knows it: no collective needed)
    const { fn, h } = lib;
    const BYTE = h.BYTE;
    const INT = h.DATATYPES[6];
    const me = new Uint8Array(RECORD);
    const meI32 = new Int32Array(me.buffer);
    meI32[0] = enabled ? process.pid : 0;
    meI32[1] = (Math.random() * 0x7fffffff) | 0;
    new TextEncoder().encodeInto(nodeKey().slice(0, 100), me.subarray(KEY_AT));
    const all = new Uint8Array(RECORD * size);
    check(lib, fn.Allgather(me, RECORD, BYTE, all, RECORD, BYTE, h.COMM_WORLD), 'MPI_Allgather');
    const all32 = new Int32Array(all.buffer);
    const decoder = new TextDecoder();
    const keyOf = (r: number) => decoder.decode(all.subarray(r * RECORD + KEY_AT, (r + 1) * RECORD)).replace(/\0+$/, '');
    // the node's ranks that take part, in world order; the first creates the segment
    const local: number[] = [];
    if (enabled) {
      const key = keyOf(rank);
      for (let r = 0; r < size; r++) if (all32[r * (RECORD / 4)] !== 0 && keyOf(r) === key) local.push(r);
    }
    const leader = local.length > 1 ? local[0] : -1;
    const name = leader < 0 ? '' : `/simdeck-${all32[leader * (RECORD / 4)]}-hints-${(all32[leader * (RECORD / 4) + 1] >>> 0).toString(36)}`;
    // each receiver's words start on a cache line of their own (no false sharing between receivers)
    const stride = Math.ceil(size / 16) * 16;
    const bytes = Math.ceil((local.length * stride * 4) / 4096) * 4096;
    let mapping: Mapping | null = null;
    let created = false;
    const unlink = () => { if (created) { created = false; unlinkShared(name); } };
    if (leader === rank) {
      try { mapping = mapShared(name, bytes, true); created = true; } catch { mapping = null; }
      if (created) process.once('exit', unlink);
    }
    check(lib, fn.Barrier(h.COMM_WORLD), 'MPI_Barrier');
    if (leader >= 0 && leader !== rank) {
      try { mapping = mapShared(name, bytes, false); } catch { mapping = null; }
    }
    // who has the segment mapped: only those pairs use the words
    const ok = new Int32Array(size);
    check(lib, fn.Allgather(Int32Array.of(mapping !== null ? 1 : 0), 1, INT, ok, 1, INT, h.COMM_WORLD), 'MPI_Allgather');
    unlink(); // every rank of the node has opened it (or failed to)
    process.removeListener('exit', unlink);
    if (mapping === null) return null;
    const base = new Int32Array(size).fill(-1);
    let sharing = 0;
    local.forEach((r, i) => { if (ok[r] !== 0) { base[r] = i * stride; sharing++; } });
    if (sharing < 2) return null;
    return NodeHints.over(new Int32Array(mapping.buffer, 0, local.length * stride), base, rank, mapping);
  }

  /**
   * Hint words over memory the caller provides (`words`: every sharing rank's words, `base`:
   * per world rank the index of its first word or -1) for world rank `self`; {@link open} maps
   * the node's segment and calls it. Never throws.
   */
  static over(words: Int32Array, base: Int32Array, self: number, mapping: Mapping | null = null): NodeHints {
    return new NodeHints(words, base, mapping, self);
  }

  /** How many other ranks share this node's hint words with this rank. */
  peers(): number {
    let n = 0;
    for (let r = 0; r < this.base.length; r++) if (r !== this.self && this.base[r] >= 0) n++;
    return n;
  }

  /** Whether `peer` shares this node's hint words with this rank. */
  shares(peer: number): boolean {
    return this.base[peer] >= 0;
  }

  /**
   * Receiver: a wait in a receive from `source` starts, having taken `taken` messages from it.
   * Returns the word stored, to pass to {@link end}. Never blocks.
   */
  begin(source: number, taken: number): number {
    const w = waitingWord(taken);
    Atomics.store(this.words, this.mine + source, w);
    return w;
  }

  /**
   * Receiver: the wait that stored `word` for `source` ends. True when the source claimed it:
   * a message sent straight from its array is coming, which this rank must pull before it
   * leaves simdeck (the caller makes progress until it has). Never blocks.
   */
  end(source: number, word: number): boolean {
    const i = this.mine + source;
    const now = Atomics.compareExchange(this.words, i, word, 0);
    if (now === word) return false;
    Atomics.store(this.words, i, 0);
    return now === (word | CLAIMED);
  }

  /**
   * Sender: claims `dest`'s hint when it waits in a receive from this rank having taken every
   * one of the `sent` messages this rank sent it. True: the next buffered message may go
   * straight from the deck's array, and `dest` pulls it before its wait ends. Never blocks.
   */
  claim(dest: number, sent: number): boolean {
    const w = waitingWord(sent);
    const i = this.base[dest] + this.self;
    return this.words[i] === w && Atomics.compareExchange(this.words, i, w, w | CLAIMED) === w;
  }
}
