/** Byte copies on the transports' message paths, where most payloads are a few bytes. */

/** Copies `n` bytes of `src` from `from` into `dst` at `at`: a plain loop for up to 64 bytes, where set() costs more than the copy. */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n <= 64) {
    for (let k = 0; k < n; k++) dst[at + k] = src[from + k];
    return;
  }
  dst.set(from === 0 && n === src.length ? src : src.subarray(from, from + n), at);
}

/**
 * A received small message's `length` bytes at `start` of `area` (a ring or receive slot):
 * copied into `into` (the view of its first `length` bytes is returned), or into a fresh array.
 */
export function takePayload(area: Uint8Array, start: number, length: number, into: Uint8Array | null): Uint8Array {
  if (into === null) return area.slice(start, start + length);
  copyBytes(into, 0, area, start, length);
  return length === into.byteLength ? into : into.subarray(0, length);
}
