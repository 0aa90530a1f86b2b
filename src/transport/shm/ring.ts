/**
 * One single-producer single-consumer ring of frames inside the job segment. The producer owns
 * `tail`, the consumer owns `head`; both are byte counters modulo 2^32 over a power-of-two data
 * area. Frames are 8-byte aligned: a 32-byte header then the payload.
 *
 *   header words: [kind | encoding << 8, payload bytes, tag, context, id, aux, total lo, total hi]
 *
 * A frame never wraps: when the space left before the end is too small, the producer writes a
 * WRAP frame (or, with under 32 bytes left, nothing: the consumer skips such a tail by itself).
 */
import { copyBytes } from '../bytes.js';
import type { Segment } from './segment.js';

export const FRAME_HEADER = 32;

/** Frame kinds. */
export const Kind = {
  /** A whole small message. */
  EAGER: 1,
  /** Request to send a large message: payload holds the sender's buffer address. */
  RTS: 2,
  /** Receiver → sender: stream the message through the ring (id = send id, aux = receive id). */
  CTS: 3,
  /** A chunk of a streamed message (id = receive id). */
  DATA: 4,
  /** Receiver → sender: the receiver has read the sender's buffer; the send is complete. */
  FIN: 5,
  /** Skip to the start of the ring. */
  WRAP: 6,
} as const;

const CTRL_HEAD = 0; // int32 index offsets within the control block
const CTRL_TAIL = 16;
const CTRL_FULL_WAIT = 24;
/** Frames the producer has written (modulo 2^32): the deadlock watch sees any traffic by it. */
const CTRL_FRAMES = 20;

/** Int32 index of the written-frames counter of the ring whose control block is at `ctrlOffset`. */
export function framesIndex(ctrlOffset: number): number {
  return (ctrlOffset >> 2) + CTRL_FRAMES;
}

/** Int32 indices of the consumer and producer positions of the ring whose control block is at `ctrlOffset`. */
export function positionIndices(ctrlOffset: number): { head: number; tail: number } {
  return { head: (ctrlOffset >> 2) + CTRL_HEAD, tail: (ctrlOffset >> 2) + CTRL_TAIL };
}

/** Rounds up to a multiple of 8. */
export function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** A ring's coordinates in the segment and the producer/consumer operations on it. */
export class Ring {
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  readonly f64: Float64Array;
  /** Int32 indices of the control words. */
  readonly headIdx: number;
  readonly tailIdx: number;
  readonly fullWaitIdx: number;
  readonly framesIdx: number;
  /** Byte offset of the data area and its size (a power of two). */
  readonly data: number;
  readonly bytes: number;
  /** Largest payload one frame can carry. */
  readonly maxPayload: number;
  /**
   * Producer: the consumer's position as last read. Reading `head` costs a cache line moved from
   * the consumer's core on every send; the producer reads it again only when the space this
   * copy leaves seems too small (the consumer only ever moves head forward).
   */
  private headSeen = 0;

  constructor(seg: Segment, ctrlOffset: number, dataOffset: number, bytes: number) {
    this.i32 = seg.i32;
    this.u8 = seg.u8;
    this.f64 = seg.f64;
    this.headIdx = (ctrlOffset >> 2) + CTRL_HEAD;
    this.tailIdx = (ctrlOffset >> 2) + CTRL_TAIL;
    this.fullWaitIdx = (ctrlOffset >> 2) + CTRL_FULL_WAIT;
    this.framesIdx = framesIndex(ctrlOffset);
    this.data = dataOffset;
    this.bytes = bytes;
    this.maxPayload = bytes / 4;
  }

  /**
   * Producer: writes one frame if there is room; returns false (writing nothing) when full.
   * `payload` may be null for header-only frames.
   */
  tryWrite(kind: number, encoding: number, tag: number, context: number, id: number, aux: number,
    total: number, payload: Uint8Array | null, from: number, length: number): boolean {
    const i32 = this.i32;
    const size = this.bytes;
    const tail = i32[this.tailIdx] >>> 0; // only this producer writes tail
    const frame = FRAME_HEADER + pad8(length);
    let pos = tail & (size - 1);
    let skip = 0;
    if (size - pos < frame) skip = size - pos;
    if (size - ((tail - this.headSeen) >>> 0) < skip + frame) {
      this.headSeen = Atomics.load(i32, this.headIdx) >>> 0;
      if (size - ((tail - this.headSeen) >>> 0) < skip + frame) return false;
    }
    if (skip !== 0) {
      if (skip >= FRAME_HEADER) i32[(this.data + pos) >> 2] = Kind.WRAP;
      pos = 0;
    }
    const at = this.data + pos;
    const w = at >> 2;
    i32[w] = kind | (encoding << 8);
    i32[w + 1] = length;
    i32[w + 2] = tag;
    i32[w + 3] = context;
    i32[w + 4] = id;
    i32[w + 5] = aux;
    // (a float modulo and division cost V8 a library call each: only totals of 4 GiB or more need them)
    if (total < 4294967296) {
      i32[w + 6] = total;
      i32[w + 7] = 0;
    } else {
      i32[w + 6] = total % 4294967296;
      i32[w + 7] = Math.floor(total / 4294967296);
    }
    if (length !== 0 && payload !== null) copyBytes(this.u8, at + FRAME_HEADER, payload, from, length);
    i32[this.framesIdx] = (i32[this.framesIdx] + 1) | 0;
    Atomics.store(i32, this.tailIdx, (tail + skip + frame) | 0);
    return true;
  }

  /** Consumer: true when a frame (or a skip) is waiting. */
  hasData(): boolean {
    return Atomics.load(this.i32, this.tailIdx) !== this.i32[this.headIdx];
  }
}
