/**
 * Typed errors of `simdeck/io`. Each says what went wrong, with which file, and what to change;
 * all extend IoError (a SimdeckError). Errors met by a helper rank (a full disk, a directory
 * that cannot be written) travel back to the workers and are thrown there, as these classes.
 */
import { SimdeckError } from '../errors.js';

/** Base class of every error `simdeck/io` throws on purpose. */
export class IoError extends SimdeckError {
  constructor(message: string,
    /** The file or directory concerned, when there is one. */
    readonly path: string | null = null) {
    super(message);
  }
}

/** The file system has no room left for a file (ENOSPC, EDQUOT). The partial file was removed. */
export class DiskFullError extends IoError {}

/** A directory or file cannot be created or written (EACCES, EPERM, EROFS, a file in the way). */
export class NotWritableError extends IoError {}

/** A file that was asked for (a checkpoint to restart from, a dump to archive) does not exist. */
export class MissingFileError extends IoError {}

/**
 * A checkpoint does not fit the run restarting from it: another global shape, element type,
 * dof or layout, or an array the run registered that the checkpoint lacks.
 */
export class CheckpointMismatchError extends IoError {}

/** A file is not what simdeck wrote (not HDF5, not a simdeck checkpoint, a damaged manifest line). */
export class FileFormatError extends IoError {}

/** Another run writes into the same output directory (one writer per file is simdeck's rule). */
export class OutputBusyError extends IoError {}

/** Archiving a finished file failed: the user's command failed or timed out, or the copy failed. */
export class ArchiveError extends IoError {}

/** The output service was used out of order: a write after close(), restart with nothing registered. */
export class OutputStateError extends IoError {}

const CLASSES: Record<string, new (message: string, path?: string | null) => IoError> = {
  IoError, DiskFullError, NotWritableError, MissingFileError, CheckpointMismatchError, FileFormatError,
  OutputBusyError, ArchiveError, OutputStateError,
};

/** A plain object that carries an IoError across a message (helper → workers). */
export interface IoErrorReport {
  name: string;
  message: string;
  path: string | null;
}

/** The report of `e` for sending to another rank. */
export function reportOf(e: unknown): IoErrorReport {
  if (e instanceof IoError) return { name: e.name, message: e.message, path: e.path };
  const err = e as Error;
  return { name: 'IoError', message: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`, path: null };
}

/** The IoError a report describes, rebuilt on this rank (its class kept). */
export function errorFromReport(r: IoErrorReport, prefix = ''): IoError {
  const cls = CLASSES[r.name] ?? IoError;
  return new cls(prefix + r.message, r.path);
}

/**
 * The typed error for a failed file-system call on `path` while doing `what`: DiskFullError for
 * ENOSPC/EDQUOT, NotWritableError for EACCES/EPERM/EROFS/EISDIR/ENOTDIR, MissingFileError for
 * ENOENT, IoError otherwise. `hint` is appended (what to change).
 */
export function fileSystemError(code: string | undefined, what: string, path: string, detail: string, hint = ''): IoError {
  const tail = hint ? `; ${hint}` : '';
  switch (code) {
    case 'ENOSPC': case 'EDQUOT':
      return new DiskFullError(`${what} ${path}: no space left on the device (${detail}); free space there, choose another directory, or write less (fewer dumps, gzip, fewer fields)${tail}`, path);
    case 'EACCES': case 'EPERM': case 'EROFS':
      return new NotWritableError(`${what} ${path}: not allowed (${detail}); choose a directory this user can write, or change its permissions${tail}`, path);
    case 'EISDIR': case 'ENOTDIR': case 'EEXIST':
      return new NotWritableError(`${what} ${path}: something else is in the way (${detail}); remove it or choose another path${tail}`, path);
    case 'ENOENT':
      return new MissingFileError(`${what} ${path}: no such file or directory (${detail})${tail}`, path);
    default:
      return new IoError(`${what} ${path}: ${detail}${tail}`, path);
  }
}
