/**
 * Joining an MPI job: loads libmpi, starts the MPI transport and reads the job's shape from MPI.
 * Loaded only by processes that an MPI launcher started (see world.ts, prepareTransport), so
 * shared-memory ranks never load the MPI code.
 */
import { cpus } from 'node:os';
import { contextName } from '../comm/comm.js';
import { loadMpi } from '../transport/mpi/library.js';
import { MpiTransport } from '../transport/mpi/mpiTransport.js';
import { USER_ENV, type JobConfig } from './jobEnv.js';

/** How many ranks of this job share this node, from the MPI launcher's variables (null when unknown). */
function localRanks(env: NodeJS.ProcessEnv = process.env): number | null {
  for (const v of ['OMPI_COMM_WORLD_LOCAL_SIZE', 'MPI_LOCALNRANKS', 'SLURM_NTASKS_PER_NODE']) {
    const n = Number(env[v]);
    if (Number.isInteger(n) && n > 0) return n;
  }
  return null;
}

/** Starts MPI and its transport (collective over MPI_COMM_WORLD); the job's shape (rank, app) comes from MPI. Throws MpiError. */
export function startMpiWorld(): { transport: MpiTransport; job: JobConfig } {
  const lib = loadMpi();
  const wait = process.env[USER_ENV.WAIT];
  const local = localRanks();
  // The machine's cores, not this process's affinity: MPI launchers bind each rank to a core of
  // its own (availableParallelism() is then 1), which is exactly when spinning is right.
  const spin = wait === 'spin' || (wait !== 'block' && local !== null && local <= cpus().length);
  const hang = Number(process.env[USER_ENV.HANG_TIMEOUT]);
  const transport = MpiTransport.start(lib, { spin, hangTimeout: hang > 0 ? hang : null, contextName });
  const { rank, appIndex, appRanks } = transport.info;
  return { transport, job: { segment: '', rank, launcherPid: 0, bundle: '', deck: '', args: [], appIndex, appRanks } };
}
