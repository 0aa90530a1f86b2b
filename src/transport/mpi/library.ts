/**
 * Finding, loading and identifying the system MPI library through koffi (no compiled shim):
 * libmpi is loaded by its versioned soname (`libmpi.so.40` for Open MPI, `libmpich.so.12` for
 * MPICH) with RTLD_GLOBAL (Open MPI's plugins need its symbols), identified with
 * `MPI_Get_library_version` (callable before MPI_Init), and its functions are bound with the
 * handle type of its ABI (see abi/).
 *
 * Which library: `SIMDECK_MPI` (`openmpi`, `mpich`, or a path to a libmpi), else the launcher
 * that started this process (Open MPI's `mpirun` sets OMPI_*, MPICH's Hydra sets PMI_* and
 * MPI_LOCALNRANKS), else the first library found in the order of abi.ts.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { libcFunction } from '../../system/libc.js';
import { ABIS, abiById, type MpiAbi, type PredefinedHandles } from './abi/abi.js';
import { MpiUnavailableError } from './errors.js';

/** Numbers are addresses (pointer arguments) or handles; see abi/. */
type N = number;

/** The MPI functions simdeck calls. Pointer arguments are addresses (numbers) of stable memory. */
export interface MpiFunctions {
  Init_thread(argc: null, argv: null, required: N, provided: Int32Array): N;
  Initialized(flag: Int32Array): N;
  Finalized(flag: Int32Array): N;
  Finalize(): N;
  Abort(comm: N, code: N): N;
  Error_string(code: N, text: Uint8Array, len: Int32Array): N;
  Comm_rank(comm: N, out: Int32Array): N;
  Comm_size(comm: N, out: Int32Array): N;
  Comm_dup(comm: N, out: ArrayBufferView): N;
  Comm_free(comm: ArrayBufferView): N;
  Comm_set_errhandler(comm: N, handler: N): N;
  Comm_get_attr(comm: N, key: N, value: BigInt64Array, flag: Int32Array): N;
  Comm_group(comm: N, out: ArrayBufferView): N;
  Group_incl(group: N, n: N, ranks: Int32Array, out: ArrayBufferView): N;
  Group_free(group: ArrayBufferView): N;
  Comm_create_group(comm: N, group: N, tag: N, out: ArrayBufferView): N;
  Allgather(send: ArrayBufferView, scount: N, stype: N, recv: ArrayBufferView, rcount: N, rtype: N, comm: N): N;
  Bcast(buf: N, count: N, type: N, root: N, comm: N): N;
  Barrier(comm: N): N;
  Ibarrier(comm: N, request: N): N;
  Iallreduce(send: N, recv: N, count: N, type: N, op: N, comm: N, request: N): N;
  Iallgather(send: N, scount: N, stype: N, recv: N, rcount: N, rtype: N, comm: N, request: N): N;
  Ialltoall(send: N, scount: N, stype: N, recv: N, rcount: N, rtype: N, comm: N, request: N): N;
  Allreduce(send: N, recv: N, count: N, type: N, op: N, comm: N): N;
  Send(buf: N, count: N, type: N, dest: N, tag: N, comm: N): N;
  Isend(buf: N, count: N, type: N, dest: N, tag: N, comm: N, request: N): N;
  Issend(buf: N, count: N, type: N, dest: N, tag: N, comm: N, request: N): N;
  Irecv(buf: N, count: N, type: N, source: N, tag: N, comm: N, request: N): N;
  Test(request: N, flag: N, status: N): N;
  Cancel(request: N): N;
  Wait(request: N, status: N): N;
  Request_free(request: N): N;
}

/** A loaded, identified MPI library with its bound functions. */
export interface MpiLibrary {
  abi: MpiAbi;
  /** The name or path it was loaded by. */
  path: string;
  /** The first line of MPI_Get_library_version. */
  version: string;
  lib: LibraryHandle;
  h: PredefinedHandles;
  fn: MpiFunctions;
  /** MPI_Comm_c2f. */
  c2f: (comm: number) => number;
  /** The address of the first byte of a typed array's view (stable for the memory's lifetime). */
  addressOf: (view: ArrayBufferView) => number;
}

/** What probing one ABI found, for `simdeck info`. */
export interface Probe {
  abi: MpiAbi;
  ok: boolean;
  path: string | null;
  version: string | null;
  why: string;
}

const loaded = new Map<string, LibraryHandle>();

function tryLoad(name: string): { lib: LibraryHandle | null; error: string } {
  const known = loaded.get(name);
  if (known) return { lib: known, error: '' };
  prepareEnvironment();
  try {
    const lib = koffi.load(name, { global: true });
    loaded.set(name, lib);
    return { lib, error: '' };
  } catch (e) {
    return { lib: null, error: (e as Error).message };
  }
}

