/**
 * Files that appear whole or not at all: written under a temporary name in the same directory,
 * then renamed over the final name (atomic on POSIX file systems).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GraphicsError } from './errors.js';

let serial = 0;

/** Writes `bytes` to `path` atomically (temporary file + rename), creating the directory. Local, blocking. Throws GraphicsError when it cannot. */
export function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${serial++}.tmp`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new GraphicsError(`graphics: cannot write ${path}: ${(e as Error).message}`);
  }
}
