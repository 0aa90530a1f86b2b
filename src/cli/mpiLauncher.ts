/**
 * `simdeck run --transport mpi`: runs a job under the system MPI's own launcher. Each deck is
 * compiled once here first into a self-contained rank bundle (a deck that does not compile
 * fails before anything starts), then the launcher runs the rank bootstrap per rank (see
 * rankBoot.ts: world rank 0 reads the bundles and broadcasts them; no other rank reads a
 * project or user file), MPMD parts joined by `:`:
 *
 *   Open MPI: mpirun.openmpi [--allow-run-as-root] [--oversubscribe] -np 2 node -e BOOT -- 0 a.ts : -np 1 ...
 *   MPICH:    mpiexec.mpich -n 2 node -e BOOT -- 0 a.ts : -n 1 ...
 *
 * The library is `--mpi openmpi|mpich`, else SIMDECK_MPI, else the first one whose launcher
 * and library are installed (Open MPI, then MPICH). SIMDECK_MPIRUN names another launcher
 * command (e.g. a site's mpirun wrapper). Rank output is prefixed by the ranks themselves;
 * the job's exit status is the MPI launcher's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ArgumentError, SimdeckError } from '../errors.js';
import { MPI_BOOT_ENV, MPI_BOOT_LOADER, mpiBootSource } from '../runtime/rankBoot.js';
import { bundleRank, koffiAddon } from '../runtime/rankBundle.js';
import { USER_ENV } from '../runtime/jobEnv.js';
import { abiById, ABIS } from '../transport/mpi/abi/abi.js';
import { probe } from '../transport/mpi/library.js';
import type { RunOptions } from './args.js';
import { watchInvoker } from './invokerWatch.js';
import { collectRankOutput, type OutputMode } from './output.js';
import { OUTPUT_SOCKET_ENV } from '../transport/mpi/outputLink.js';

const compilerJs = join(dirname(fileURLToPath(import.meta.url)), '..', 'runtime', 'rankBundle.js');

/** The launcher commands of each MPI, tried in order. */
export const LAUNCHERS: Record<string, readonly string[]> = {
  openmpi: ['mpirun.openmpi', 'mpiexec.openmpi', 'mpirun'],
  mpich: ['mpiexec.mpich', 'mpiexec.hydra', 'mpirun.mpich', 'mpiexec'],
};

/** What `--version` of a launcher says, or null when it cannot run. */
function launcherVersion(cmd: string): string | null {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8', timeout: 15000 });
  if (r.error || r.status !== 0) return null;
  return `${r.stdout}${r.stderr}`;
}

/** The first launcher command of `mpi` that runs and is that MPI's; null with the reason otherwise. */
export function findLauncher(mpi: string): { cmd: string | null; why: string } {
  const override = process.env.SIMDECK_MPIRUN;
  if (override) return launcherVersion(override) !== null ? { cmd: override, why: '' } : { cmd: null, why: `SIMDECK_MPIRUN=${override} does not run` };
  for (const cmd of LAUNCHERS[mpi] ?? []) {
    const v = launcherVersion(cmd);
    if (v === null) continue;
    const isOmpi = /Open ?MPI|OpenRTE/i.test(v);
    if ((mpi === 'openmpi') === isOmpi) return { cmd, why: '' };
  }
  return { cmd: null, why: `no ${mpi === 'openmpi' ? 'Open MPI' : 'MPICH'} launcher (${(LAUNCHERS[mpi] ?? []).join(', ')}) found` };
}

/** The launcher command line of a job (without the node commands). */
export function launchArgs(mpi: string, opts: RunOptions, total: number, rankArgs: (i: number) => string[]): string[] {
  const out: string[] = [];
  if (mpi === 'openmpi') {
    if (process.getuid?.() === 0) out.push('--allow-run-as-root');
    if (total > availableParallelism()) out.push('--oversubscribe');
  }
  opts.apps.forEach((app, i) => {
    if (i > 0) out.push(':');
    out.push(mpi === 'openmpi' ? '-np' : '-n', String(app.ranks), ...rankArgs(i));
  });
  return out;
}

