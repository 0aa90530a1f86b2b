/**
 * simdeck/io: a run's output. Helper ranks take the workers' dumps so the workers go on
 * computing (Damaris's dedicated cores); files are real HDF5 (h5py, ParaView and VisIt read
 * them), written whole or not at all; finished files are archived with a manifest; checkpoints
 * restart on any number of ranks. Guide: docs/io.md.
 */
/** Starting the output service (with or without helper ranks) and its options. */
export { startOutput } from './startOutput.js';
export type { OutputOptions } from './options.js';
/** What the workers hold: write, series, checkpoint, restart, flush, close. */
export { Output, formatReport, type OutputReport, type Checkpointable } from './output.js';
/** What a file records besides its fields, and the loop state a checkpoint keeps. */
export { dumpFileName, type DumpInfo, type LoopState, type AttrValue } from './dumpFile.js';
/** Restarting without an Output (any rank count and process grid). */
export { readCheckpoint, restartFile, RESTART_ENV, type Restorable } from './checkpoint.js';
/** Archiving and its manifest; resuming an interrupted archive. */
export { type ArchiveOptions } from './archive.js';
export { readManifest, type ManifestEntry } from './manifest.js';
export { resumeArchive } from './archiveCommand.js';
/** Typed errors. */
export {
  IoError, DiskFullError, NotWritableError, MissingFileError, CheckpointMismatchError, FileFormatError,
  OutputBusyError, ArchiveError, OutputStateError,
} from './errors.js';
