/**
 * The WebAssembly kernels of a linear coupling exchange (kernels.wat): a sending rank's
 * contraction of its rows along the last dimension (`pairsRow`) and a receiving rank's
 * combination of two contracted rows per target row (`combine2`). They compute the same
 * expression per point as the JavaScript kernels of mapping.ts (w0·a + w1·b, no fused
 * multiply-add), so the same bits, at a fraction of the instructions. The module is compiled on
 * first use, i.e. only when a coupling with linear weights connects; each route gets an
 * instance with a memory of its own, sized once at connect time and never grown (views over it
 * stay valid): the data the kernels read and write lives there, and the transport sends from
 * and receives into views of it.
 */
import { KERNELS_WASM } from './kernels.wasm.js';

interface KernelExports {
  pairsRow(x: number, i0: number, i1: number, w0: number, w1: number, out: number, m: number): void;
  runRow(x: number, w0: number, w1: number, out: number, m: number): void;
  combine2(out: number, a: number, b: number, wa: number, wb: number, len: number): void;
  runCombine(x: number, w0: number, w1: number, y: number, a: number, out: number, wa: number, wb: number, m: number): void;
  runRows4(x: number, xs: number, w: number, ya: number, out: number, os: number, wab: number, m: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** runRows4's fixed layout (kernels.wat): its weights w1 this many bytes after w0. */
export const ROWS4_W1 = 65728;

/** The largest arena: 2 GiB (byte offsets stay positive int32s in the kernels' arithmetic). */
export const MAX_ARENA_BYTES = 2 ** 31 - 65536;

/**
 * Whether the WebAssembly kernels are in use: not when the environment sets
 * SIMDECK_COUPLE_WASM=0 (the JavaScript kernels then run: the fallback and the reference), nor
 * when this runtime cannot compile the module (no WebAssembly SIMD). Compiles the module on the
 * first call that finds it allowed. Local; never throws.
 */
export function wasmKernelsEnabled(): boolean {
  if (process.env.SIMDECK_COUPLE_WASM === '0') return false;
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(KERNELS_WASM, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled !== null;
}

/**
 * A fixed-size WebAssembly memory with the kernels instantiated over it, carved into arrays by
 * a bump allocator. Sizes are declared first (`reserve`), then `tryOpen()` creates the memory once;
 * the arrays handed out afterwards are views that stay valid (the memory never grows).
 */
export class WasmArena {
  private size = 0;
  private memory: WebAssembly.Memory | null = null;
  private kernels: KernelExports | null = null;

  /**
   * Reserves `bytes` (rounded up to 16) and returns their byte offset in the memory to come.
   * Local. Throws RangeError once the arena is open.
   */
  reserve(bytes: number): number {
    if (this.memory !== null) throw new RangeError('WasmArena.reserve: the arena is already open');
    const at = this.size;
    this.size += Math.ceil(bytes / 16) * 16;
    return at;
  }

  /**
   * Creates the memory and the kernels' instance over it; false (and the arena stays closed)
   * when the kernels are not enabled (see wasmKernelsEnabled), the reserved size is over
   * MAX_ARENA_BYTES, or the runtime refuses the memory: the caller then keeps the JavaScript
   * kernels. Local; does not throw.
   */
  tryOpen(): boolean {
    if (this.memory !== null) return true;
    if (!wasmKernelsEnabled() || this.size > MAX_ARENA_BYTES) return false;
    const pages = Math.max(1, Math.ceil(this.size / 65536));
    try {
      const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      this.kernels = new WebAssembly.Instance(compiled!, { m: { mem: memory } }).exports as unknown as KernelExports;
      this.memory = memory;
    } catch {
      return false;
    }
    return true;
  }

  /** The kernels over this arena's memory. Local. Throws RangeError before tryOpen() succeeded. */
  get k(): KernelExports {
    if (this.kernels === null) throw new RangeError('WasmArena: tryOpen() it first');
    return this.kernels;
  }

  /** A Float64Array view of `n` elements at byte offset `at`. Local. Throws RangeError before tryOpen() succeeded. */
  f64(at: number, n: number): Float64Array {
    if (this.memory === null) throw new RangeError('WasmArena: tryOpen() it first');
    return new Float64Array(this.memory.buffer, at, n);
  }

  /** An Int32Array view of `n` elements at byte offset `at`. Local. Throws RangeError before tryOpen() succeeded. */
  i32(at: number, n: number): Int32Array {
    if (this.memory === null) throw new RangeError('WasmArena: tryOpen() it first');
    return new Int32Array(this.memory.buffer, at, n);
  }

  /** Whether `a` is a view of this arena's memory. Local. */
  holds(a: ArrayBufferView): boolean {
    return this.memory !== null && a.buffer === this.memory.buffer;
  }
}
