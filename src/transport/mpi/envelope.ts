/**
 * Envelopes of the MPI transport: every message starts as one MPI_BYTE message on the envelope
 * communicator, a {@link HEADER}-byte header followed, for payloads up to {@link EAGER_PAYLOAD}
 * bytes, by the payload itself. A few standing MPI_Irecv(ANY_SOURCE, ANY_TAG) take every
 * envelope, in the order MPI matched them; simdeck's own matching (matching.ts) does the rest.
 */
import { copyBytes } from '../bytes.js';
import { errorString, MpiError } from './errors.js';
import type { MpiLibrary } from './library.js';
import { Block } from './memory.js';

/** Header bytes in front of every envelope (10 int32 words). */
export const HEADER = 40;
/**
 * Largest payload sent inside its envelope. Header plus payload stay under Open MPI's
 * shared-memory eager limit (4 KiB less its own header), so MPI_Send never takes MPI's
 * rendezvous path for an envelope.
 */
export const EAGER_PAYLOAD = 4000 - HEADER;
export const ENVELOPE_MAX = HEADER + EAGER_PAYLOAD;
/** Standing receives on the envelope communicator. */
export const RECV_SLOTS = 4;
const SLOT_STRIDE = 64 + ((ENVELOPE_MAX + 63) & ~63);
/**
 * Envelope kinds. Data (one credit each): EAGER (payload inside), PULL (a buffered message the
 * receiver pulls at once from the sender's copy), RTS (a large message, moved once a receive
 * matches). Control (no credit): CREDIT, BACKLOG, FIN; deadlock detection: PROBE, REPORT,
 * DEADLOCK, and the receive HINT (not counted as traffic: see deadlockProbe.ts).
 */
export const EAGER = 1;
export const PULL = 2;
export const RTS = 3;
export const CREDIT = 4;
export const BACKLOG = 5;
export const FIN = 6;
export const PROBE = 7;
export const REPORT = 8;
export const DEADLOCK = 9;
/**
 * A receive hint (control, not traffic): the sender waits in a receive from the envelope's
 * receiver, having taken W_CONTEXT envelopes from it; see MpiTransport.block.
 */
export const HINT = 10;

/** Header words. */
export const W_KIND = 0; // kind | encoding << 8
export const W_CONTEXT = 1;
export const W_TAG = 2;
export const W_SIGNATURE = 3;
export const W_BYTES_LO = 4;
export const W_BYTES_HI = 5;
export const W_SEQ = 6;
export const W_BEHIND = 7; // messages of the same context queued behind this one at the sender
export const W_CREDITS = 8; // credits given back to the receiver of this envelope

/** A standing receive on the envelope communicator. */
export interface RecvSlot {
  req: number;
  status: number;
  /** Byte offset of the envelope in the arena. */
  at: number;
  data: number;
  /** int32 index of MPI_SOURCE in the arena. */
  sourceIdx: number;
}

/** The fields of an envelope's header, as {@link EnvelopeChannel.send} writes them. */
export interface HeaderFields {
  kind: number;
  encoding: number;
  context: number;
  tag: number;
  signature: number;
  bytes: number;
  seq: number;
  behind: number;
  credits: number;
}

/** The envelope communicator of one rank: its standing receives and its send area. */
export class EnvelopeChannel {
  /** The arena: MPI_Test's flag (int32 0) and status, the send area, the standing receives' envelopes. */
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly flagAddr: number;
  readonly statusAddr: number;
  private readonly arena: Block;
  private readonly sendAt = 256;
  private readonly sendAddr: number;
  /**
   * The standing receives, posted and consumed in cyclic order: the posted ones are
   * `slots[head .. head + live)` (MPI matches them in that order); the others wait to be posted
   * again. (Persistent requests, MPI_Recv_init + MPI_Start, measured no faster than MPI_Irecv
   * at 8 bytes on either library, so each post is a plain MPI_Irecv.)
   */
  private readonly slots: RecvSlot[] = [];
  private head = 0;
  private live = 0;
  private readonly fn: MpiLibrary['fn'];
  private readonly BYTE: number;
  private readonly ANY_SRC: number;

