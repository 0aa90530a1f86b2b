/**
 * The few libc calls simdeck needs, bound through koffi: POSIX shared memory, the futex system
 * call, single-copy reads from another process (process_vm_readv), prctl, madvise, posix_fadvise,
 * a thread's CPU clock and scheduling policy, and the address of a typed array's bytes. Used by the shared-memory transport, the launcher, rank
 * start-up, the farm's children and io's buffers. It imports nothing of simdeck, so a thread
 * that must never join the job (io's writing thread) may use it.
 *
 * Everything is bound lazily on first use so that importing simdeck costs nothing on machines
 * or transports that never touch shared memory.
 */
import koffi, { type LibraryHandle } from 'koffi';

/** A bound C function as koffi returns it. */
export type KoffiFunction = ReturnType<LibraryHandle['func']>;

const O_RDWR = 0o2;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const PROT_READ_WRITE = 3;
const MAP_SHARED = 1;
/** System call numbers differ by architecture (x86-64, arm64). */
const SYSCALLS: Record<string, { futex: number; vmreadv: number; vmwritev: number; waitv: number; gettid: number; setattr: number }> = {
  x64: { futex: 202, vmreadv: 310, vmwritev: 311, waitv: 449, gettid: 186, setattr: 314 },
  arm64: { futex: 98, vmreadv: 270, vmwritev: 271, waitv: 449, gettid: 178, setattr: 274 },
};
const numbers = SYSCALLS[process.arch];
const SYS_FUTEX = numbers?.futex ?? -1;
const SYS_PROCESS_VM_READV = numbers?.vmreadv ?? -1;
const SYS_PROCESS_VM_WRITEV = numbers?.vmwritev ?? -1;
const SYS_FUTEX_WAITV = numbers?.waitv ?? -1;
/** futex_waitv flag: a 32-bit futex word, shared between processes (no FUTEX2_PRIVATE). */
const FUTEX2_SIZE_U32 = 2;
const CLOCK_MONOTONIC = 1;
const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const PR_SET_PDEATHSIG = 1;
const PR_SET_PTRACER = 0x59616d61;
const PR_SET_PTRACER_ANY = -1;

interface Bindings {
  shm_open: (name: string, flags: number, mode: number) => number;
  shm_unlink: (name: string) => number;
  ftruncate: (fd: number, len: number) => number;
  close: (fd: number) => number;
  mmap: (addr: null, len: number, prot: number, flags: number, fd: number, off: number) => unknown;
  munmap: (addr: unknown, len: number) => number;
  futex: (nr: number, addr: number, op: number, val: number, ts: BigInt64Array | null, a2: number, v3: number) => number;
  waitv: (nr: number, waiters: BigUint64Array, n: number, flags: number, timeout: BigInt64Array, clock: number) => number;
  processVm: (nr: number, pid: number, local: BigUint64Array, lcnt: number, remote: BigUint64Array, rcnt: number, flags: number) => number;
  prctl: (option: number, arg2: number, a3: number, a4: number, a5: number) => number;
  addressOf: (dst: ArrayBufferView, src: ArrayBufferView, n: number) => number | bigint;
  madvise: (addr: number, len: number, advice: number) => number;
  getppid: () => number;
  clock_gettime: (id: number, ts: BigInt64Array) => number;
  sched_setscheduler: (pid: number, policy: number, param: Int32Array) => number;
  posix_fadvise: (fd: number, offset: number, length: number, advice: number) => number;
  sched_getaffinity: (pid: number, size: number, mask: Uint8Array) => number;
  sched_setaffinity: (pid: number, size: number, mask: Uint8Array) => number;
  gettid: (nr: number) => number;
  schedSetattr: (nr: number, tid: number, attr: Int32Array, flags: number) => number;
}

let bound: Bindings | null = null;
let library: LibraryHandle | null = null;

/** The C library, loaded once per process. Throws if it cannot be loaded. */
function libcLibrary(): LibraryHandle {
  library ??= koffi.load('libc.so.6');
  return library;
}

/**
 * A function of the C library bound from its C declaration, e.g. `'int sched_yield()'`, for the
 * few calls outside this module (the MPI transport's output links, pidfd hand-over). Not
 * memoized: bind once and keep the function. Throws if libc has no such function.
 */
export function libcFunction(declaration: string): KoffiFunction {
  return libcLibrary().func(declaration);
}