/** The full text of MPI_Get_library_version (allowed before MPI_Init). */
function libraryVersion(lib: LibraryHandle, abi: MpiAbi): string {
  const f = lib.func('int MPI_Get_library_version(_Out_ uint8_t *version, _Out_ int *len)') as
    (v: Uint8Array, n: Int32Array) => number;
  const buf = new Uint8Array(abi.MAX_LIBRARY_VERSION_STRING + 1);
  const len = new Int32Array(1);
  if (f(buf, len) !== 0) throw new Error('MPI_Get_library_version failed');
  return Buffer.from(buf.subarray(0, Math.max(0, Math.min(len[0], buf.length)))).toString('utf8').replace(/\0.*$/s, '').trim();
}

/** Tries the sonames of `abi` (or the explicit `path`); reports what it found. */
export function probe(abi: MpiAbi, path?: string): Probe & { lib?: LibraryHandle } {
  const names = path ? [path] : abi.sonames;
  const errors: string[] = [];
  for (const name of names) {
    const { lib, error } = tryLoad(name);
    if (lib === null) { errors.push(error.split('\n')[0]); continue; }
    let version: string;
    try {
      version = libraryVersion(lib, abi);
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
      continue;
    }
    if (!abi.matches(version)) {
      errors.push(`${name} is not ${abi.title}: ${version.split('\n')[0]}`);
      continue;
    }
    return { abi, ok: true, path: name, version, why: '', lib };
  }
  const hint = abi.id === 'openmpi' ? 'apt-get install openmpi-bin libopenmpi-dev' : 'apt-get install mpich libmpich-dev';
  return { abi, ok: false, path: null, version: null, why: `${errors[0] ?? 'not found'} (install: ${hint})` };
}

/** Probes every known ABI (for `simdeck info`). Never throws. */
export function probeAll(): Probe[] {
  return ABIS.map((abi) => {
    const p = probe(abi);
    return { abi: p.abi, ok: p.ok, path: p.path, version: p.version, why: p.why };
  });
}

/** Which ABI the environment asks for: SIMDECK_MPI, then the launcher's variables; null when nothing says. */
export function preferredAbi(env: NodeJS.ProcessEnv = process.env): { abi: MpiAbi | null; path?: string; reason: string } {
  const want = env.SIMDECK_MPI;
  if (want) {
    const abi = abiById(want.toLowerCase());
    if (abi) return { abi, reason: `SIMDECK_MPI=${want}` };
    if (want.includes('/') || want.includes('.so')) return { abi: null, path: want, reason: `SIMDECK_MPI=${want}` };
    throw new MpiUnavailableError(`SIMDECK_MPI must be openmpi, mpich or the path of an MPI library, got ${JSON.stringify(want)}`);
  }
  if (env.OMPI_COMM_WORLD_SIZE !== undefined) return { abi: abiById('openmpi')!, reason: 'started by Open MPI (OMPI_COMM_WORLD_SIZE)' };
  if (env.PMI_RANK !== undefined || env.MPI_LOCALNRANKS !== undefined || env.HYDRA_CONTROL_FD !== undefined) {
    return { abi: abiById('mpich')!, reason: 'started by a PMI launcher such as MPICH\'s Hydra (PMI_RANK)' };
  }
  return { abi: null, reason: 'no SIMDECK_MPI and no launcher variables' };
}

let current: MpiLibrary | null = null;

/**
 * Loads, identifies and binds the MPI library the environment selects (see the module comment).
 * Throws MpiUnavailableError naming what was tried.
 */
export function loadMpi(env: NodeJS.ProcessEnv = process.env): MpiLibrary {
  if (current !== null) return current;
  const pref = preferredAbi(env);
  let found: (Probe & { lib?: LibraryHandle }) | null = null;
  const tried: string[] = [];
  if (pref.path !== undefined) {
    for (const abi of ABIS) {
      const p = probe(abi, pref.path);
      if (p.ok) { found = p; break; }
      tried.push(`${abi.title}: ${p.why}`);
    }
  } else {
    for (const abi of pref.abi ? [pref.abi] : ABIS) {
      const p = probe(abi);
      if (p.ok) { found = p; break; }
      tried.push(`${abi.title}: ${p.why}`);
    }
  }
  if (found === null || !found.lib) {
    throw new MpiUnavailableError(`no usable MPI library (${pref.reason}): ${tried.join('; ')}`);
  }
  current = bind(found.abi, found.lib, found.path!, found.version!);
  return current;
}

/**
 * Settings made before MPI_Init. UCX (MPICH's ch4:ucx device, and Open MPI's UCX PML on
 * InfiniBand clusters) patches mmap/munmap/brk in the running process for its memory-event
 * hooks; in Node, whose V8 threads map and unmap memory concurrently, that crashes the
 * process now and then during start-up (SIGSEGV in V8's compiler: 1 in 20-40 starts of
 * `node` + MPICH 4.0.2 here, none in 60 with the hooks off). simdeck turns them off unless
 * the user chose (UCX then runs without its registration cache, which shared memory does not
 * use).
 */
