/**
 * HDF5 through h5wasm, loaded only when a rank first needs it (`await loadHdf5()`, ~0.4 s), so
 * decks that never write HDF5 never pay for it. h5wasm's Node build maps Emscripten's file
 * system straight onto the real one (NODERAWFS): a path given to it is a real path, and what it
 * writes goes through Node's fs to the real file, so fsync and rename from Node act on the very
 * file h5wasm wrote.
 *
 * h5wasm reports few failures by itself (a failed write or open only prints HDF5's error stack),
 * so this module turns HDF5's errors into exceptions (h5wasm's throwing error handler) and
 * records the last failed file-system call, so that a full disk or a forbidden directory becomes
 * a typed IoError naming the file.
 */
import { resolve } from 'node:path';
import type * as H5 from 'h5wasm/node';
import { IoError, fileSystemError } from './errors.js';
import { adviseHugePages, touch } from './memory.js';

/** The h5wasm module once loaded. */
export type Hdf5 = typeof H5;
type H5File = H5.File;
export type { H5File };

let lib: Hdf5 | null = null;
/** h5wasm's Emscripten module: its heap and allocator. */
interface Heap { HEAPU8: Uint8Array; _malloc(n: number): number; _free(p: number): void }
let heap: Heap | null = null;
/** Bytes of h5wasm's heap already grown, advised and faulted in by reserveHeap. */
let reserved = 0;
let loading: Promise<Hdf5> | null = null;
/** The last file-system call that failed inside h5wasm, since the last h5call began. */
let lastFsError: { op: string; code: string; message: string } | null = null;

/** Loads h5wasm (once per process) and makes its errors catchable. Async; throws IoError when h5wasm is not installed. */
export function loadHdf5(): Promise<Hdf5> {
  if (lib !== null) return Promise.resolve(lib);
  loading ??= (async () => {
    let mod: Hdf5;
    try {
      mod = await import('h5wasm/node');
    } catch (e) {
      throw new IoError(`cannot load h5wasm, which simdeck/io writes HDF5 with: ${(e as Error).message}; install it with \`npm install h5wasm\``);
    }
    const m = await mod.ready as unknown as Heap & { FS: Record<string, unknown>; activate_throwing_error_handler(): number };
    heap = m;
    m.activate_throwing_error_handler();
    const fs = m.FS;
    for (const op of ['open', 'write', 'read', 'close', 'llseek', 'truncate', 'ftruncate', 'mkdir', 'unlink', 'rename']) {
      const original = fs[op];
      if (typeof original !== 'function') continue;
      fs[op] = function (this: unknown, ...args: unknown[]) {
        try {
          return (original as (...a: unknown[]) => unknown).apply(this, args);
        } catch (e) {
          const err = e as { code?: string; message?: string };
          lastFsError = { op, code: err.code ?? 'EIO', message: err.message ?? String(e) };
          throw e;
        }
      };
    }
    lib = mod;
    return mod;
  })();
  return loading;
}

/** The loaded h5wasm; throws IoError when loadHdf5() has not completed on this rank. */
export function hdf5(): Hdf5 {
  if (lib === null) throw new IoError('HDF5 is not loaded on this rank yet: await loadHdf5() (startOutput does it) before writing or reading files');
  return lib;
}

/**
 * Makes sure h5wasm's heap has `bytes` free in one piece, already faulted in: h5wasm copies a
 * dataset's data into its heap before HDF5 writes it, and a heap that must grow for it first
 * faults in fresh pages (on this project's VMs that cost more than the write itself: a 2048²
 * float64 field took 750-790 ms the first two times, 30-60 ms once the heap was warm). Grows the
 * heap once (huge pages advised), touches it and frees it for h5wasm's next allocations; later
 * calls with no more bytes cost nothing. Blocking; never throws (a failed allocation is left to
 * h5wasm to report when it writes).
 */
export function reserveHeap(bytes: number): void {
  if (heap === null || bytes <= reserved) return;
  const p = heap._malloc(bytes);
  if (p === 0) return;
  try {
    const view = heap.HEAPU8.subarray(p, p + bytes);   // HEAPU8 after the growth
    adviseHugePages(view);
    touch(view);
    reserved = bytes;
  } finally {
    heap._free(p);
  }
}

/**
 * Runs `fn` (h5wasm calls on `path`) and turns any failure into a typed IoError: DiskFullError,
 * NotWritableError or MissingFileError when a file-system call failed, IoError carrying HDF5's
 * innermost message otherwise. A file-system failure HDF5 did not report also throws.
 */
export function h5call<T>(what: string, path: string, fn: () => T, hint = ''): T {
  lastFsError = null;
  let value: T;
  try {
    value = fn();
  } catch (e) {
    throw toIoError(e, what, path, hint);
  }
  if (lastFsError !== null && (lastFsError as { op: string }).op === 'write') throw toIoError(null, what, path, hint);
  return value;
}

function toIoError(e: unknown, what: string, path: string, hint: string): IoError {
  if (e instanceof IoError) return e;
  const fsErr = lastFsError;
  lastFsError = null;
  if (fsErr !== null) return fileSystemError(fsErr.code, what, path, fsErr.message, hint);
  const text = e instanceof Error ? e.message : String(e);
  // HDF5's stack lists the outermost call first; its last "error message = '...'" or last
  // frame says what actually failed.
  const errno = [...text.matchAll(/error message = '([^']*)'/g)].pop()?.[1];
  const frames = [...text.matchAll(/#\d+: \S+ line \d+ in ([^\n]*)/g)].map((m) => m[1]);
  const detail = errno ?? frames.pop() ?? text.split('\n').find((l) => l.trim() !== '') ?? 'unknown HDF5 error';
  return new IoError(`${what} ${path}: HDF5 failed: ${detail.trim()}${hint ? `; ${hint}` : ''}`, path);
}

/** Opens an HDF5 file with h5wasm: 'r' read, 'a' read/write, 'w' create or truncate; errors name `shown`. Blocking; throws a typed IoError. */
export function openH5(path: string, mode: 'r' | 'a' | 'w', hint = '', shown = path): H5File {
  const abs = resolve(path);
  const h5 = hdf5();
  const file = h5call(mode === 'r' ? 'opening' : 'writing', shown, () => new h5.File(abs, mode), hint);
  if ((file as unknown as { file_id: bigint }).file_id < 0n) {
    throw new IoError(`${mode === 'r' ? 'opening' : 'writing'} ${shown}: HDF5 could not open it${hint ? `; ${hint}` : ''}`, shown);
  }
  return file;
}