function libc(): Bindings {
  if (bound !== null) return bound;
  if (numbers === undefined || process.platform !== 'linux') {
    throw new Error(`the shared-memory transport needs Linux on x86-64 or arm64; this is ${process.platform} on ${process.arch}`);
  }
  const lib = libcLibrary();
  bound = {
    shm_open: lib.func('int shm_open(const char *name, int oflag, uint32_t mode)'),
    shm_unlink: lib.func('int shm_unlink(const char *name)'),
    ftruncate: lib.func('int ftruncate(int fd, int64_t length)'),
    close: lib.func('int close(int fd)'),
    mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)'),
    munmap: lib.func('int munmap(void *addr, size_t length)'),
    // Fixed-argument declarations of the variadic syscall(): 2.3x cheaper through koffi.
    futex: lib.func('long syscall(long nr, uintptr_t addr, int op, int val, void *timeout, uintptr_t addr2, int val3)'),
    waitv: lib.func('long syscall(long nr, void *waiters, unsigned int n, unsigned int flags, void *timeout, int clockid)'),
    processVm: lib.func('long syscall(long nr, int pid, void *local, unsigned long lcnt, void *remote, unsigned long rcnt, unsigned long flags)'),
    prctl: lib.func('int prctl(int option, long arg2, long arg3, long arg4, long arg5)'),
    addressOf: lib.func('uintptr_t memmove(void *dst, void *src, size_t n)'),
    madvise: lib.func('int madvise(uintptr_t addr, size_t len, int advice)'),
    getppid: lib.func('int getppid()'),
    clock_gettime: lib.func('int clock_gettime(int clockid, _Out_ int64_t *ts)'),
    sched_setscheduler: lib.func('int sched_setscheduler(int pid, int policy, const int *param)'),
    posix_fadvise: lib.func('int posix_fadvise(int fd, int64_t offset, int64_t len, int advice)'),
    sched_getaffinity: lib.func('int sched_getaffinity(int pid, size_t size, _Out_ uint8_t *mask)'),
    sched_setaffinity: lib.func('int sched_setaffinity(int pid, size_t size, const uint8_t *mask)'),
    gettid: lib.func('long syscall(long nr)'),
    schedSetattr: lib.func('long syscall(long nr, int pid, void *attr, unsigned int flags)'),
  };
  return bound;
}

/** The errno of the last failed libc call on this thread. */
export function errno(): number {
  return koffi.errno();
}

/** A mapped shared-memory region: its bytes as an ArrayBuffer and its base address. */
export interface Mapping {
  buffer: ArrayBuffer;
  address: number;
  bytes: number;
  raw: unknown;
}

/**
 * Creates (exclusive) or opens the POSIX shared-memory object `name` ("/simdeck-..."), sizes it
 * when creating, and maps it read-write shared. Throws an Error with errno on failure.
 */
export function mapShared(name: string, bytes: number, create: boolean): Mapping {
  const c = libc();
  const fd = c.shm_open(name, create ? O_RDWR | O_CREAT | O_EXCL : O_RDWR, 0o600);
  if (fd < 0) throw new Error(`shm_open(${name}) failed, errno ${errno()}`);
  try {
    if (create && c.ftruncate(fd, bytes) !== 0) throw new Error(`ftruncate(${name}, ${bytes}) failed, errno ${errno()}`);
    const raw = c.mmap(null, bytes, PROT_READ_WRITE, MAP_SHARED, fd, 0);
    const address = Number(koffi.address(raw as never));
    if (address === -1 || address === 0xffffffffffffffff) throw new Error(`mmap(${name}) failed, errno ${errno()}`);
    const buffer = koffi.view(raw as never, bytes) as ArrayBuffer;
    return { buffer, address, bytes, raw };
  } finally {
    c.close(fd);
  }
}

/** Unmaps a region made by {@link mapShared}. The ArrayBuffer must not be touched afterwards. */
export function unmap(m: Mapping): void {
  libc().munmap(m.raw, m.bytes);
}

/** Removes the name of a shared-memory object; returns false when it did not exist. */
export function unlinkShared(name: string): boolean {
  return libc().shm_unlink(name) === 0;
}

const timespec = new BigInt64Array(2);