/** Chooses the MPI of a job: --mpi, SIMDECK_MPI, else the first whose library and launcher are here. Throws ArgumentError. */
function chooseMpi(opts: RunOptions): { id: string; cmd: string; lib: string } {
  const want = opts.mpi ?? process.env.SIMDECK_MPI ?? null;
  const candidates = want !== null ? [want] : ABIS.map((a) => a.id);
  const reasons: string[] = [];
  for (const id of candidates) {
    const abi = abiById(id);
    if (!abi) throw new ArgumentError(`SIMDECK_MPI must be openmpi or mpich for simdeck run, got ${JSON.stringify(id)}`);
    const lib = probe(abi);
    if (!lib.ok) { reasons.push(`${abi.title}: ${lib.why}`); continue; }
    const l = findLauncher(id);
    if (l.cmd === null) { reasons.push(`${abi.title}: ${l.why}`); continue; }
    return { id, cmd: l.cmd, lib: lib.path! };
  }
  throw new ArgumentError(`--transport mpi: no usable MPI (${reasons.join('; ')}); ` +
    'install one (apt-get install openmpi-bin libopenmpi-dev, or mpich libmpich-dev) or use the shared-memory transport');
}

/** Runs a job under the MPI launcher; resolves to its exit status. Throws DeckError/ArgumentError before starting. */
export async function runMpiJob(opts: RunOptions, output: string, hangTimeout: number | null, wait: string): Promise<number> {
  const { id, cmd, lib } = chooseMpi(opts);
  const koffi = koffiAddon();
  if (koffi === null) throw new SimdeckError('cannot find koffi\'s native module (reinstall simdeck\'s dependencies: npm ci)');
  const total = opts.apps.reduce((n, a) => n + a.ranks, 0);
  const jobDir = mkdtempSync(join(tmpdir(), `simdeck-${process.pid}-`));
  try {
    const bundles: string[] = [];
    for (let i = 0; i < opts.apps.length; i++) {
      const file = join(jobDir, `deck${i}.js`);
      const text = await bundleRank('mpi', opts.apps[i].deck);
      writeFileSync(file, text);
      bundles.push(file);
    }
    const boot = mpiBootSource({
      koffi, lib, openmpi: id === 'openmpi', bundles, decks: opts.apps.map((a) => resolve(a.deck)), compiler: pathToFileURL(compilerJs).href,
    });
    const nodeArgs = (process.env[USER_ENV.NODE_ARGS] ?? '').split(/\s+/).filter((a) => a !== '');
    const args = launchArgs(id, opts, total, (i) =>
      [process.execPath, ...nodeArgs, '-e', MPI_BOOT_LOADER, '--', String(i), opts.apps[i].deck, ...opts.apps[i].args]);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SIMDECK_TRANSPORT: 'mpi',
      SIMDECK_MPI: id,
      [USER_ENV.OUTPUT]: output,
      [USER_ENV.WAIT]: wait,
      [MPI_BOOT_ENV]: boot,
    };
    // Ranks on this machine send their output here rather than through the MPI launcher's forwarding (see outputLink.ts).
    const collector = await collectRankOutput(join(jobDir, 'output.sock'), output as OutputMode);
    env[OUTPUT_SOCKET_ENV] = join(jobDir, 'output.sock');
    if (hangTimeout !== null) env[USER_ENV.HANG_TIMEOUT] = String(hangTimeout);
    else delete env[USER_ENV.HANG_TIMEOUT];
    return await new Promise<number>((done, fail) => {
      const child = spawn(cmd, args, { env, stdio: 'inherit' });
      let killTimer: NodeJS.Timeout | null = null;
      const forward = (signal: NodeJS.Signals) => {
        child.kill(signal);
        // The MPI launcher ends its ranks on SIGTERM; one that does not within 5 s is killed.
        killTimer ??= setTimeout(() => child.kill('SIGKILL'), 5000);
      };
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward);
      const stopWatching = watchInvoker((what) => {
        process.stderr.write(`simdeck: ${what}; stopping the MPI job\n`);
        forward('SIGTERM');
      });
      child.on('error', (e) => { stopWatching(); void collector.close(0); fail(new SimdeckError(`cannot start ${cmd}: ${e.message}`)); });
      child.on('exit', (code, signal) => {
        stopWatching();
        if (killTimer) clearTimeout(killTimer);
        for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, forward);
        const status = code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : 15);
        void collector.close(2000).then(() => {
          if (status !== 0) process.stderr.write(`simdeck: the MPI job (${cmd}) failed with exit status ${status}\n`);
          done(status);
        });
      });
    });
  } finally {
    rmSync(jobDir, { recursive: true, force: true });
  }
}
