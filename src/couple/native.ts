/**
 * The native kernels of a linear coupling exchange (maps.c, through kernels/own.ts): mapping.ts
 * mapRows in C, reading the source rows where they are and writing the finished rows where they
 * go (koffi passes a typed array as a pointer to its memory, with no copy), so the copies into
 * and out of the WebAssembly kernels' memory go. The same expressions in the same order as the
 * WebAssembly and JavaScript kernels, so the same bits. Loaded on first use, at a coupling's
 * set-up (wasmSender), never at import; null where native kernels are off (`SIMDECK_NATIVE=0`),
 * no C compiler builds them or the library does not load: the WebAssembly kernels then run.
 */
import { ownKernelsStatus } from '../kernels/own.js';

/** The own-kernel name of maps.c. */
export const MAPS_KERNELS = 'couple/maps';

/** maps.c's `simdeck_maps_version()` this module was written for. */
const MAPS_VERSION = 3;

/** @internal The loaded native kernels of the coupling maps. */
export interface NativeMaps {
  /** maps.c simdeck_map_rows (see there for the arguments). */
  mapRows: (...args: unknown[]) => unknown;
  /** maps.c simdeck_contract_rows (see there for the arguments). */
  contractRows: (...args: unknown[]) => unknown;
  /** maps.c simdeck_combine_rows (see there for the arguments). */
  combineRows: (...args: unknown[]) => unknown;
  /** How many times mapRows, contractRows or combineRows ran so far in this process (tests check the native path is taken). */
  calls: number;
}

let maps: NativeMaps | null | undefined;
let why: string | undefined;

/**
 * The native map kernels, compiled and loaded on the first call (blocking: may run the C
 * compiler, or wait for another rank compiling the same source), or null (see
 * {@link nativeMapsReason}). Local; never throws.
 */
export function nativeMaps(): NativeMaps | null {
  if (maps !== undefined) return maps;
  const status = ownKernelsStatus(MAPS_KERNELS);
  maps = null;
  if (status.lib === null) { why = status.reason; return maps; }
  try {
    const version = status.lib.func('int32_t simdeck_maps_version(void)')() as number;
    if (version !== MAPS_VERSION) { why = `maps.c is version ${version}, simdeck expects ${MAPS_VERSION}`; return maps; }
    const mapRows: NativeMaps['mapRows'] = status.lib.func('void simdeck_map_rows(const double *x, int64_t x0, int64_t xs, ' +
      'const int32_t *i0, const int32_t *i1, const double *w0, const double *w1, int32_t len, const int32_t *seg, int32_t nseg, ' +
      'const int32_t *ptr, const int32_t *idx, const double *w, int32_t base, double *ring, int32_t *held, int32_t slots, ' +
      'double *out, int64_t outAt, int32_t j0, int32_t j1)');
    const contractRows: NativeMaps['contractRows'] = status.lib.func('void simdeck_contract_rows(const double *x, int64_t x0, int64_t xs, ' +
      'const int32_t *i0, const int32_t *i1, const double *w0, const double *w1, int32_t len, const int32_t *seg, int32_t nseg, ' +
      'double *out, int64_t outAt, int32_t rows)');
    const combineRows: NativeMaps['combineRows'] = status.lib.func('void simdeck_combine_rows(const double *x, const int32_t *ptr, const int32_t *idx, ' +
      'const double *w, int32_t base, int32_t len, double *out, int64_t outAt, int32_t j0, int32_t j1)');
    maps = { mapRows, contractRows, combineRows, calls: 0 };
  } catch (e) {
    why = `loading maps.c's functions failed: ${(e as Error).message}`;
  }
  return maps;
}

/** Why {@link nativeMaps} returned null (undefined before it was called or when it loaded). Local; never throws. */
export function nativeMapsReason(): string | undefined {
  return why;
}