/**
 * Sleeps while the 32-bit word at `address` equals `expected`, at most `timeoutMs`
 * milliseconds. Returns early when woken, when the word differs, or on a signal.
 */
export function futexWait(address: number, expected: number, timeoutMs: number): void {
  const ms = Math.max(0, timeoutMs);
  timespec[0] = BigInt(Math.floor(ms / 1000));
  timespec[1] = BigInt(Math.floor((ms % 1000) * 1e6));
  libc().futex(SYS_FUTEX, address, FUTEX_WAIT, expected | 0, timespec, 0, 0);
}

/** Wakes every process sleeping in {@link futexWait} on the word at `address`. */
export function futexWakeAll(address: number): void {
  libc().futex(SYS_FUTEX, address, FUTEX_WAKE, 0x7fffffff, null, 0, 0);
}

/** Two struct futex_waitv { u64 val; u64 uaddr; u32 flags; u32 reserved; }. */
const waiters = new BigUint64Array(6);
const deadline = new BigInt64Array(2);
let waitvWorks = SYS_FUTEX_WAITV > 0;

/**
 * Sleeps until either 32-bit word changes from its expected value (`addressA` holding
 * `expectedA`, `addressB` holding `expectedB`), one is woken, a signal comes, or `timeoutMs`
 * passes: futex_waitv (Linux 5.16). Where the kernel lacks it, sleeps on the first word alone
 * for at most 2 ms, so that a wake of the second is noticed soon.
 */
export function futexWait2(addressA: number, expectedA: number, addressB: number, expectedB: number, timeoutMs: number): void {
  if (waitvWorks) {
    waiters[0] = BigInt(expectedA >>> 0); waiters[1] = BigInt(addressA); waiters[2] = BigInt(FUTEX2_SIZE_U32);
    waiters[3] = BigInt(expectedB >>> 0); waiters[4] = BigInt(addressB); waiters[5] = BigInt(FUTEX2_SIZE_U32);
    const until = process.hrtime.bigint() + BigInt(Math.max(0, Math.round(timeoutMs * 1e6))); // CLOCK_MONOTONIC
    deadline[0] = until / 1000000000n;
    deadline[1] = until % 1000000000n;
    const rc = Number(libc().waitv(SYS_FUTEX_WAITV, waiters, 2, 0, deadline, CLOCK_MONOTONIC));
    if (rc >= 0 || errno() !== 38 /* ENOSYS */) return;
    waitvWorks = false;
  }
  futexWait(addressA, expectedA, Math.min(timeoutMs, 2));
}

const localIov = new BigUint64Array(2);
const remoteIov = new BigUint64Array(2);
/** The kernel moves at most this much per process_vm_readv call (MAX_RW_COUNT, rounded down). */
const VM_CHUNK = 1 << 30;

/**
 * Copies `length` bytes from address `remote` in process `pid` to address `local` in this
 * process with process_vm_readv (one copy, no shared buffer). Returns 0 on success or the errno
 * (EPERM when the kernel refuses access to the peer).
 */
export function readFromProcess(pid: number, local: number, remote: number, length: number): number {
  return copyWithProcess(SYS_PROCESS_VM_READV, pid, local, remote, length);
}

/**
 * Copies `length` bytes from address `local` in this process to address `remote` in process
 * `pid` with process_vm_writev (one copy, no shared buffer; the peer must allow it, as for
 * readFromProcess). Returns 0 on success or the errno. Throws where libc cannot be bound.
 */
export function writeToProcess(pid: number, local: number, remote: number, length: number): number {
  return copyWithProcess(SYS_PROCESS_VM_WRITEV, pid, local, remote, length);
}

/** Remote pieces per process_vm_readv call of readRowsFromProcess (the kernel's UIO_MAXIOV is 1024). */
const ROWS_PER_CALL = 1024;
let rowsIov: BigUint64Array | null = null;

/**
 * Copies `rows` rows of `rowBytes` bytes each, `strideBytes` apart from address `remote` in
 * process `pid`, into `rows * rowBytes` consecutive bytes at address `local` in this process:
 * process_vm_readv with one remote piece per row (up to 1024 rows a call), one copy, no shared
 * buffer. Returns 0 on success or the errno (EPERM when the kernel refuses access to the peer,
 * ESRCH when it is gone, EIO for a short copy). Throws where libc cannot be bound.
 */
