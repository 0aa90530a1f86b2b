/**
 * Nothing half-written is ever visible: every file simdeck/io makes is written under a hidden
 * partial name in its final directory (`.NAME.PID.partial`), synced to disk, renamed to its
 * final name (atomic within a file system) and its directory synced. A reader listing the
 * directory sees either no file or the whole file. Partials left by a killed process are swept
 * by the next run (only those whose process is gone).
 */
import { createHash } from 'node:crypto';
import {
  accessSync, closeSync, constants, copyFileSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync,
  statSync, unlinkSync, writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileSystemError, NotWritableError } from './errors.js';
import { dropCachedPages } from '../system/libc.js';
import { processAlive } from '../system/processAlive.js';

const PARTIAL = /^\.(.+)\.(\d+)\.partial$/;

/** The hidden partial name `path` is written under until it is complete. Local. */
export function partialPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
}

/** Whether `name` (a file name, no directory) is a partial file of simdeck/io. */
export function isPartial(name: string): boolean {
  return PARTIAL.test(name);
}

/**
 * Flushes `path`'s data and metadata to disk (fsync); with `dropPages`, then drops the file's
 * pages from the page cache (see commitFile). Blocking; throws a typed IoError.
 */
export function syncFile(path: string, what = 'syncing', dropPages = false): void {
  let fd = -1;
  try {
    fd = openSync(path, 'r+');
    fsyncSync(fd);
    if (dropPages) dropCachedPages(fd);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw fileSystemError(err.code, what, path, err.message);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Syncs a directory, so that a rename in it survives a crash. Best effort (some file systems refuse). */
export function syncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch { /* e.g. EINVAL on file systems without directory sync */ } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * Makes the partial file `partial` the complete file `final`: fsync, rename, fsync of the
 * directory. With `dropPages`, the file's pages leave the page cache once synced
 * (posix_fadvise DONTNEED), for a writer that streams files nobody reads back through it: the
 * next file's writes then reuse those pages instead of taking fresh ones (on the VMs this
 * project runs on, pages fresh to the guest cost a host fault each: writing 33 MB into new
 * page-cache pages took 100-125 ms of CPU, 15-22 ms when the previous file's pages were
 * dropped). Best effort: where the advice is refused the pages just stay. Blocking; throws a
 * typed IoError.
 */
export function commitFile(partial: string, final: string, dropPages = false): void {
  syncFile(partial, 'writing', dropPages);
  try {
    renameSync(partial, final);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw fileSystemError(err.code, 'renaming the finished file to', final, err.message);
  }
  syncDir(dirname(final));
}

/** Drops the pages of the complete file `path` from the page cache (see commitFile). Best effort; never throws. */
export function dropPagesOf(path: string): void {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    dropCachedPages(fd);
  } catch { /* gone or unreadable: nothing to drop */ } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * Readies `bytes` of page cache for the next files written in `dir`, for a writer that drops its
 * files' pages (commitFile's dropPages) and so has none of its own to reuse before its first
 * file: writes a scratch file of `bytes` under a partial name there (its pages taken, and on
 * VMs faulted in, now) and removes it unsynced, which frees those pages for the next writes.
 * Blocking (the cost the first file would pay); best effort, never throws.
 */
export function warmPageCache(dir: string, bytes: number): void {
  const scratch = partialPath(join(dir, 'page-cache-warmup'));
  let fd = -1;
  try {
    fd = openSync(scratch, 'w');
    const zeros = new Uint8Array(Math.min(bytes, 1 << 20));
    for (let at = 0; at < bytes;) at += writeSync(fd, zeros, 0, Math.min(zeros.length, bytes - at), at);
  } catch { /* a full or read-only disk: the first file will say so */ } finally {
    if (fd >= 0) closeSync(fd);
    removeQuietly(scratch);
  }
}

/** Removes `path` if it exists (a partial file after a failure). Never throws. */
export function removeQuietly(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}


/** Removes the partial files in `dir` whose writer process is gone; returns their names. Local; never throws. */
export function sweepPartials(dir: string): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return removed; }
  for (const name of names) {
    const m = PARTIAL.exec(name);
    if (m === null || processAlive(Number(m[2]))) continue;
    removeQuietly(join(dir, name));
    removed.push(name);
  }
  return removed;
}

/**
 * Creates `dir` (and its parents) if needed and checks that this process may write files in it.
 * Blocking. Throws NotWritableError (or DiskFullError, MissingFileError) saying what to change.
 */
export function ensureWritableDir(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw fileSystemError(err.code === 'ENOENT' ? 'EACCES' : err.code, `${what}: cannot create the directory`, dir, err.message);
  }
  try {
    if (!statSync(dir).isDirectory()) throw new NotWritableError(`${what}: ${dir} is a file, not a directory; choose a directory`, dir);
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    if (e instanceof NotWritableError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw fileSystemError(err.code, `${what}: cannot write into the directory`, dir, err.message);
  }
}

/**
 * Copies `source` to `target` so that `target` appears complete or not at all (copy to a
 * partial name in target's directory, fsync, rename). Blocking; throws a typed IoError and
 * leaves no partial file.
 */
export function copyAtomically(source: string, target: string, pause?: () => void): void {
  const partial = partialPath(target);
  try {
    if (pause) copyWithPause(source, partial, pause);
    else copyFileSync(source, partial);
    commitFile(partial, target);
  } catch (e) {
    removeQuietly(partial);
    const err = e as NodeJS.ErrnoException;
    if (err.code !== undefined) throw fileSystemError(err.code, 'copying into', target, err.message);
    throw e;
  }
}

/** A copy in two halves with `pause()` between them (a fault-injection point for tests). */
function copyWithPause(source: string, target: string, pause: () => void): void {
  const size = statSync(source).size;
  const buf = Buffer.alloc(size);
  const fd = openSync(source, 'r');
  try { readSync(fd, buf, 0, size, 0); } finally { closeSync(fd); }
  const out = openSync(target, 'w');
  try {
    const half = Math.floor(size / 2);
    writeAll(out, buf.subarray(0, half));
    pause();
    writeAll(out, buf.subarray(half));
  } finally { closeSync(out); }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes.subarray(at));
}

/** The SHA-256 of a file's bytes, as hex. Blocking; throws a typed IoError. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 22);
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw fileSystemError(err.code, 'reading', path, err.message);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return hash.digest('hex');
}
