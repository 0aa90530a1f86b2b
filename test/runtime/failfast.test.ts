// Fail fast: one failing rank ends the job with its rank, message and stack; a signal is named;
// the launcher killed by SIGTERM or SIGKILL leaves no rank process and no shared-memory segment.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, segmentsOf, simdeck, startSimdeck, until, writeDecks } from '../helpers/job.js';

const pidsIn = (text: string) => [...text.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
const jobDirsOf = (pid: number) => readdirSync(tmpdir()).filter((f) => f.startsWith(`simdeck-${pid}-`));

async function runToEnd(deck: string, n: number, args: string[] = []) {
  const dir = writeDecks({ 'deck.ts': deck });
  const job = startSimdeck(['run', ...args, '-n', String(n), join(dir, 'deck.ts')]);
  const { code, signal } = await job.exited;
  return { code, signal, ...job.out, launcher: job.child.pid!, dir };
}

function expectNothingLeft(launcher: number, pids: number[]) {
  for (const pid of pids) expect(alive(pid), `rank pid ${pid} still alive`).toBe(false);
  expect(segmentsOf(launcher)).toEqual([]);
  expect(jobDirsOf(launcher)).toEqual([]);
}

const blockAll = `
import { world } from 'simdeck';
console.log('pid ' + process.pid);
`;

describe('fail-fast', () => {
  it('an exception on rank 2 of 4 ends ranks blocked in recv, naming the rank, message and stack', async () => {
    const r = await runToEnd(`${blockAll}
function explode() { throw new Error('boom on rank two'); }
if (world.rank === 2) { world.send('late', 0, 1); explode(); }
world.recv(world.rank === 0 ? 3 : 0, 99);
`, 4);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[rank 2] Error: boom on rank two');
    expect(r.stderr).toContain(`[rank 2]     at explode (${join(r.dir, 'deck.ts')}:5:`); // the deck's own file and line
    expect(r.stderr).toContain('simdeck: rank 2 failed with exit status 1');
    expect(r.stderr).not.toMatch(/\[rank [013]\]/);
    await until(() => pidsIn(r.stdout).every((p) => !alive(p)));
    expect(pidsIn(r.stdout)).toHaveLength(4);
    expectNothingLeft(r.launcher, pidsIn(r.stdout));
  });

  it('an unhandled rejection counts as a failure', async () => {
    const r = await runToEnd(`${blockAll}
if (world.rank === 1) { Promise.reject(new Error('async trouble')); }
else world.recv(1, 5);
`, 2);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[rank 1] Error: async trouble');
    expectNothingLeft(r.launcher, pidsIn(r.stdout));
  });

  it('a rank killed by SIGSEGV is reported with the signal name', async () => {
    const r = await runToEnd(`${blockAll}
if (world.rank === 1) process.kill(process.pid, 'SIGSEGV');
world.recv(world.rank === 0 ? 2 : 0, 5);
`, 3);
    expect(r.code).toBe(128 + 11);
    expect(r.stderr).toContain('simdeck: rank 1 was killed by signal SIGSEGV');
    await until(() => pidsIn(r.stdout).every((p) => !alive(p)));
    expectNothingLeft(r.launcher, pidsIn(r.stdout));
  });

  it('a deck exiting with 70 (the status of ranks stopped by a peer\'s failure) still counts as failing', async () => {
    const r = await runToEnd(`${blockAll}\nif (world.rank === 1) process.exit(70);\nworld.recv(1, 5);\n`, 2);
    expect(r.code).toBe(70);
    expect(r.stderr).toContain('simdeck: rank 1 failed with exit status 70');
  });

  it('the failing rank\'s exit status becomes the job\'s', async () => {
    const r = await runToEnd(`${blockAll}
if (world.rank === 1) process.exit(3);
world.recv(1, 5);
`, 2);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('simdeck: rank 1 failed with exit status 3');
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`the launcher stopped by ${signal} stops every rank and removes the segment`, async () => {
      const dir = writeDecks({ 'deck.ts': `${blockAll}\nworld.recv(world.rank, 123);\n` });
      const job = startSimdeck(['run', '-n', '4', join(dir, 'deck.ts')]);
      expect(await until(() => pidsIn(job.out.stdout).length === 4, 30_000)).toBe(true);
      job.child.kill(signal);
      const { code } = await job.exited;
      expect(code).toBe(signal === 'SIGTERM' ? 143 : 130);
      expect(job.out.stderr).toContain(`interrupted by ${signal}`);
      await until(() => pidsIn(job.out.stdout).every((p) => !alive(p)));
      expectNothingLeft(job.child.pid!, pidsIn(job.out.stdout));
    });
  }

  it('the launcher SIGKILLed takes its ranks with it; what it left is swept at the next start', async () => {
    const dir = writeDecks({ 'deck.ts': `${blockAll}\nworld.recv(world.rank, 123);\n` });
    const job = startSimdeck(['run', '-n', '3', join(dir, 'deck.ts')]);
    expect(await until(() => pidsIn(job.out.stdout).length === 3, 30_000)).toBe(true);
    job.child.kill('SIGKILL');
    await job.exited;
    expect(await until(() => pidsIn(job.out.stdout).every((p) => !alive(p)))).toBe(true);
    // Its job directory (the deck bundle) is left behind (unless another launcher on this
    // machine swept it already); the next launcher sweeps it.
    const r = simdeck(['run', '-n', '1', join(dir, 'deck.ts').replace('deck.ts', 'ok.ts')]);
    expect(r.status).not.toBe(0); // a missing deck: the sweep runs before any check
    expectNothingLeft(job.child.pid!, pidsIn(job.out.stdout));
  });
});

describe('hang diagnosis', () => {
  it('--hang-timeout makes every rank say what it waits for, then aborts', async () => {
    const r = await runToEnd(`${blockAll}
if (world.rank === 0) world.recv(1, 5);
else if (world.rank === 1) world.recv(0, 6);
else { const end = Date.now() + 60_000; while (Date.now() < end) { /* computing */ } }
`, 3, ['--hang-timeout', '1']);
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/simdeck: hang: rank [01] has been blocked for more than 1 s/);
    expect(r.stderr).toContain('[rank 0] hang: blocked in recv(source=1, tag=5, comm=world)');
    expect(r.stderr).toContain('[rank 1] hang: blocked in recv(source=0, tag=6, comm=world)');
    expect(r.stderr).toContain('[rank 2] hang: not in a simdeck call');
    await until(() => pidsIn(r.stdout).every((p) => !alive(p)));
    expectNothingLeft(r.launcher, pidsIn(r.stdout));
  });

  it('SIMDECK_HANG_TIMEOUT does the same from the environment (a partial hang: rank 1 sleeps outside simdeck, so this is no deadlock)', () => {
    const dir = writeDecks({ 'deck.ts': `import { world, ANY_SOURCE } from 'simdeck';\n` +
      `if (world.rank === 1) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);\nworld.recv(ANY_SOURCE, 77);\n` });
    const r = simdeck(['run', '-n', '2', join(dir, 'deck.ts')], { SIMDECK_HANG_TIMEOUT: '0.5' });
    expect(r.status).toBe(124);
    expect(r.stderr).toContain('[rank 0] hang: blocked in recv(source=ANY_SOURCE, tag=77, comm=world)');
    expect(r.stderr).toContain('[rank 1] hang: not in a simdeck call');
  });
});
