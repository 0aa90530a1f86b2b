/**
 * The job's world: created once per process from what the launcher said, with the transport
 * chosen for it: shared memory under `simdeck run`, MPI when an MPI launcher (mpirun, mpiexec,
 * srun) started the process or SIMDECK_TRANSPORT=mpi, and otherwise (a deck run with plain
 * `node`) a shared-memory world of one rank.
 */
import { cpus } from 'node:os';
import { Comm, contextName } from '../comm/comm.js';
import { SimdeckError } from '../errors.js';
import { ShmTransport } from '../transport/shm/shmTransport.js';
import { Abort, attachSegment, createSegment, H, newSegmentName, unlinkSegment } from '../transport/shm/segment.js';
import type { Transport } from '../transport/transport.js';
import { loadMpi } from '../transport/mpi/library.js';
import { MpiTransport } from '../transport/mpi/mpiTransport.js';
import { EXIT_ABORTED, EXIT_HANG, takeJobEnvironment, USER_ENV, type JobConfig } from './jobEnv.js';
import { attachKernelTraceSlot } from './kernelTrace.js';

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

/** How many ranks of this job share this node, from the MPI launcher's variables (null when unknown). */
function localRanks(env: NodeJS.ProcessEnv = process.env): number | null {
  for (const v of ['OMPI_COMM_WORLD_LOCAL_SIZE', 'MPI_LOCALNRANKS', 'SLURM_NTASKS_PER_NODE']) {
    const n = Number(env[v]);
    if (Number.isInteger(n) && n > 0) return n;
  }
  return null;
}

/** Starts MPI and its transport; the job's shape (rank, app) comes from MPI. */
function createMpiTransport(): MpiTransport {
  const lib = loadMpi();
  const wait = process.env[USER_ENV.WAIT];
  const local = localRanks();
  // The machine's cores, not this process's affinity: MPI launchers bind each rank to a core of
  // its own (availableParallelism() is then 1), which is exactly when spinning is right.
  const spin = wait === 'spin' || (wait !== 'block' && local !== null && local <= cpus().length);
  const hang = Number(process.env[USER_ENV.HANG_TIMEOUT]);
  const transport = MpiTransport.start(lib, { spin, hangTimeout: hang > 0 ? hang : null, contextName });
  const { rank, appIndex, appRanks } = transport.info;
  job = { segment: '', rank, launcherPid: 0, bundle: '', deck: '', args: [], appIndex, appRanks };
  return transport;
}

/** The world communicator of this process (created on first use). Throws SimdeckError when the job's segment is gone or MPI cannot start. */
export function getWorld(): Comm {
  if (worldComm !== null) return worldComm;
  if (job === undefined) job = takeJobEnvironment();
  let transport: Transport & { kernelSlot?: () => Uint8Array };
  try {
    transport = job === null && mpiRequested() ? createMpiTransport() : createTransport(job);
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
