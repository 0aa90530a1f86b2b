// The steering flags of `simdeck run` and steering under MPI: --steer / --steer-host / --replay /
// --steer-log reach every rank as SIMDECK_STEER / SIMDECK_STEER_HOST / SIMDECK_REPLAY / SIMDECK_STEER_LOG (so the same works under
// mpirun or srun by setting them), bad values are refused before anything starts, and a steered
// job under Open MPI and MPICH applies a change on both ranks at the same step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseRunArgs } from '../../dist/src/cli/args.js';
import { SteeringClient } from '../../dist/src/steer/server/client.js';
import { runDeck, writeDecks } from '../helpers/job.js';
import { describeMpi, MPIS } from '../mpi/helpers.js';
import { events, startSteered, cleanupJobs } from './helpers.js';

afterEach(cleanupJobs);

it('parses the steering flags', () => {
  expect(parseRunArgs(['--steer', '-n', '2', 'd.ts'])).toMatchObject({ steer: true, steerHost: null, replay: null, interactive: false });
  expect(parseRunArgs(['--steer-host', '0.0.0.0', '-n', '2', 'd.ts'])).toMatchObject({ steer: true, steerHost: '0.0.0.0' });
  expect(parseRunArgs(['--replay=run.log', '-n', '2', 'd.ts'])).toMatchObject({ replay: 'run.log', steer: false });
  expect(parseRunArgs(['-n', '4', '--interactive'])).toMatchObject({ interactive: true, apps: [{ ranks: 4, deck: '', args: [] }] });
  expect(() => parseRunArgs(['-n', '4'])).toThrow(/no deck given/);
  expect(() => parseRunArgs(['--steer-host'])).toThrow(/--steer-host needs a value/);
  expect(parseRunArgs(['--steer-log', 'out/', '-n', '2', 'd.ts'])).toMatchObject({ steer: true, steerLog: 'out/' });
});

it('--steer-log puts the command log where the run\'s outputs go: a directory (created) or a file', () => {
  const dir = writeDecks({});
  const deck = `import { world } from 'simdeck';
import { Simulation } from 'simdeck/steer';
const sim = new Simulation(world, { stop: { steps: 3 }, steer: true, report: false });
sim.run(() => {});
if (world.rank === 0) console.log('LOG', sim.logPath);`;
  const inDir = runDeck(deck, 2, ['--steer-log', join(dir, 'out') + '/']);
  expect(inDir.status, inDir.stderr).toBe(0);
  expect(inDir.stdout).toMatch(new RegExp(`LOG ${join(dir, 'out')}/steer-\\d{8}T\\d{6}-\\d+\\.jsonl`));
  const file = join(dir, 'commands.jsonl');
  const toFile = runDeck(deck, 2, ['--steer-log', file]);
  expect(toFile.status, toFile.stderr).toBe(0);
  expect(toFile.stdout).toContain(`LOG ${file}`);
  expect(readFileSync(file, 'utf8')).toMatch(/^\{"simdeck":"steer-log"/);
  const empty = runDeck(deck, 1, ['--steer-log', '']);
  expect(empty.status).toBe(2);
  expect(empty.stderr).toContain('--steer-log needs a file or directory for the command log');
});

it('sets the job environment, and refuses a missing replay log or a bad host before starting', () => {
  const dir = writeDecks({ 'run.log': '{"seq":1,"step":3,"source":"browser","command":{"kind":"stop"}}\n' });
  const deck = `import { world } from 'simdeck';
console.log(world.rank, process.env.SIMDECK_STEER ?? '-', process.env.SIMDECK_STEER_HOST ?? '-', process.env.SIMDECK_REPLAY ?? '-');`;
  const r = runDeck(deck, 2, ['--steer-host', '127.0.0.2', '--replay', join(dir, 'run.log')], { SIMDECK_STEER: '', SIMDECK_STEER_HOST: '', SIMDECK_REPLAY: '' });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain(`[1] 1 1 127.0.0.2 ${join(dir, 'run.log')}`);
  const missing = runDeck(deck, 1, ['--replay', join(dir, 'nope.log')]);
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain(`simdeck: ArgumentError: --replay: no command log at ${join(dir, 'nope.log')}`);
  const bad = runDeck(deck, 1, ['--steer-host', 'a b']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('--steer-host needs an address such as 0.0.0.0');
});

for (const mpi of MPIS) {
  describeMpi(mpi, 'a steered job', () => it('applies a change on both ranks at the same step and stops', async () => {
    const job = await startSteered(2, 1_000_000, 10, {}, ['--transport', 'mpi', '--mpi', mpi]);
    const client = await SteeringClient.connect(job.ws);
    const set = await client.request({ kind: 'set', name: 'alpha', value: 0.05 });
    expect(set).toMatchObject({ ok: true, seq: 1 });
    const answer = await client.request({ kind: 'eval', expr: 'params.alpha + world.rank' });
    expect(answer).toMatchObject({ ok: true, answers: ['0.05', '1.05'] });
    expect((await client.request({ kind: 'stop' })).ok).toBe(true);
    expect((await job.exited).code, job.out.stderr).toBe(0);
    const applied = events(job.out.stdout, 'APPLIED');
    expect(applied.map(([r, e]) => `${r} ${e}`).sort()).toEqual([`0 ${set.ok && set.step} alpha=0.05`, `1 ${set.ok && set.step} alpha=0.05`]);
  }, 300_000));
}
