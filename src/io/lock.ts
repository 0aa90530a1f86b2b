/**
 * One run per output directory: the first worker holds `DIR/.simdeck-output.lock` (its host
 * and pid) from startOutput to close(). A lock whose process is gone (a crashed run on this
 * machine) is taken over; a live one makes startOutput fail with OutputBusyError.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../system/processAlive.js';
import { OutputBusyError, fileSystemError } from './errors.js';

/** The lock file's name in the output directory. */
export const LOCK_FILE = '.simdeck-output.lock';

/** Takes the output directory's lock for this process. Blocking; throws OutputBusyError when a live run holds it. */
export function takeLock(dir: string): void {
  const path = join(dir, LOCK_FILE);
  const me = JSON.stringify({ host: hostname(), pid: process.pid }) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try { writeSync(fd, me); } finally { closeSync(fd); }
      return;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'EEXIST') throw fileSystemError(err.code, 'startOutput: cannot create the lock file', path, err.message);
    }
    let holder: { host?: string; pid?: number } = {};
    try { holder = JSON.parse(readFileSync(path, 'utf8')); } catch { /* half-written by a crash: stale */ }
    if (holder.pid === process.pid && holder.host === hostname()) return;
    if (holder.host === undefined || (holder.host === hostname() && (typeof holder.pid !== 'number' || !processAlive(holder.pid)))) {
      try { unlinkSync(path); } catch { /* someone else took it over */ }
      continue;
    }
    throw new OutputBusyError(`startOutput: another run (pid ${holder.pid} on ${holder.host}) writes into ${dir}; ` +
      `give this run another dir, or remove ${path} if that run is gone`, dir);
  }
  throw new OutputBusyError(`startOutput: could not take the lock ${path}; another run is starting in the same directory`, dir);
}

/** Releases the lock if this process holds it. Never throws. */
export function releaseLock(dir: string): void {
  const path = join(dir, LOCK_FILE);
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as { host?: string; pid?: number };
    if (holder.pid === process.pid && holder.host === hostname()) unlinkSync(path);
  } catch { /* not ours, or gone */ }
}
