/**
 * Shared WebAssembly memory for a live plot's images, and the palette-entry kernel that reads
 * them there (entries.wat). The drawing rank pools a live heat map's image into this memory;
 * the render worker, which has the same memory, computes the image's palette entries with
 * WebAssembly SIMD straight from it (no copy): the same entries as the JavaScript loop of
 * heatmapFigure.ts, bit for bit (the same double-precision expression and rule), at about a
 * fifth of its CPU time for a 512 × 512 image (0.30 against 1.48 ms, thread CPU, median of
 * 270, machine loaded). Where WebAssembly SIMD or shared memory is missing, or
 * SIMDECK_GRAPHICS_WASM=0, nothing changes: images are plain shared buffers and the JavaScript
 * loop draws them.
 *
 * Each thread allocates by growing the memory (memory.grow is atomic on a shared memory and
 * returns where the new pages begin), so the two threads never need to agree on who owns what;
 * the memory's first 16 bytes are a random tag by which the worker recognises a view of it (a
 * SharedArrayBuffer posted to a worker arrives as another object over the same bytes).
 */
import { ENTRIES_WASM } from './entries.wasm.js';

interface EntriesExports {
  entries4x4(vals: number, nx: number, ny: number, out: number, stride: number, lo: number, scale: number): void;
}

const PAGE = 65536;
/** Largest size of the memory: 4096 pages, 256 MiB (address space reserved, not memory used). */
const MAX_PAGES = 4096;

let compiled: WebAssembly.Module | null | undefined;

