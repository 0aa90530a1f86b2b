// Every launcher form a user types, run as typed (through npx, from the repository root):
// `mpiexec.mpich -n N npx simdeck deck.ts` (Hydra's PMI socket, which npx drops, is recovered),
// `mpirun -np N npx simdeck deck.ts` with more ranks than cores, and `npx simdeck deck.ts` alone.
// Killing the npx of `npx simdeck run` (shared memory and MPI, SIGTERM and SIGKILL) ends the
// launcher and every rank. Failed MPI jobs leave nothing in the temp directory, and a rank's
// process.exit(n) is reported with its rank and status.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { alive, root, until, writeDecks } from '../helpers/job.js';
import { describeMpi, launcher, runMpi } from './helpers.js';

const hello = join(root, 'native-examples', 'hello', 'deck.ts');
const decks = writeDecks({
  // Every rank writes its pid to <dir>/<rank>, prints `started`, then waits in barriers for a minute.
  'wait.ts': [
    "import { writeFileSync } from 'node:fs';",
    "import { join } from 'node:path';",
    "import { world } from 'simdeck';",
    'writeFileSync(join(process.argv[2], String(world.rank)), String(process.pid));',
    'world.barrier();',
    "if (world.rank === 0) console.log('started');",
    'const nap = new Int32Array(new SharedArrayBuffer(4));',
    'for (let i = 0; i < 600; i++) { world.barrier(); Atomics.wait(nap, 0, 0, 100); }',
    '',
  ].join('\n'),
  'throw.ts': "import { world } from 'simdeck';\nworld.barrier();\nif (world.rank === 1) throw new Error('rank 1 gives up');\nworld.barrier();\n",
  'exit.ts': "import { world } from 'simdeck';\nworld.barrier();\nif (world.rank === 1) process.exit(3);\nworld.barrier();\n",
});
afterAll(() => rmSync(decks, { recursive: true, force: true }));

function run(cmd: string[], env: Record<string, string> = {}, timeout = 180_000) {
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Every descendant of `pid` now (from /proc). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch { /* gone */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const c of children.get(p) ?? []) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

/**
 * Starts `npx simdeck run <args> wait.ts <dir>`, waits until every rank runs, kills npx with
 * `signal`, and returns whether launcher and ranks were all gone within 10 s.
 */
async function killNpx(args: string[], ranks: number, signal: NodeJS.Signals): Promise<{ gone: boolean; pids: number[]; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'simdeck-kill-'));
  const npx = spawn('npx', ['simdeck', 'run', ...args, '-n', String(ranks), join(decks, 'wait.ts'), dir], { cwd: root, env: process.env });
  let output = '';
  npx.stdout!.on('data', (d) => { output += d; });
  npx.stderr!.on('data', (d) => { output += d; });
  try {
    expect(await until(() => output.includes('started'), 120_000), output).toBe(true);
    const rankPids = readdirSync(dir).map((f) => Number(readFileSync(join(dir, f), 'utf8')));
    expect(rankPids.length).toBe(ranks);
    const pids = [...new Set([...descendants(npx.pid!), ...rankPids])];
    npx.kill(signal);
    const gone = await until(() => pids.every((p) => !alive(p) || zombie(p)), 10_000);
    return { gone, pids: pids.filter((p) => alive(p) && !zombie(p)), output };
  } finally {
    for (const p of descendants(npx.pid!)) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    rmSync(dir, { recursive: true, force: true });
  }
}

function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

it('`npx simdeck deck.ts` outside a launcher says it runs one rank, then runs it', () => {
  const r = run(['npx', 'simdeck', 'native-examples/hello/deck.ts']);
  expect(r.status).toBe(0);
  expect(r.stderr).toBe('simdeck: running native-examples/hello/deck.ts as a job of one rank in this process (no MPI launcher started it); ' +
    'for N ranks: simdeck run -n N native-examples/hello/deck.ts\n');
  expect(r.stdout).toContain('hello from rank 0 of 1');
});

it.each(['SIGTERM', 'SIGKILL'] as const)('killing the npx of `npx simdeck run` with %s ends the launcher and every rank (shared memory)', async (signal) => {
  const k = await killNpx([], 3, signal);
  expect(k.pids, k.output).toEqual([]);
  expect(k.gone).toBe(true);
});

describeMpi('mpich', 'launcher forms', () => {
  it.each([4])('`mpiexec.mpich -n %i npx simdeck deck.ts` joins one world of that size', (n) => {
    const r = run([...launcher('mpich', n), 'npx', 'simdeck', 'native-examples/hello/deck.ts']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (let k = 0; k < n; k++) expect(r.stdout).toContain(`hello from rank ${k} of ${n}`);
    expect(r.stdout).toContain(`token came back after ${n} hops`);
  });
  it('killing the npx of `npx simdeck run --mpi mpich` with SIGTERM ends the MPI launcher and every rank', async () => {
    const k = await killNpx(['--mpi', 'mpich'], 2, 'SIGTERM');
    expect(k.pids, k.output).toEqual([]);
    expect(k.output).toContain('stopping the MPI job');
  });
});

describeMpi('openmpi', 'launcher forms', () => {
  it('`mpirun -np 3 npx simdeck deck.ts` (more ranks than cores here: --oversubscribe; as root: --allow-run-as-root)', () => {
    const r = run([...launcher('openmpi', 3).map((a) => (a === 'mpirun.openmpi' ? 'mpirun' : a)), 'npx', 'simdeck', hello]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (let k = 0; k < 3; k++) expect(r.stdout).toContain(`hello from rank ${k} of 3`);
  });
  it('killing the npx of `npx simdeck run --mpi openmpi` with SIGKILL ends the MPI launcher and every rank', async () => {
    const k = await killNpx(['--mpi', 'openmpi'], 2, 'SIGKILL');
    expect(k.pids, k.output).toEqual([]);
  });
});

for (const mpi of ['openmpi', 'mpich'] as const) {
  describeMpi(mpi, 'failed jobs', () => {
    const env = () => ({ TMPDIR: mkdtempSync(join(tmpdir(), 'simdeck-tmpdir-')), SIMDECK_CACHE_DIR: join(decks, 'cache') });
    it('a rank that throws: the job fails and leaves nothing in the temp directory', () => {
      const e = env();
      const r = runMpi(mpi, ['-n', '2', join(decks, 'throw.ts')], e);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('[rank 1] Error: rank 1 gives up');
      expect(readdirSync(e.TMPDIR)).toEqual([]);
      rmSync(e.TMPDIR, { recursive: true, force: true });
    });
    it('process.exit(3) on a rank is reported with its rank and status, and leaves nothing behind', () => {
      const e = env();
      const r = runMpi(mpi, ['-n', '2', join(decks, 'exit.ts')], e);
      expect(r.status).toBe(3);
      expect(r.stderr).toContain('simdeck: rank 1 exited with status 3 before its deck finished (process.exit(3)); the MPI job is aborted');
      expect(readdirSync(e.TMPDIR)).toEqual([]);
      rmSync(e.TMPDIR, { recursive: true, force: true });
    });
  });
}
