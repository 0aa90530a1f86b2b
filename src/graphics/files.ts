/**
 * Files that appear whole or not at all: written under a temporary name in the same directory,
 * then renamed over the final name (atomic on POSIX file systems).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GraphicsError } from './errors.js';

let serial = 0;
/** Directories this thread has made (or found): a live plot writes a frame every few steps into the same one. */
const made = new Set<string>();

/**
 * Writes `bytes` to `path` atomically (temporary file + rename), creating the directory (once per
 * directory and thread; made again if it was removed meanwhile). Local, blocking. Throws
 * GraphicsError when it cannot.
 */
export function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${serial++}.tmp`);
  try {
    if (!made.has(dir)) { mkdirSync(dir, { recursive: true }); made.add(dir); }
    try {
      writeFileSync(tmp, bytes);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(dir, { recursive: true }); // removed since it was made
      writeFileSync(tmp, bytes);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new GraphicsError(`graphics: cannot write ${path}: ${(e as Error).message}`);
  }
}