export function readRowsFromProcess(pid: number, local: number, remote: number, rowBytes: number, strideBytes: number, rows: number): number {
  if (strideBytes === rowBytes || rows <= 1) return copyWithProcess(SYS_PROCESS_VM_READV, pid, local, remote, rows * rowBytes);
  if (rowBytes * ROWS_PER_CALL >= VM_CHUNK) {
    // (rows of a gigabyte and more: one row per call)
    for (let i = 0; i < rows; i++) {
      const err = copyWithProcess(SYS_PROCESS_VM_READV, pid, local + i * rowBytes, remote + i * strideBytes, rowBytes);
      if (err !== 0) return err;
    }
    return 0;
  }
  const c = libc();
  rowsIov ??= new BigUint64Array(2 * ROWS_PER_CALL);
  const iov = rowsIov, size = BigInt(rowBytes);
  for (let i = 0; i < rows; i += ROWS_PER_CALL) {
    const n = Math.min(ROWS_PER_CALL, rows - i);
    for (let q = 0; q < n; q++) { iov[2 * q] = BigInt(remote + (i + q) * strideBytes); iov[2 * q + 1] = size; }
    localIov[0] = BigInt(local + i * rowBytes); localIov[1] = BigInt(n * rowBytes);
    const got = Number(c.processVm(SYS_PROCESS_VM_READV, pid, localIov, 1, iov, n, 0));
    if (got !== n * rowBytes) return got < 0 ? errno() : 5 /* EIO */;
  }
  return 0;
}

/** process_vm_readv or process_vm_writev (`call`: the two take the same arguments) in pieces of at most VM_CHUNK bytes; 0 or the errno. */
function copyWithProcess(call: number, pid: number, local: number, remote: number, length: number): number {
  const c = libc();
  let done = 0;
  while (done < length) {
    const n = Math.min(VM_CHUNK, length - done);
    localIov[0] = BigInt(local + done); localIov[1] = BigInt(n);
    remoteIov[0] = BigInt(remote + done); remoteIov[1] = BigInt(n);
    const got = Number(c.processVm(call, pid, localIov, 1, remoteIov, 1, 0));
    if (got <= 0) return got === 0 ? 5 /* EIO */ : errno();
    done += got;
  }
  return 0;
}

/** The address of the first byte of a typed array's view (its byteOffset included). */
export function addressOf(view: ArrayBufferView): number {
  return Number(libc().addressOf(view, view, 0));
}

/** madvise(2) on `length` bytes at `address` (page-aligned); true when the kernel took the advice. Throws off Linux. */
export function madvise(address: number, length: number, advice: number): boolean {
  return libc().madvise(address, length, advice) === 0;
}

/** Asks the kernel to send this process SIGKILL when its parent dies. */
export function dieWithParent(): void {
  libc().prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0);
}

/** Lets any process of the same user read this process's memory (for process_vm_readv under Yama). */
export function allowPeerReads(): void {
  libc().prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
}

/** The parent process id. */
export function parentPid(): number {
  return libc().getppid();
}

const CLOCK_THREAD_CPUTIME_ID = 3;
const SCHED_IDLE = 5;

/** The bindings, or null where libc cannot be bound (for the calls that never throw). */
function libcOrNull(): Bindings | null {
  try {
    return libc();
  } catch {
    return null;
  }
}

/**
 * The CPU time the calling thread has used, in ms, exact to the nanosecond
 * (clock_gettime(CLOCK_THREAD_CPUTIME_ID); /proc/thread-self/schedstat lags by up to a
 * scheduler tick, 4 ms here). Null where it cannot be read (not Linux). Never throws.
 */
export function threadCpuMs(): number | null {
  const c = libcOrNull();
  if (c === null) return null;
  const ts = new BigInt64Array(2);
  if (c.clock_gettime(CLOCK_THREAD_CPUTIME_ID, ts) !== 0) return null;
  return Number(ts[0]) * 1e3 + Number(ts[1]) / 1e6;
}

/** Bytes of the CPU masks of bindThreadToCpu (8192 CPUs). */
const CPU_MASK_BYTES = 1024;

/**
 * Binds the calling thread to one CPU: the `index`-th (from 0) of the CPUs it may run on now
 * (sched_getaffinity), when there are at least `of` of them (`of` > `index`: the threads that
 * bind this way, one CPU each) and more than one (sched_setaffinity on this thread only: threads
 * it started before keep theirs). Returns that CPU's number, or null when it did not bind (too
 * few CPUs, not Linux, the kernel refused). Never throws.
 */
