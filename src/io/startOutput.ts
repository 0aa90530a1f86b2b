/**
 * startOutput: sets up a run's output. With `helpers: k` the last k ranks of the communicator
 * become helper ranks: they load HDF5, serve the workers' writes until every worker has closed,
 * and then their process ends — they never return into the deck. The other ranks (the workers)
 * get an Output whose `comm` is the workers' communicator, on which the deck builds its grids.
 * With `helpers: 0` (the default) every rank is a worker and rank 0 writes.
 */
import { Comm } from '../comm/comm.js';
import { ArgumentError, DeadlockError, describe } from '../errors.js';
import { ensureWritableDir, sweepPartials } from './atomicFile.js';
import { DirectOutput } from './directOutput.js';
import { readKindAndStep, type StorageOptions } from './dumpFile.js';
import { OutputStateError, errorFromReport, reportOf, type IoErrorReport } from './errors.js';
import { HelperOutput } from './helperOutput.js';
import { serveWorkers } from './helperService.js';
import { loadHdf5 } from './hdf5.js';
import { takeLock } from './lock.js';
import { checkOptions, type CheckedOptions, type OutputOptions } from './options.js';
import type { Output } from './output.js';
import { FileWriter } from './writer.js';
import { WriterLink } from './writerLink.js';

/**
 * Starts the output service on `comm` (world, or any communicator). Collective over `comm`;
 * async (the writing ranks load HDF5). Resolves on the workers to their Output; on helper
 * ranks it never resolves: they serve, then end their process cleanly. Every rank throws
 * ArgumentError for bad options, and NotWritableError, DiskFullError or OutputBusyError (another
 * run writes into `dir`) before anything is written.
 */
export async function startOutput(comm: Comm, options: OutputOptions): Promise<Output> {
  if (!(comm instanceof Comm)) throw new ArgumentError(`startOutput(comm, options): comm must be a communicator (world, or one made from it), got ${describe(comm)}`);
  const o = checkOptions(options, comm.size);
  // rank 0 prepares the directory; every rank learns the outcome and fails alike
  let problem: IoErrorReport | null = null;
  if (comm.rank === 0) {
    try {
      ensureWritableDir(o.dir, 'startOutput');
      takeLock(o.dir);
      sweepPartials(o.dir);
      if (o.archive?.dir) { ensureWritableDir(o.archive.dir, 'startOutput: archive'); sweepPartials(o.archive.dir); }
    } catch (e) {
      problem = reportOf(e);
    }
  }
  problem = comm.bcast(problem, 0);
  if (problem !== null) throw errorFromReport(problem);
  const workers = comm.size - o.helpers;

  if (o.helpers === 0) {
    let writer: FileWriter | null = null;
    if (comm.rank === 0) {
      try {
        writer = await openWriter(o, true);
      } catch (e) {
        problem = reportOf(e);
      }
    }
    problem = comm.bcast(problem, 0);
    if (problem !== null) throw errorFromReport(problem);
    return new DirectOutput(comm, o, writer);
  }

  const channel = comm.dup();
  const workerComm = comm.slice(0, workers);
  if (workerComm === null) {
    const helper = comm.rank - workers;
    // the writing thread loads HDF5 while this thread already takes the workers' blocks
    const link = new WriterLink({ dir: o.dir, storage: storageOf(o), archive: o.archive, first: helper === 0 });
    try {
      serveWorkers(channel, workers, helper, link, Math.max(o.buffer, 1));
    } catch (e) {
      if (!(e instanceof DeadlockError)) throw e;
      throw new OutputStateError(`helper ${helper}: the workers finished their deck without calling output.close(); ` +
        'call close() on every worker at the end, so that the helpers write what is queued and end', o.dir);
    }
    comm.transport.finalize();
    process.exit(0);
  }
  return new HelperOutput(workerComm, o, channel);
}

function storageOf(o: CheckedOptions): StorageOptions {
  return { gzip: o.gzip, ...(o.chunks ? { chunks: o.chunks } : {}) };
}

/** Loads HDF5 and makes this rank's writer; the first writer also completes an earlier run's archive. */
async function openWriter(o: CheckedOptions, first: boolean): Promise<FileWriter> {
  await loadHdf5();
  const writer = new FileWriter(o.dir, storageOf(o), o.archive);
  if (first) writer.prepare(readKindAndStep);
  return writer;
}
