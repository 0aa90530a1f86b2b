// End to end with the real simulation loop (simdeck/steer's Simulation, test/decks/steer/simulation.ts):
// the dashboard in headless Chromium steers a 3-rank run and every rank applies each change and the
// checkpoint at the same step (its screenshot is the one in docs/steering-server.md, with
// SIMDECK_UPDATE_DOCS=1); `simdeck attach` asks every rank a question; a paused 2-rank run sleeps;
// a `set` sent before the deck declared its parameters waits and is applied, not refused.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { cpuSeconds, rankProcesses } from '../helpers/procs.js';
import { SteeringClient } from '../../dist/src/steer/server/client.js';
import { root, simdeck, startSimdeck, until, writeDecks } from '../helpers/job.js';
import { driveDashboard, sameStepOnEveryRank } from './browser.js';
import { cleanupJobs, describeNeeding, events, hasChromium, jobFileOf, startSteered } from './helpers.js';

afterEach(cleanupJobs);

const deck = join(root, 'test', 'decks', 'steer', 'simulation.ts');

/** Starts `simdeck run --steer -n 2 deckPath` in a runtime directory of its own and connects a client once its job file is there. */
async function startSteeredDeck(deckPath: string) {
  const runtimeDir = mkdtempSync(join(tmpdir(), 'simdeck-xdg-'));
  const job = startSimdeck(['run', '--steer', '-n', '2', deckPath], { XDG_RUNTIME_DIR: runtimeDir, SIMDECK_STEER_LOG: join(runtimeDir, 'steer.jsonl') });
  try {
    expect(await until(() => jobFileOf(runtimeDir) !== null || job.child.exitCode !== null, 120_000), job.out.stderr).toBe(true);
    const { ws } = JSON.parse(readFileSync(jobFileOf(runtimeDir)!, 'utf8')) as { ws: string };
    return { job, runtimeDir, client: await SteeringClient.connect(ws) };
  } catch (e) {
    if (job.child.exitCode === null) job.child.kill('SIGKILL');
    throw e;
  }
}

describeNeeding(hasChromium, 'chromium', 'apt-get install chromium')('the dashboard on the real loop', () => {
  it('steers a 3-rank Simulation: every rank applies each change and the checkpoint at the same step', async () => {
    const job = await startSteered(3, 1_000_000, 20, {}, [], deck);
    await driveDashboard(job, join(root, 'docs', 'images', 'steering-dashboard.png'));
    const end = await job.exited;
    expect(end.code, job.out.stderr).toBe(0);
    const out = job.out.stdout;
    expect(sameStepOnEveryRank(events(out, 'APPLIED'), 3).map((e) => e.split(' ')[1])).toEqual(['alpha=0.2', 'scheme=central']);
    expect(sameStepOnEveryRank(events(out, 'CHECKPOINT'), 3)).toHaveLength(1);
    const [done] = sameStepOnEveryRank(events(out, 'DONE'), 3);
    expect(done).toMatch(/^\d+ steering$/);
  }, 400_000);
});

it('simdeck attach on the real loop: status, set, eval on every rank, stop', async () => {
  const job = await startSteered(3, 1_000_000, 10, {}, [], deck);
  const status = simdeck(['attach', 'status'], job.env);
  expect(status.status, status.stderr).toBe(0);
  expect(status.stdout).toMatch(/^step \d+ {2}time [\d.]+ {2}dt 0\.01 {2}running/);
  expect(status.stdout).toContain('params: alpha=0.1  iterations=3  source=true  scheme=upwind');
  const set = simdeck(['attach', 'simulation', 'set', 'iterations=5'], job.env);
  expect(set.stdout).toMatch(/^set iterations=5: done at step \d+/);
  const refused = simdeck(['attach', 'set', 'iterations=2.5'], job.env);
  expect(refused.status).toBe(1);
  expect(refused.stdout).toMatch(/^set iterations=2\.5: refused: /);
  const ev = simdeck(['attach', 'eval', 'world.rank * 2 + params.iterations'], job.env);
  expect(ev.stdout).toMatch(/done at step \d+ .*\n\[0\] 5\n\[1\] 7\n\[2\] 9\n$/);
  const stop = simdeck(['attach', 'stop'], job.env);
  expect(stop.status, stop.stderr).toBe(0);
  expect((await job.exited).code, job.out.stderr).toBe(0);
  const applied = sameStepOnEveryRank(events(job.out.stdout, 'APPLIED'), 3);
  expect(applied.map((e) => e.split(' ')[1])).toEqual(['iterations=5']);
}, 300_000);

it('a paused 2-rank Simulation uses no CPU to speak of and still stops', async () => {
  const job = await startSteered(2, 100_000_000, 0, {}, [], deck);
  const ranks = rankProcesses(job.child.pid!);
  expect(ranks).toHaveLength(2);
  const client = await SteeringClient.connect(job.ws);
  expect((await client.request({ kind: 'pause' })).ok).toBe(true);
  await new Promise((r) => setTimeout(r, 1500));
  const before = ranks.map(cpuSeconds);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 3000));
  const perRank = ranks.map((p, i) => (cpuSeconds(p) - before[i]) / ((Date.now() - t0) / 1000));
  console.log(`paused Simulation: CPU per rank ${perRank.map((f) => `${(f * 100).toFixed(1)}%`).join(', ')} of a core`);
  for (const f of perRank) expect(f).toBeLessThan(0.05);
  expect((await client.request({ kind: 'stop' })).ok).toBe(true);
  expect((await job.exited).code, job.out.stderr).toBe(0);
}, 300_000);