export function bindThreadToCpu(index: number, of: number): number | null {
  const c = libcOrNull();
  if (c === null || !Number.isInteger(index) || index < 0 || !(of > index)) return null;
  try {
    const mask = new Uint8Array(CPU_MASK_BYTES);
    if (c.sched_getaffinity(0, CPU_MASK_BYTES, mask) !== 0) return null;
    const allowed: number[] = [];
    for (let b = 0; b < CPU_MASK_BYTES; b++) for (let k = 0; k < 8; k++) if (mask[b] & (1 << k)) allowed.push(8 * b + k);
    if (allowed.length < Math.max(2, of)) return null;
    const cpu = allowed[index];
    const one = new Uint8Array(CPU_MASK_BYTES);
    one[cpu >> 3] = 1 << (cpu & 7);
    if (c.sched_setaffinity(0, CPU_MASK_BYTES, one) !== 0) return null;
    boundMasks = { all: mask, one };
    return cpu;
  } catch {
    return null;
  }
}

/** The calling thread's CPU masks before and after bindThreadToCpu bound it, or null when it has not. */
let boundMasks: { all: Uint8Array; one: Uint8Array } | null = null;

/**
 * Runs `make` (which starts threads: `new Worker(...)`) with the calling thread's CPUs widened
 * back to those it had before bindThreadToCpu, so that the threads it starts (which inherit the
 * mask) may run on any of them; then binds it again. Just `make()` when the thread is not bound.
 * Local; throws what `make` throws.
 */
export function unboundThreads<T>(make: () => T): T {
  const m = boundMasks, c = m === null ? null : libcOrNull();
  if (m === null || c === null) return make();
  c.sched_setaffinity(0, CPU_MASK_BYTES, m.all);
  try {
    return make();
  } finally {
    c.sched_setaffinity(0, CPU_MASK_BYTES, m.one);
  }
}

const POSIX_FADV_DONTNEED = 4;

/**
 * Drops the clean pages of open file `fd` from the page cache (posix_fadvise
 * POSIX_FADV_DONTNEED over the whole file; pages not yet written back are kept, so call it after
 * fsync). Returns whether the kernel took the advice. Never throws (false off Linux or without
 * koffi).
 */
export function dropCachedPages(fd: number): boolean {
  const c = libcOrNull();
  return c !== null && c.posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) === 0;
}

/**
 * Moves the calling thread to SCHED_IDLE: it runs only when no other thread wants the core
 * (below nice 19, which still takes a share from threads that are themselves niced, as under
 * `nice -n 19 simdeck run`). Returns whether the kernel accepted. Never throws.
 */
export function idleScheduling(): boolean {
  const c = libcOrNull();
  return c !== null && c.sched_setscheduler(0, SCHED_IDLE, new Int32Array(1)) === 0;
}

const SCHED_OTHER = 0;
/** struct sched_attr as the kernel first defined it (SCHED_ATTR_SIZE_VER0): size, policy, flags (u64), nice, priority, three u64 times. */
const SCHED_ATTR_BYTES = 48;

/** The calling thread's kernel thread id (gettid), or null off Linux. Never throws. */
export function threadId(): number | null {
  const c = libcOrNull();
  return c === null ? null : Number(c.gettid(numbers!.gettid));
}

/**
 * Puts thread `tid` under SCHED_OTHER at nice value `nice` (sched_setattr), e.g. out of SCHED_IDLE
 * (a thread goes back with idleScheduling()). Any thread of the process may set any other's.
 * Leaving SCHED_IDLE needs CAP_SYS_NICE or an RLIMIT_NICE that allows the nice value
 * (unprivileged processes usually have neither): the kernel then refuses and nothing changes.
 * Returns whether the kernel accepted. Never throws.
 */
export function setThreadNice(tid: number, nice: number): boolean {
  const c = libcOrNull();
  if (c === null) return false;
  const attr = new Int32Array(SCHED_ATTR_BYTES / 4);
  attr[0] = SCHED_ATTR_BYTES;
  attr[1] = SCHED_OTHER;
  attr[4] = nice;
  return Number(c.schedSetattr(numbers!.setattr, tid, attr, 0)) === 0;
}
