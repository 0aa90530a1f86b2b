/**
 * simdeck's own native kernels: the few hot loops of its layers (graphics pooling, coupling
 * maps) written in C, compiled with the system C compiler the first time a process asks for them
 * and cached by content like a deck's kernels ({@link buildKernels}: one compile for N ranks
 * asking at once). Where native kernels are turned off (`SIMDECK_NATIVE=0`), or no compiler
 * builds them, or the library does not load, {@link ownFunctions} returns the reason and the caller keeps
 * its portable loops (JavaScript or WebAssembly), which must compute the same bits.
 *
 * The C sources live beside the TypeScript that uses them (`src/<layer>/<name>.c`, shipped in the
 * package). They are compiled with `-O2 -ffp-contract=off` (no fused multiply-add, so the
 * arithmetic is the portable loops' own, rounding for rounding) and never with `-march=native`:
 * a library cached on a shared file system may be loaded on another node's CPU.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildKernels } from './build.js';
import type { KoffiFunction } from '../system/libc.js';

/** Flags every own kernel is compiled with (see the module comment). */
export const OWN_KERNEL_CFLAGS: readonly string[] = ['-O2', '-ffp-contract=off'];

/** What {@link ownKernelsStatus} found for one source: the library, or why there is none. */
export interface OwnKernelsStatus {
  /** The loaded library, or null. */
  readonly lib: LibraryHandle | null;
  /** The shared library's path when loaded. */
  readonly path?: string;
  /** Why `lib` is null: turned off, source missing, compiler missing or failing, load failed. */
  readonly reason?: string;
}

const loaded = new Map<string, OwnKernelsStatus>();

/** The package's root directory (this file is dist/src/kernels/own.js or src/kernels/own.ts). */
function packageRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

/** The C source of own kernel `name` ('graphics/pool' is src/graphics/pool.c), wherever this module runs from. */
function sourceOf(name: string): string | null {
  for (const base of [packageRoot(), fileURLToPath(new URL('../../', import.meta.url))]) {
    const file = `${base}src/${name}.c`;
    if (existsSync(file)) return file;
  }
  return null;
}

/** False when `SIMDECK_NATIVE` is `0`, `off` or `false`: the portable loops only. */
export function ownKernelsEnabled(): boolean {
  const v = (process.env.SIMDECK_NATIVE ?? '').trim().toLowerCase();
  return !(v === '0' || v === 'off' || v === 'false');
}

/**
 * The library of own kernel source `name` ('graphics/pool' for src/graphics/pool.c) with its
 * finding: compiled on first use (blocking: runs `cc`, or sleeps while another rank compiles the
 * same source), then cached on disk and in this process. Never throws: a failure is returned as
 * `reason`, once per process and source.
 */
export function ownKernelsStatus(name: string): OwnKernelsStatus {
  const known = loaded.get(name);
  if (known !== undefined) return known;
  let status: OwnKernelsStatus;
  const source = sourceOf(name);
  if (!ownKernelsEnabled()) status = { lib: null, reason: 'SIMDECK_NATIVE turns native kernels off' };
  else if (source === null) status = { lib: null, reason: `source src/${name}.c not found beside simdeck` };
  else {
    try {
      const built = buildKernels([source], { cflags: OWN_KERNEL_CFLAGS });
      status = { lib: koffi.load(built.path), path: built.path };
    } catch (e) {
      status = { lib: null, reason: (e as Error).message };
    }
  }
  loaded.set(name, status);
  return status;
}

/**
 * The functions of own kernel source `name` ('graphics/pool' for src/graphics/pool.c) bound from
 * their C declarations (key -> declaration), or why there are none: the library's reason (see
 * {@link ownKernelsStatus}), or a declaration the library does not export. Blocking on first use
 * as ownKernelsStatus; binds anew on each call (callers keep what they get). Never throws.
 */
export function ownFunctions<K extends string>(name: string, declarations: Readonly<Record<K, string>>): { functions: Record<K, KoffiFunction> } | { reason: string } {
  const { lib, reason } = ownKernelsStatus(name);
  if (lib === null) return { reason: reason ?? `src/${name}.c did not load` };
  try {
    const functions = {} as Record<K, KoffiFunction>;
    for (const k of Object.keys(declarations) as K[]) functions[k] = lib.func(declarations[k]);
    return { functions };
  } catch (e) {
    return { reason: `binding src/${name}.c's functions failed: ${(e as Error).message}` };
  }
}