function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = process.env.SIMDECK_GRAPHICS_WASM === '0' ? null : new WebAssembly.Module(Buffer.from(ENTRIES_WASM, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** A shared WebAssembly memory holding live images, and (in the thread that draws) the entry kernel over it. */
export class ImageMemory {
  private readonly tag: Int32Array;
  private kernel: EntriesExports | null = null;
  /** The worker's scratch for one image's entries (bytes at `scratch`), grown when an image needs more. */
  private scratch = 0;
  private scratchBytes = 0;

  private constructor(readonly memory: WebAssembly.Memory) {
    this.tag = new Int32Array(memory.buffer, 0, 4);
  }

  /**
   * A new memory (its first page holds the tag), or null when WebAssembly SIMD or shared
   * WebAssembly memory is not available here, or SIMDECK_GRAPHICS_WASM=0. Local; never throws.
   */
  static create(): ImageMemory | null {
    if (kernelModule() === null) return null;
    try {
      const m = new ImageMemory(new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true }));
      for (let k = 0; k < 4; k++) m.tag[k] = (Math.random() * 2 ** 32) | 0;
      if (m.tag[0] === 0) m.tag[0] = 1;
      return m;
    } catch {
      return null;
    }
  }

  /**
   * The memory another thread created (received in workerData), with the entry kernel
   * instantiated over it, or null when the kernel cannot be instantiated. Local; never throws.
   */
  static attach(memory: WebAssembly.Memory): ImageMemory | null {
    const mod = kernelModule();
    if (mod === null) return null;
    try {
      const m = new ImageMemory(memory);
      m.kernel = new WebAssembly.Instance(mod, { m: { mem: memory } }).exports as unknown as EntriesExports;
      return m;
    } catch {
      return null;
    }
  }

  /** `bytes` of new memory (16-byte aligned: page aligned), or -1 when the memory cannot grow. */
  private grow(bytes: number): number {
    try {
      return this.memory.grow(Math.ceil(bytes / PAGE)) * PAGE;
    } catch {
      return -1;
    }
  }

  /** `bytes` (page-rounded) of this memory: a released block of that size, else new pages; -1 when full. */
  private take(bytes: number): number {
    const size = Math.ceil(bytes / PAGE) * PAGE;
    return this.freed.get(size)?.pop() ?? this.grow(size);
  }

  /** A zeroed Float32Array of `n` elements in this memory (a released block of its size reused), or null when it is full. Local. */
  alloc32(n: number): Float32Array | null {
    return this.zeroed(Float32Array, n);
  }

  /** A zeroed view of `n` elements of a new or released block, or null when the memory is full. */
  private zeroed<T extends Float32Array | Uint8Array>(View: new (b: ArrayBufferLike, at: number, n: number) => T, n: number): T | null {
    const at = this.take(n * (View as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT);
    if (at < 0) return null;
    const v = new View(this.memory.buffer, at, n);
    v.fill(0);
    return v;
  }

  /** Blocks of bytes given back (release), by size, for allocBytes to reuse. */
  private readonly freed = new Map<number, number[]>();

  /**
   * A zeroed Uint8Array of `n` bytes in this memory (a figure's canvas, so the kernel writes the
   * entries straight into it), reusing a released block of the same size; null when the memory
   * is full. Local.
   */
  allocBytes(n: number): Uint8Array | null {
    return this.zeroed(Uint8Array, n);
  }

  /**
   * Gives back a block from allocBytes or alloc32 (a canvas or an image no longer kept: this
   * memory never shrinks, so a block dropped without this is lost); a view of other memory is
   * ignored. The caller must not use it afterwards. Local.
   */
  release(b: ArrayBufferView): void {
    if (b.buffer !== this.memory.buffer && !this.holds(b)) return;
    const size = Math.ceil(b.byteLength / PAGE) * PAGE;
    let list = this.freed.get(size);
    if (list === undefined) { list = []; this.freed.set(size, list); }
    list.push(b.byteOffset);
  }

  /** Whether `values` is a view of this memory (in any thread): its buffer starts with this memory's tag. Local. */
  holds(values: ArrayBufferView): boolean {
    const b = values.buffer;
    if (!(b instanceof SharedArrayBuffer) || b.byteLength < 16 || values.byteOffset + values.byteLength > b.byteLength) return false;
    const t = new Int32Array(b, 0, 4);
    return t[0] === this.tag[0] && t[1] === this.tag[1] && t[2] === this.tag[2] && t[3] === this.tag[3];
  }

  /**
   * The palette entries of a Float32Array image in this memory (values[i * ny + j]) into `out`
   * from `at`, `stride` bytes from a figure row to the next, row r holding j = ny - 1 - r
   * (heatmapFigure's colorEntries, for hi > lo, scale = COLOR_STEPS / (hi - lo)); returns false,
   * writing nothing, when the kernel does not apply (no kernel in this thread, the image not in
   * this memory, nx or ny not a multiple of 4, the memory full). Local.
   */
  entries(values: Float64Array | Float32Array, nx: number, ny: number, lo: number, scale: number, out: Uint8Array, at: number, stride: number): boolean {
    const k = this.kernel;
    if (k === null || !(values instanceof Float32Array) || (nx & 3) !== 0 || (ny & 3) !== 0 || nx * ny === 0 || values.length !== nx * ny || !this.holds(values)) return false;
    // a canvas in this memory (canvasBytes): the entries straight into it
    if (out.buffer === this.memory.buffer || this.holds(out)) {
      k.entries4x4(values.byteOffset, nx, ny, out.byteOffset + at, stride, lo, scale);
      return true;
    }
    const bytes = nx * ny;
    if (this.scratchBytes < bytes) {
      const s = this.grow(bytes);
      if (s < 0) return false;
      this.scratch = s; this.scratchBytes = Math.ceil(bytes / PAGE) * PAGE;
    }
    // the figure's rows of the image, nx bytes apart, then row by row into the canvas
    k.entries4x4(values.byteOffset, nx, ny, this.scratch, nx, lo, scale);
    const rows = new Uint8Array(this.memory.buffer, this.scratch, bytes);
    for (let r = 0, o = at, s = 0; r < ny; r++, o += stride, s += nx) out.set(rows.subarray(s, s + nx), o);
    return true;
  }
}

/** The image memory of this thread's renderer (set by the render worker), used by heatmapFigure's colorEntries. */
let active: ImageMemory | null = null;

/** Makes `m` the memory whose images colorEntries draws with the kernel (the render worker calls it once). Local. */
export function useImageMemory(m: ImageMemory | null): void {
  active = m;
}

/**
 * `n` zeroed bytes for a figure's canvas: in this thread's image memory when there is one (the
 * kernel then writes a live image's entries straight into it), else a plain Uint8Array. Local.
 */
export function canvasBytes(n: number): Uint8Array {
  return active?.allocBytes(n) ?? new Uint8Array(n);
}

/** Gives a canvas from canvasBytes back for reuse (a plain one is left to the garbage collector). Local. */
export function releaseCanvas(b: Uint8Array): void {
  active?.release(b);
}

/** kernelEntries: ImageMemory.entries with this thread's image memory; false when there is none. Local. */
export function kernelEntries(values: Float64Array | Float32Array, nx: number, ny: number, lo: number, scale: number, out: Uint8Array, at: number, stride: number): boolean {
  return active !== null && active.entries(values, nx, ny, lo, scale, out, at, stride);
}
