/**
 * The native kernels of a linear coupling exchange (maps.c, through kernels/own.ts): mapping.ts
 * mapRows in C, reading the source rows where they are and writing the finished rows where they
 * go (koffi passes a typed array as a pointer to its memory, with no copy), so the copies into
 * and out of the WebAssembly kernels' memory go. The same expressions in the same order as the
 * WebAssembly and JavaScript kernels, so the same bits. Loaded on first use, at a coupling's
 * set-up (wasmSender), never at import; null where native kernels are off (`SIMDECK_NATIVE=0`),
 * no C compiler builds them or the library does not load: the WebAssembly kernels then run.
 */
import { ownFunctions } from '../kernels/own.js';

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
  maps = null;
  const found = ownFunctions(MAPS_KERNELS, {
    version: 'int32_t simdeck_maps_version(void)',
    mapRows: 'void simdeck_map_rows(const double *x, int64_t x0, int64_t xs, ' +
      'const int32_t *i0, const int32_t *i1, const double *w0, const double *w1, int32_t len, const int32_t *seg, int32_t nseg, ' +
      'const int32_t *ptr, const int32_t *idx, const double *w, int32_t base, double *ring, int32_t *held, int32_t slots, ' +
      'double *out, int64_t outAt, int32_t j0, int32_t j1)',
    contractRows: 'void simdeck_contract_rows(const double *x, int64_t x0, int64_t xs, ' +
      'const int32_t *i0, const int32_t *i1, const double *w0, const double *w1, int32_t len, const int32_t *seg, int32_t nseg, ' +
      'double *out, int64_t outAt, int32_t rows)',
    combineRows: 'void simdeck_combine_rows(const double *x, const int32_t *ptr, const int32_t *idx, ' +
      'const double *w, int32_t base, int32_t len, double *out, int64_t outAt, int32_t j0, int32_t j1)',
  });
  if ('reason' in found) { why = found.reason; return maps; }
  const { version, mapRows, contractRows, combineRows } = found.functions;
  const v = version() as number;
  if (v !== MAPS_VERSION) { why = `maps.c is version ${v}, simdeck expects ${MAPS_VERSION}`; return maps; }
  maps = { mapRows, contractRows, combineRows, calls: 0 };
  return maps;
}

/** Why {@link nativeMaps} returned null (undefined before it was called or when it loaded). Local; never throws. */
export function nativeMapsReason(): string | undefined {
  return why;
}
