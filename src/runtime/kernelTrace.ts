/**
 * Remembers, in memory the launcher can read after a crash, which native kernel this rank
 * entered last. When a kernel segfaults, the launcher names it in the failure report.
 *
 * Cost: one reference comparison per kernel call; the name is copied only when it changes.
 */

const SLOT_BYTES = 64;
let slot: Uint8Array | null = null;
let last: Uint8Array | null = null;

/** Pre-encodes a kernel name into a token for {@link enterKernel}. Never throws. */
export function kernelToken(name: string): Uint8Array {
  const token = new Uint8Array(SLOT_BYTES);
  const bytes = new TextEncoder().encode(name).subarray(0, SLOT_BYTES - 1);
  token.set(bytes);
  return token;
}

/** Records that this rank is entering the kernel of `token`. Non-blocking, never throws. */
export function enterKernel(token: Uint8Array): void {
  if (token === last) return;
  last = token;
  if (slot !== null) slot.set(token);
}

/** Runtime use: points the trace at this rank's slot in the job's shared memory. */
export function attachKernelTraceSlot(view: Uint8Array): void {
  if (view.byteLength < SLOT_BYTES) throw new RangeError('kernel trace slot too small');
  slot = view.subarray(0, SLOT_BYTES);
  if (last !== null) slot.set(last);
}

/** Decodes a slot written by {@link enterKernel}; '' when no kernel was entered. */
export function readKernelTraceSlot(view: Uint8Array): string {
  const bytes = view.subarray(0, SLOT_BYTES);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end < 0 ? SLOT_BYTES : end));
}
