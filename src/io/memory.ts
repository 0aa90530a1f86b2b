/**
 * Large buffers that fault in fast. A dump moves whole fields through buffers of tens of MiB
 * (the workers' send buffers, the helper's receive and assembly buffers, HDF5's heap); the first
 * touch of each fresh 4 KiB page costs a page fault, and on some virtual machines a fault is
 * slow: on the 2-core Firecracker VMs this project runs on, first-touching 32 MiB took 170-200
 * ms in Node, against 3-55 ms when the kernel is asked for transparent huge pages
 * (`madvise(MADV_HUGEPAGE)`, honoured when /sys/kernel/mm/transparent_hugepage/enabled is
 * `madvise` or `always`) — 512 times fewer faults. So every large buffer of simdeck/io is made
 * here: advised before its first touch, touched once, and then kept and reused by its owner.
 *
 * Where madvise is unavailable (not Linux, koffi missing, a kernel without THP) the buffers are
 * plain typed arrays: the advice only changes speed, never contents. Usable from any thread
 * (nothing here joins the job).
 */
import type { TypedArray } from '../comm/collectives.js';
import { addressOf, madvise } from '../system/libc.js';
import { newArray } from './layout.js';

/** Buffers smaller than this are not worth a system call. */
const LARGE = 4 << 20;
const HUGE_PAGE = 2 << 20;
const MADV_HUGEPAGE = 14;

/**
 * Asks the kernel to back the 2 MiB-aligned part of `view`'s bytes with huge pages; call it
 * before the bytes are first touched. Local; returns whether the advice was taken; never throws.
 */
export function adviseHugePages(view: ArrayBufferView): boolean {
  if (view.byteLength < LARGE || process.platform !== 'linux') return false;
  try {
    const at = addressOf(view);
    const from = Math.ceil(at / HUGE_PAGE) * HUGE_PAGE, to = Math.floor((at + view.byteLength) / HUGE_PAGE) * HUGE_PAGE;
    return to > from && madvise(from, to - from, MADV_HUGEPAGE);
  } catch {
    return false;
  }
}

/**
 * A new zeroed typed array of class `type` (by name) with `n` elements, huge pages advised and
 * every page already faulted in (so the first real use runs at memory speed). Blocking: costs
 * the faults once. Throws ArgumentError for a class simdeck/io does not store.
 */
export function largeArray(type: string, n: number): TypedArray {
  const a = untouchedArray(type, n);
  if (a.byteLength >= LARGE) touch(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return a;
}

/**
 * A new zeroed typed array of class `type` (by name) with `n` elements, huge pages advised but
 * no page faulted in yet: its owner touches it (touch) a piece at a time when it has nothing
 * better to do, or lets its first real use fault it in. Local. Throws ArgumentError for a
 * class simdeck/io does not store.
 */
export function untouchedArray(type: string, n: number): TypedArray {
  const a = newArray(type, n);
  if (a.byteLength >= LARGE) adviseHugePages(a);
  return a;
}

/** Writes one zero per 4 KiB page: faults every page in without changing the (zeroed) contents. */
export function touch(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 0;
  if (bytes.length > 0) bytes[bytes.length - 1] = 0;
}