  constructor(private readonly lib: MpiLibrary, private readonly env: number) {
    this.fn = lib.fn;
    this.BYTE = lib.h.BYTE;
    this.ANY_SRC = lib.abi.ANY_SOURCE;
    this.arena = new Block(256 + SLOT_STRIDE * (RECV_SLOTS + 1), lib.addressOf);
    this.u8 = this.arena.u8;
    this.i32 = this.arena.i32;
    this.flagAddr = this.arena.address;
    this.statusAddr = this.arena.address + 64;
    this.sendAddr = this.arena.address + this.sendAt;
    for (let k = 0; k < RECV_SLOTS; k++) {
      const base = 256 + SLOT_STRIDE * (k + 1);
      this.slots.push({
        req: this.arena.address + base, status: this.arena.address + base + 16,
        at: base + 64, data: this.arena.address + base + 64, sourceIdx: (base + 16 + lib.abi.status.source) >> 2,
      });
    }
    this.repost();
  }

  private fail(what: string, rc: number): never {
    throw new MpiError(`${what} failed: ${errorString(this.lib, rc)}`, rc);
  }

  /** Posts every consumed standing receive again (behind those still posted). */
  repost(): void {
    const n = RECV_SLOTS;
    while (this.live < n) {
      const s = this.slots[(this.head + this.live) % n];
      const rc = this.fn.Irecv(s.data, ENVELOPE_MAX, this.BYTE, this.ANY_SRC, -1, this.env, s.req);
      if (rc !== 0) this.fail('MPI_Irecv', rc);
      this.live++;
    }
  }

  /** The oldest standing receive if it has completed (its envelope is then at `slot.at`), else null. */
  testHead(): RecvSlot | null {
    if (this.live !== RECV_SLOTS) this.repost();
    const s = this.slots[this.head];
    const rc = this.fn.Test(s.req, this.flagAddr, s.status);
    if (rc !== 0) this.fail('MPI_Test', rc);
    return this.i32[0] !== 0 ? s : null;
  }

  /** Marks the oldest standing receive consumed; it is started again at the next poll. */
  consumeHead(): void {
    this.head = this.head + 1 === RECV_SLOTS ? 0 : this.head + 1;
    this.live--;
  }

  /** Writes an envelope (header and, when given, its eager payload) and sends it with MPI_Send (never waits for the receiver). Throws MpiError. */
  send(dest: number, h: HeaderFields, payload: Uint8Array | null): void {
    const i32 = this.i32;
    const w = this.sendAt >> 2;
    i32[w + W_KIND] = h.kind | (h.encoding << 8);
    i32[w + W_CONTEXT] = h.context;
    i32[w + W_TAG] = h.tag;
    i32[w + W_SIGNATURE] = h.signature;
    i32[w + W_BYTES_LO] = h.bytes % 4294967296;
    i32[w + W_BYTES_HI] = Math.floor(h.bytes / 4294967296);
    i32[w + W_SEQ] = h.seq;
    i32[w + W_BEHIND] = h.behind;
    i32[w + W_CREDITS] = h.credits;
    const n = payload === null ? 0 : payload.byteLength;
    if (n !== 0) copyBytes(this.u8, this.sendAt + HEADER, payload!, 0, n);
    const rc = this.fn.Send(this.sendAddr, HEADER + n, this.BYTE, dest, 0, this.env);
    if (rc !== 0) this.fail(`MPI_Send to rank ${dest}`, rc);
  }

  /** Cancels the standing receives (at finalize, once every envelope addressed here is taken). */
  cancel(): void {
    for (let k = 0; k < RECV_SLOTS; k++) {
      const slot = this.slots[(this.head + k) % RECV_SLOTS];
      if (k < this.live) {
        this.fn.Cancel(slot.req);
        this.fn.Wait(slot.req, this.statusAddr);
      }
    }
    this.live = 0;
  }
}
