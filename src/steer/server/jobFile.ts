/**
 * Job files: how `simdeck attach` finds running steered jobs. Each steering server writes one
 * JSON file (URL, token, pid, deck) readable only by its owner (mode 0600) into the user's
 * runtime directory: `$XDG_RUNTIME_DIR/simdeck`, else `simdeck-steer-<uid>` in the temp
 * directory (mode 0700, used only when it belongs to this user and nobody else can enter it).
 * The file is written under a temporary name and renamed, and removed when the server closes or
 * the process exits; a file left by a killed job is recognised (its process is gone) and removed.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SteeringServerError } from './errors.js';
import { processAlive } from '../../system/processAlive.js';

/** What a job file says. */
export interface JobInfo {
  /** Dashboard URL, token included. */
  url: string;
  /** WebSocket URL, token included. */
  ws: string;
  token: string;
  pid: number;
  /** The deck's file name. */
  deck: string;
  host: string;
  port: number;
  started: string;
  /** Where the file is. */
  file: string;
}

/** The directory job files live in (created, private to this user). Throws SteeringServerError if it is not safe to use. */
export function jobDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.getuid?.() ?? 0;
  const runtime = env.XDG_RUNTIME_DIR;
  const dir = runtime && existsSync(runtime) && statSync(runtime).isDirectory()
    ? join(runtime, 'simdeck')
    : join(tmpdir(), `simdeck-steer-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid) {
    throw new SteeringServerError(`${dir} is not a directory of this user; remove it or set XDG_RUNTIME_DIR to a private directory`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

/** Writes this process's job file (0600, atomically); returns its path. Throws SteeringServerError. */
export function writeJobFile(info: Omit<JobInfo, 'file'>): string {
  const dir = jobDirectory();
  const file = join(dir, `${info.pid}.json`);
  const temp = `${file}.${process.hrtime.bigint()}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify({ ...info, file }, null, 1) + '\n', { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new SteeringServerError(`cannot write the job file ${file}: ${(e as Error).message}`);
  }
  return file;
}

/** Removes a job file; never throws. */
export function removeJobFile(file: string): void {
  try { rmSync(file, { force: true }); } catch { /* already gone */ }
}


/** The running jobs' files, oldest first; files of processes that are gone are removed. Never throws. */
export function listJobs(env: NodeJS.ProcessEnv = process.env): JobInfo[] {
  let dir: string;
  try { dir = jobDirectory(env); } catch { return []; }
  const jobs: JobInfo[] = [];
  for (const name of readdirSync(dir)) {
    if (!/^\d+\.json$/.test(name)) continue;
    const file = join(dir, name);
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as JobInfo;
      if (typeof info.pid !== 'number' || !processAlive(info.pid)) { removeJobFile(file); continue; }
      jobs.push({ ...info, file });
    } catch { /* being written or unreadable: skip */ }
  }
  return jobs.sort((a, b) => a.started.localeCompare(b.started));
}