it('a set sent before the deck declared its parameters waits for them and is applied on every rank at the same step', async () => {
  // the server opens when the job starts; this deck declares its parameters once the test says go
  const dir = writeDecks({});
  const go = join(dir, 'go');
  writeFileSync(join(dir, 'deck.ts'), `import { existsSync } from 'node:fs';
import { world } from 'simdeck';
import { Simulation } from 'simdeck/steer';
for (let i = 0; i < 6000 && !existsSync(${JSON.stringify(go)}); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
console.log('DECLARING');
const sim = new Simulation(world, { params: { alpha: { value: 0.1, min: 0, max: 1 } }, stop: { steps: 1e9 }, report: false });
sim.onChange((c) => console.log('APPLIED', c.step, c.name + '=' + c.value));
sim.run(() => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2); });
console.log('TIMERS', sim.timers.local().filter((t) => t.calls > 0).map((t) => t.name).join(' '));`);
  const { job, client } = await startSteeredDeck(join(dir, 'deck.ts'));
  try {
    let answered = false;
    const early = client.request({ kind: 'set', name: 'alpha', value: 0.2 }).then((r) => { answered = true; return r; });
    await new Promise((r) => setTimeout(r, 500));
    expect(answered).toBe(false); // held by the server, not refused (a refusal comes at once)
    writeFileSync(go, '');
    const reply = await early;
    expect(reply).toMatchObject({ ok: true, seq: 1 });
    expect((await client.request({ kind: 'stop' })).ok).toBe(true);
    expect((await job.exited).code, job.out.stderr).toBe(0);
    const applied = events(job.out.stdout, 'APPLIED').map(([r, e]) => `${r} ${e}`).sort();
    expect(applied).toEqual([`0 ${reply.ok && reply.step} alpha=0.2`, `1 ${reply.ok && reply.step} alpha=0.2`]);
    // rank 0 times its own steering work apart from waiting at agreement points
    expect(events(job.out.stdout, 'TIMERS').sort()).toEqual([[0, 'step sync steer'], [1, 'step sync']]);
  } finally {
    if (job.child.exitCode === null) job.child.kill('SIGKILL');
  }
}, 300_000);

it('a deck that runs two Simulations one after the other is steered through the same server in both; commands sent in between wait for the second', async () => {
  const dir = writeDecks({});
  const go = join(dir, 'go');
  writeFileSync(join(dir, 'deck.ts'), `import { existsSync } from 'node:fs';
import { world } from 'simdeck';
import { Simulation } from 'simdeck/steer';
const nap = () => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2); };
const first = new Simulation(world, { params: { alpha: { value: 0.1, min: 0, max: 1 } }, stop: { steps: 1e9 }, report: false });
first.onChange((c) => console.log('APPLIED', c.step, 'first', c.name + '=' + c.value));
first.run(nap);
console.log('FIRST', 'done');
for (let i = 0; i < 6000 && !existsSync(${JSON.stringify(go)}); i++) nap();
const second = new Simulation(world, { params: { beta: { value: 1, min: 0, max: 10 } }, stop: { steps: 1e9 }, report: false });
second.onChange((c) => console.log('APPLIED', c.step, 'second', c.name + '=' + c.value));
second.run(nap);
console.log('SECOND', 'done');`);
  const { job, runtimeDir, client } = await startSteeredDeck(join(dir, 'deck.ts'));
  try {
    expect(await client.request({ kind: 'set', name: 'alpha', value: 0.3 })).toMatchObject({ ok: true });
    expect((await client.request({ kind: 'stop' })).ok).toBe(true);
    expect(await until(() => events(job.out.stdout, 'FIRST').length === 2 || job.child.exitCode !== null, 60_000), job.out.stderr).toBe(true);
    // no loop runs now: a set of the next loop's parameter waits for it (not refused as unknown)
    let answered = false;
    const early = client.request({ kind: 'set', name: 'beta', value: 4 }).then((r) => { answered = true; return r; });
    await new Promise((r) => setTimeout(r, 500));
    expect(answered).toBe(false);
    writeFileSync(go, '');
    expect(await early).toMatchObject({ ok: true });
    expect((await client.request({ kind: 'stop' })).ok).toBe(true);
    expect((await job.exited).code, job.out.stderr).toBe(0);
    const applied = events(job.out.stdout, 'APPLIED').map(([r, e]) => `${r} ${e.split(' ').slice(1).join(' ')}`).sort();
    expect(applied).toEqual(['0 first alpha=0.3', '0 second beta=4', '1 first alpha=0.3', '1 second beta=4']);
    expect(events(job.out.stdout, 'SECOND')).toHaveLength(2);
    expect(jobFileOf(runtimeDir)).toBe(null); // the server closed with the job
  } finally {
    if (job.child.exitCode === null) job.child.kill('SIGKILL');
  }
}, 300_000);