function prepareEnvironment(): void {
  if (process.env.UCX_MEM_EVENTS === undefined) process.env.UCX_MEM_EVENTS = 'no';
}

function bind(abi: MpiAbi, lib: LibraryHandle, path: string, version: string): MpiLibrary {
  const H = abi.handleType;
  const P = 'uintptr_t';
  const f = (proto: string) => lib.func(proto.replaceAll('HANDLE', H).replaceAll('PTR', P));
  const fn: MpiFunctions = {
    Init_thread: f('int MPI_Init_thread(void *argc, void *argv, int required, _Out_ int *provided)'),
    Initialized: f('int MPI_Initialized(_Out_ int *flag)'),
    Finalized: f('int MPI_Finalized(_Out_ int *flag)'),
    Finalize: f('int MPI_Finalize()'),
    Abort: f('int MPI_Abort(HANDLE comm, int code)'),
    Error_string: f('int MPI_Error_string(int code, _Out_ uint8_t *text, _Out_ int *len)'),
    Comm_rank: f('int MPI_Comm_rank(HANDLE comm, _Out_ int *rank)'),
    Comm_size: f('int MPI_Comm_size(HANDLE comm, _Out_ int *size)'),
    Comm_dup: f('int MPI_Comm_dup(HANDLE comm, void *newcomm)'),
    Comm_free: f('int MPI_Comm_free(void *comm)'),
    Comm_set_errhandler: f('int MPI_Comm_set_errhandler(HANDLE comm, HANDLE handler)'),
    Comm_get_attr: f('int MPI_Comm_get_attr(HANDLE comm, int key, void *value, _Out_ int *flag)'),
    Comm_group: f('int MPI_Comm_group(HANDLE comm, void *group)'),
    Group_incl: f('int MPI_Group_incl(HANDLE group, int n, const int *ranks, void *newgroup)'),
    Group_free: f('int MPI_Group_free(void *group)'),
    Comm_create_group: f('int MPI_Comm_create_group(HANDLE comm, HANDLE group, int tag, void *newcomm)'),
    Allgather: f('int MPI_Allgather(const void *send, int scount, HANDLE stype, void *recv, int rcount, HANDLE rtype, HANDLE comm)'),
    Bcast: f('int MPI_Bcast(PTR buf, int count, HANDLE type, int root, HANDLE comm)'),
    Barrier: f('int MPI_Barrier(HANDLE comm)'),
    Ibarrier: f('int MPI_Ibarrier(HANDLE comm, PTR request)'),
    Iallreduce: f('int MPI_Iallreduce(PTR send, PTR recv, int count, HANDLE type, HANDLE op, HANDLE comm, PTR request)'),
    Iallgather: f('int MPI_Iallgather(PTR send, int scount, HANDLE stype, PTR recv, int rcount, HANDLE rtype, HANDLE comm, PTR request)'),
    Ialltoall: f('int MPI_Ialltoall(PTR send, int scount, HANDLE stype, PTR recv, int rcount, HANDLE rtype, HANDLE comm, PTR request)'),
    Allreduce: f('int MPI_Allreduce(PTR send, PTR recv, int count, HANDLE type, HANDLE op, HANDLE comm)'),
    Send: f('int MPI_Send(PTR buf, int count, HANDLE type, int dest, int tag, HANDLE comm)'),
    Isend: f('int MPI_Isend(PTR buf, int count, HANDLE type, int dest, int tag, HANDLE comm, PTR request)'),
    Issend: f('int MPI_Issend(PTR buf, int count, HANDLE type, int dest, int tag, HANDLE comm, PTR request)'),
    Irecv: f('int MPI_Irecv(PTR buf, int count, HANDLE type, int source, int tag, HANDLE comm, PTR request)'),
    Test: f('int MPI_Test(PTR request, PTR flag, PTR status)'),
    Cancel: f('int MPI_Cancel(PTR request)'),
    Wait: f('int MPI_Wait(PTR request, PTR status)'),
    Request_free: f('int MPI_Request_free(PTR request)'),
  } as unknown as MpiFunctions;
  const memmove = libcFunction('uintptr_t memmove(void *dst, void *src, size_t n)') as
    (d: ArrayBufferView, s: ArrayBufferView, n: number) => number | bigint;
  return {
    abi, path, version: version.split('\n')[0].trim(), lib, h: abi.handles(lib), fn, c2f: abi.c2f(lib),
    addressOf: (view) => Number(memmove(view, view, 0)),
  };
}

/** The library loaded by {@link loadMpi}, or null. */
export function loadedMpi(): MpiLibrary | null {
  return current;
}
