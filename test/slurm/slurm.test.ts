// simdeck under Slurm: a throwaway one-node cluster (test/slurm/start.sh, Debian's slurm-wlm) runs
// the point-to-point and collectives conformance decks under `srun` with Open MPI (--mpi=pmix)
// and MPICH (--mpi=pmi2), checking that the tasks form one world of the right size (a wrong
// plugin would give N separate one-rank jobs that all exit 0), that `srun -n N npx simdeck
// deck.ts` works as a user types it, and that a wrong or missing plugin is refused with a
// message. The cluster is started once for the file and stopped after it, by process id.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectiveChecks, P2P_CHECKS } from '../decks/checks.js';
import { alive, cli, root, until, type JobResult } from '../helpers/job.js';
import { availability, MPIS, type Mpi } from '../mpi/helpers.js';

const here = join(root, 'test', 'slurm');
const INSTALL = 'apt-get install slurm-wlm';
const PLUGIN: Record<Mpi, string> = { openmpi: 'pmix', mpich: 'pmi2' };

function slurmInstalled(): boolean {
  return ['slurmctld', 'slurmd'].every((d) => existsSync(`/usr/sbin/${d}`) || spawnSync('sh', ['-c', `command -v ${d}`]).status === 0) &&
    spawnSync('sh', ['-c', 'command -v srun']).status === 0;
}

let dir = '';
const slurmEnv = () => ({ ...process.env, SLURM_CONF: join(dir, 'slurm.conf') });

/**
 * Waits (up to a minute) until the one-node cluster runs no job: a job step still completing
 * on a loaded machine would make the next srun print 'queued and waiting for resources'.
 */
function waitForIdleNode(): void {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const q = spawnSync('squeue', ['-h'], { env: slurmEnv(), encoding: 'utf8' });
    if (q.status === 0 && q.stdout.trim() === '') return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

/** `srun <args>` on the test cluster, from the repository root, once the node is idle. */
function srun(args: string[], env: Record<string, string> = {}, timeoutMs = 240_000): JobResult {
  waitForIdleNode();
  const r = spawnSync('srun', args, {
    cwd: root, encoding: 'utf8', env: { ...slurmEnv(), ...env }, timeout: timeoutMs, maxBuffer: 64 * 2 ** 20,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Asserts a clean job whose `DONE` lines come from exactly ranks 0..n-1 of one world. */
function expectWorld(r: JobResult, n: number, done: (k: number) => string): void {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const lines = r.stdout.split('\n').filter((l) => /^DONE /.test(l)).sort();
  expect(lines).toEqual(Array.from({ length: n }, (_, k) => done(k)).sort());
}

const installed = slurmInstalled();
if (!installed && process.env.CI !== 'true') console.warn(`skipping the Slurm suite: Slurm is not installed — to run it: ${INSTALL}`);

(installed || process.env.CI === 'true' ? describe : describe.skip)('simdeck under Slurm (srun)', () => {
  beforeAll(() => {
    if (!installed) throw new Error(`Slurm is not installed here; CI must install it: ${INSTALL}`);
    dir = execFileSync(join(here, 'start.sh'), { encoding: 'utf8', timeout: 60_000 }).trim();
  });
  afterAll(async () => {
    if (dir === '') return;
    const pids = ['slurmd.pid', 'slurmctld.pid'].map((f) => Number(spawnSync('cat', [join(dir, f)], { encoding: 'utf8' }).stdout.trim()));
    execFileSync(join(here, 'stop.sh'), [dir], { timeout: 30_000 });
    // Nothing left running, nothing left on disk.
    expect(await until(() => pids.every((p) => !(p > 0) || !alive(p)), 10_000)).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it('runs a job step on the one-node cluster (4 tasks on a machine of fewer cores)', () => {
    const r = srun(['-n', '4', 'sh', '-c', 'echo task $SLURM_PROCID of $SLURM_NTASKS']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l !== '').sort()).toEqual(['task 0 of 4', 'task 1 of 4', 'task 2 of 4', 'task 3 of 4']);
  });

  for (const mpi of MPIS) {
    const label = `${mpi === 'openmpi' ? 'Open MPI' : 'MPICH'} (--mpi=${PLUGIN[mpi]})`;
    describe(label, () => {
      const env = { SIMDECK_MPI: mpi };
      it('has the MPI installed', () => {
        const a = availability(mpi);
        expect(a.ok, a.why).toBe(true);
      });
      it('passes the point-to-point conformance deck on 3 ranks, as one world', () => {
        const r = srun([`--mpi=${PLUGIN[mpi]}`, '-n', '3', process.execPath, cli, join(root, 'test', 'decks', 'p2p.ts'), 'alpha', '--beta=2'], env);
        expectWorld(r, 3, (k) => `DONE rank ${k}`);
        for (const c of P2P_CHECKS) expect(r.stdout).toContain(`OK ${c}`);
      });
      it('passes the collectives conformance deck on 3 ranks, as one world', () => {
        const r = srun([`--mpi=${PLUGIN[mpi]}`, '-n', '3', process.execPath, cli, join(root, 'test', 'decks', 'collectives.ts')], env);
        expectWorld(r, 3, (k) => `DONE ${k}`);
        for (const c of collectiveChecks(3)) expect(r.stdout).toContain(`OK ${c}`);
      });
      it('runs `srun -n 2 npx simdeck deck.ts` as a user types it', () => {
        const r = srun([`--mpi=${PLUGIN[mpi]}`, '-n', '2', 'npx', 'simdeck', 'native-examples/hello/deck.ts'], env);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(r.stdout).toContain('hello from rank 1 of 2');
        expect(r.stdout).toContain('token came back after 2 hops carrying sum 1');
      });
    });
  }

  it('refuses MPICH started with the wrong plugin instead of running separate one-rank jobs', () => {
    const r = srun(['--mpi=pmix', '-n', '3', process.execPath, cli, 'native-examples/hello/deck.ts'], { SIMDECK_MPI: 'mpich' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('hello from rank 0 of 1');
    expect(r.stderr).toContain("srun started 3 tasks but they form an MPI world of 1: srun's --mpi=pmix is not what the MPI library (SIMDECK_MPI=mpich) speaks");
  });

  it('refuses srun without an MPI plugin', () => {
    const r = srun(['--mpi=none', '-n', '2', process.execPath, cli, 'native-examples/hello/deck.ts']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('srun started 2 tasks but they form an MPI world of 1: srun was given no MPI plugin');
  });
});
