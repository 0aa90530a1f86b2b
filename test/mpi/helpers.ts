// Shared by the MPI tests: which MPIs are installed here, `describe` blocks that skip (outside
// CI) or fail (in CI) when one is missing, and runners for jobs under simdeck's MPI launcher or
// under the bare MPI launcher, as users start them.
import { describeIfAvailable } from '../helpers/needs.js';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { cli, root, simdeck, writeDecks, type JobResult } from '../helpers/job.js';

export const MPIS = ['openmpi', 'mpich'] as const;
export type Mpi = (typeof MPIS)[number];

const INSTALL = 'apt-get install openmpi-bin libopenmpi-dev mpich libmpich-dev';
const info = simdeck(['info']).stdout;

/** Whether `simdeck info` finds this MPI's library and launcher here; the reason when not. */
export function availability(mpi: Mpi): { ok: boolean; why: string } {
  const lines = info.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`mpi (${mpi},`));
  if (at < 0) return { ok: false, why: `simdeck info does not mention ${mpi}` };
  if (!/: usable/.test(lines[at])) return { ok: false, why: lines[at] };
  const launcherLine = lines.slice(at + 1).find((l) => l.trim().startsWith('launcher:')) ?? '';
  if (/none found/.test(launcherLine)) return { ok: false, why: launcherLine.trim() };
  return { ok: true, why: '' };
}

/**
 * `describe` for one MPI. When it is not installed the suite is skipped with a message outside
 * CI, and fails in CI (CI=true), where `.ci/run` installs both MPIs.
 */
export function describeMpi(mpi: Mpi, name: string, body: () => void): void {
  const a = availability(mpi);
  const title = `${name} on ${mpi === 'openmpi' ? 'Open MPI' : 'MPICH'}`;
  describeIfAvailable(title, a, mpi, INSTALL, body);
}

/** `simdeck run --transport mpi --mpi <mpi> <args>`. */
export function runMpi(mpi: Mpi, args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): JobResult {
  return simdeck(['run', '--transport', 'mpi', '--mpi', mpi, ...args], env, timeoutMs);
}

/** The bare launcher command of `mpi` with `n` ranks, as a user types it. */
export function launcher(mpi: Mpi, n: number): string[] {
  if (mpi === 'mpich') return ['mpiexec.mpich', '-n', String(n)];
  const args = ['mpirun.openmpi'];
  if (process.getuid?.() === 0) args.push('--allow-run-as-root');
  if (n > cpus().length) args.push('--oversubscribe');
  return [...args, '-np', String(n)];
}

/** Runs `launcher ... : ...` directly: each part is [ranks, deck, ...args] run as `node simdeck deck args`. */
export function runLauncher(mpi: Mpi, parts: Array<[number, string, ...string[]]>, env: Record<string, string> = {}, timeoutMs = 180_000): JobResult {
  const total = parts.reduce((s, p) => s + p[0], 0);
  const base = launcher(mpi, total);
  const cmd: string[] = base.slice(0, base.length - 2);
  parts.forEach(([n, deck, ...args], i) => {
    if (i > 0) cmd.push(':');
    cmd.push(mpi === 'mpich' ? '-n' : '-np', String(n), process.execPath, cli, deck, ...args);
  });
  const r = spawnSync(cmd[0], cmd.slice(1), {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 2 ** 20,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs deck source `text` on `n` ranks of `mpi` through `simdeck run --transport mpi`. */
export function runMpiDeck(mpi: Mpi, text: string, n: number, extra: string[] = [], env: Record<string, string> = {}): JobResult {
  const dir = writeDecks({ 'deck.ts': text });
  return runMpi(mpi, [...extra, '-n', String(n), join(dir, 'deck.ts')], env);
}
