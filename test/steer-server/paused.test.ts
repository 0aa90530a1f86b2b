// A paused job uses no CPU to speak of (measured from /proc/<pid>/stat of every rank), can still
// be attached to and stopped, and can be killed cleanly: no rank left, and the job file it could
// not remove is recognised as stale and removed by the next `simdeck attach`.
import { afterEach, expect, it } from 'vitest';
import { cpuSeconds, rankProcesses } from '../helpers/procs.js';
import { SteeringClient } from '../../dist/src/steer/server/client.js';
import { alive, simdeck, until } from '../helpers/job.js';
import { events, jobFileOf, readOr, startSteered, cleanupJobs } from './helpers.js';

afterEach(cleanupJobs);

it('a paused 2-rank job sleeps (CPU per rank well under 5% of a core), answers, and stops', async () => {
  // 2 ranks on this 2-core machine: the transport spins while ranks have a core each, the hard case.
  const job = await startSteered(2, 100_000_000, 0);
  const ranks = rankProcesses(job.child.pid!);
  expect(ranks.length).toBe(2);
  const client = await SteeringClient.connect(job.ws);
  expect((await client.request({ kind: 'pause' })).ok).toBe(true);
  await new Promise((r) => setTimeout(r, 1000)); // let spinning ranks fall asleep
  const before = ranks.map(cpuSeconds);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 3000));
  const used = ranks.map((p, i) => cpuSeconds(p) - before[i]);
  const seconds = (Date.now() - t0) / 1000;
  const perRank = used.map((u) => u / seconds);
  console.log(`paused: CPU per rank ${perRank.map((f) => `${(f * 100).toFixed(1)}%`).join(', ')} of a core over ${seconds.toFixed(1)} s`);
  for (const f of perRank) expect(f).toBeLessThan(0.05);
  // Still answering while paused: status (via a fresh client, as attach would), eval, then stop.
  const status = simdeck(['attach', 'status'], job.env);
  expect(status.status, status.stderr).toBe(0);
  expect(status.stdout).toMatch(/^step \d+ {2}time [\d.]+ {2}dt 0\.01 {2}paused/);
  const answer = await client.request({ kind: 'eval', expr: 'world.rank + 100' });
  expect(answer).toMatchObject({ ok: true, answers: ['100', '101'] });
  expect((await client.request({ kind: 'stop' })).ok).toBe(true);
  const end = await job.exited;
  expect(end.code, job.out.stderr).toBe(0);
  expect(events(job.out.stdout, 'STOPPED').length).toBe(2);
}, 300_000);

it('a paused job is killed cleanly: no rank left, the stale job file is removed by attach', async () => {
  const job = await startSteered(3, 100_000_000, 0);
  const ranks = rankProcesses(job.child.pid!);
  const file = jobFileOf(job.runtimeDir)!;
  const client = await SteeringClient.connect(job.ws);
  expect((await client.request({ kind: 'pause' })).ok).toBe(true);
  job.child.kill('SIGTERM'); // as Ctrl-C on the launcher would
  const end = await job.exited;
  expect(end.code).toBe(128 + 15);
  expect(await until(() => ranks.every((p) => !alive(p)), 5000)).toBe(true);
  expect(readOr(file)).not.toBe(''); // rank 0 was killed: its file is left behind...
  const list = simdeck(['attach', '--list'], job.env);
  expect(list.stdout).toBe('no running steered job\n');
  expect(readOr(file)).toBe(''); // ...and recognised as stale
  const none = simdeck(['attach', 'status'], job.env);
  expect(none.status).toBe(2);
  expect(none.stderr).toContain('no running steered job found (start one with simdeck run --steer ...)');
}, 300_000);
