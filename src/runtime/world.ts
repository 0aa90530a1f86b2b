/**
 * The job's world: created once per process from what the launcher said, with the transport
 * chosen for it: shared memory under `simdeck run`, MPI when an MPI launcher (mpirun, mpiexec,
 * srun) started the process or SIMDECK_TRANSPORT=mpi, and otherwise (a deck run with plain
 * `node`) a shared-memory world of one rank.
 */
import { Comm, contextName } from '../comm/comm.js';
import { SimdeckError } from '../errors.js';
import { ShmTransport } from '../transport/shm/shmTransport.js';
import { Abort, attachSegment, createSegment, H, newSegmentName, unlinkSegment } from '../transport/shm/segment.js';
import type { Transport } from '../transport/transport.js';
import { bindingMode, EXIT_ABORTED, EXIT_DEADLOCK, EXIT_HANG, takeJobEnvironment, USER_ENV, type JobConfig } from './jobEnv.js';
import { attachKernelTraceSlot } from './kernelTrace.js';
import { bindThreadToCpu } from '../system/libc.js';

/** Whether shared-memory ranks bind to cores when each has its own (SIMDECK_BIND, checked by the launcher). */
function bindingWanted(): boolean {
  return bindingMode(process.env[USER_ENV.BIND]) !== 'none';
}

let job: JobConfig | null | undefined;
let worldComm: Comm | null = null;
let appComm: Comm | null = null;

/** Rank start-up: records the job read from the environment before the deck is imported. */
export function setJob(config: JobConfig | null): void {
  job = config;
}

/** The job this process belongs to (null when run standalone). Joins an MPI job first when one started this process. */
export function currentJob(): JobConfig | null {
  if (job === undefined) job = takeJobEnvironment();
  if (job === null && worldComm === null && mpiRequested()) getWorld();
  return job;
}

function onAbort(rank: number) {
  return (code: number, describe: () => string): never => {
    if (code === Abort.HANG) {
      process.stderr.write(`[rank ${rank}] hang: blocked in ${describe()}\n`);
      process.exit(EXIT_HANG);
    }
    if (code === Abort.DEADLOCK) {
      process.stderr.write(`[rank ${rank}] deadlock: blocked in ${describe()}\n`);
      process.exit(EXIT_DEADLOCK);
    }
    process.exit(EXIT_ABORTED);
  };
}

function createTransport(config: JobConfig | null): Transport & { kernelSlot?: () => Uint8Array } {
  if (config === null) {
    // A deck run with plain `node`: a private one-rank segment, unlinked at once.
    const name = newSegmentName();
    const seg = createSegment(name, { size: 1, ringBytes: 4096, spin: false, cma: false });
    unlinkSegment(name);
    return new ShmTransport(seg, 0, { contextName });
  }
  const seg = attachSegment(config.segment);
  // every rank of several has a core of its own (the launcher's spin decision): each rank's main
  // thread on one core, as mpirun binds by default, so that the scheduler never puts two ranks on
  // one core for a while, nor moves a rank away from the cache it filled (SIMDECK_BIND=none: no
  // binding); the threads simdeck starts (render, writer, farm helper, steering) stay free
  // (unboundThreads)
  const size = seg.i32[H.SIZE];
  if (size > 1 && seg.i32[H.SPIN] === 1 && bindingWanted()) bindThreadToCpu(config.rank, size);
  const transport = new ShmTransport(seg, config.rank, { contextName, onAbort: onAbort(config.rank) });
  Atomics.add(seg.i32, H.ATTACHED, 1);
  return transport;
}

/** Variables that MPI launchers set in the processes they start (Open MPI, Hydra/PMI, PMIx, Slurm's PMI-2). */
const MPI_LAUNCHER_VARS = ['OMPI_COMM_WORLD_SIZE', 'PMI_RANK', 'PMI_SIZE', 'PMIX_RANK', 'MPI_LOCALNRANKS'];

/**
 * Whether this process should join an MPI job: SIMDECK_TRANSPORT=mpi, or (unless
 * SIMDECK_TRANSPORT=shm) an MPI launcher's variables. Throws ArgumentError-like SimdeckError for a bad value.
 */
export function mpiRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const t = env.SIMDECK_TRANSPORT;
  if (t === 'mpi') return true;
  if (t === 'shm') return false;
  if (t !== undefined && t !== '' && t !== 'auto') {
    throw new SimdeckError(`SIMDECK_TRANSPORT must be auto, shm or mpi, got ${JSON.stringify(t)}`);
  }
  return MPI_LAUNCHER_VARS.some((v) => env[v] !== undefined);
}

type MpiStart = () => { transport: Transport; job: JobConfig };
let startMpi: MpiStart | null = null;

/**
 * Loads the MPI transport's code when this process is to join an MPI job (see mpiRequested), so
 * that shared-memory ranks never load it. The package entry and `simdeck deck.ts` await it
 * before their first getWorld(). Does not throw: a bad SIMDECK_TRANSPORT is reported by getWorld.
 */
export async function prepareTransport(): Promise<void> {
  let wanted = false;
  try { wanted = mpiRequested(); } catch { return; }
  if (wanted && startMpi === null) startMpi = (await import('./mpiWorld.js')).startMpiWorld;
}

/** Joins the MPI job through the code prepareTransport() loaded; the job's shape comes from MPI. */
function joinMpi(): Transport {
  if (startMpi === null) throw new Error('the MPI transport was not loaded: import simdeck before anything that needs the world');
  const started = startMpi();
  job = started.job;
  return started.transport;
}

/** The world communicator of this process (created on first use). Throws SimdeckError when the job's segment is gone or MPI cannot start. */
export function getWorld(): Comm {
  if (worldComm !== null) return worldComm;
  if (job === undefined) job = takeJobEnvironment();
  let transport: Transport & { kernelSlot?: () => Uint8Array };
  try {
    transport = job === null && mpiRequested() ? joinMpi() : createTransport(job);
  } catch (e) {
    throw new SimdeckError(`cannot join the job: ${(e as Error).message}`);
  }
  if (transport.kernelSlot) attachKernelTraceSlot(transport.kernelSlot());
  worldComm = new Comm(transport, 0, null, 'world');
  return worldComm;
}

/**
 * The communicator of this rank's own app in an MPMD job (`simdeck run -n 2 a.ts : -n 1 b.ts`);
 * the world itself for a single deck.
 */
export function getApp(): Comm {
  if (appComm !== null) return appComm;
  const world = getWorld();
  const ranks = currentJob()?.appRanks ?? [];
  appComm = ranks.length === 0 || ranks.length === world.size
    ? world
    : new Comm(world.transport, 2, Int32Array.from(ranks), `app${currentJob()!.appIndex}`);
  return appComm;
}

/** The index of this rank's deck in an MPMD job (0 for a single deck). */
export function getAppIndex(): number {
  return currentJob()?.appIndex ?? 0;
}
