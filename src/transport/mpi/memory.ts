/**
 * Memory that MPI may hold on to between calls. Pointer arguments of the hot MPI calls are
 * passed as plain addresses (numbers), which koffi converts faster than typed arrays, so every
 * such address must stay put while MPI can use it:
 *
 * - An ArrayBuffer's backing store never moves in V8. Typed arrays of at most 64 bytes start
 *   on the V8 heap, which does move; koffi materializes them off-heap the first time it takes
 *   their address (checked with `node --expose-gc`: the address of a `Uint8Array(8)` taken
 *   through koffi stays the same across full GCs). The transport still never hands a small
 *   user array to a nonblocking MPI call: small messages are copied into the arena below, and
 *   only messages larger than the eager limit (kilobytes, always off-heap) go zero-copy.
 * - MPI_Request handles live in {@link SlotPool} blocks (off-heap ArrayBuffers) because MPI
 *   writes them in one call and reads them in later ones.
 */

/** A block of off-heap memory with its address and typed views. */
export class Block {
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly address: number;
  constructor(readonly bytes: number, addressOf: (v: ArrayBufferView) => number) {
    this.buffer = new ArrayBuffer(bytes);
    this.u8 = new Uint8Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.address = addressOf(this.u8);
  }
}

/** One request-sized slot: its block and byte offset (8-byte aligned) and address. */
export interface Slot {
  block: Block;
  offset: number;
  address: number;
}

const SLOTS_PER_BLOCK = 512;

/** A growing pool of 8-byte slots for MPI_Request handles. */
export class SlotPool {
  private readonly free: Slot[] = [];
  constructor(private readonly addressOf: (v: ArrayBufferView) => number) {}

  /** A free slot (grows the pool when none is left). */
  take(): Slot {
    let s = this.free.pop();
    if (s === undefined) {
      const block = new Block(SLOTS_PER_BLOCK * 8, this.addressOf);
      for (let k = SLOTS_PER_BLOCK - 1; k > 0; k--) this.free.push({ block, offset: k * 8, address: block.address + k * 8 });
      s = { block, offset: 0, address: block.address };
    }
    return s;
  }

  /** Returns a slot whose request has completed or been freed. */
  give(s: Slot): void {
    this.free.push(s);
  }
}

/**
 * Reusable memory for the copies of buffered (PULL) sends, which MPI reads until the receiver
 * has pulled them: blocks of a power of two of at least 4 KiB, a few kept per size, so a stream
 * of such sends neither allocates nor zero-fills a fresh buffer each time.
 */
export class CopyPool {
  private readonly free = new Map<number, ArrayBuffer[]>();

  /** A copy of `data` in pooled memory (a fresh block when none of its size is free). */
  copy(data: Uint8Array): Uint8Array {
    const size = Math.max(4096, 2 ** Math.ceil(Math.log2(Math.max(1, data.byteLength))));
    const out = new Uint8Array(this.free.get(size)?.pop() ?? new ArrayBuffer(size), 0, data.byteLength);
    out.set(data);
    return out;
  }

  /** Takes back a copy made by {@link copy} once nothing reads it any more. */
  give(copy: Uint8Array): void {
    const block = copy.buffer as ArrayBuffer;
    let list = this.free.get(block.byteLength);
    if (list === undefined) this.free.set(block.byteLength, list = []);
    if (list.length < 4) list.push(block);
  }
}
