// The simulation loop on real multi-rank jobs: cadences in steps and time (exact landings), stop
// criteria agreeing on every rank, the time step reduction, steering through a link on rank 0,
// and replay bit for bit. The same deck on 1-4 ranks of shared memory and on Open MPI and MPICH.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectChecks } from '../helpers/conformance.js';
import { root, simdeck } from '../helpers/job.js';
import { describeMpi, MPIS, runMpi } from '../mpi/helpers.js';

const deck = (name: string) => join(root, 'test', 'decks', 'steer', name);

export const LOOP_CHECKS = [
  'step cadences and named points',
  'time cadences land exactly (the step before is shortened)',
  'timestep: global min, safety, max change, bounds',
  'a bad dt on one rank is a TimestepError on every rank',
  'stop.when true on one rank stops every rank at the same step',
  "a wall budget (rank 0's clock) stops every rank at the same step",
  'wall cadence hooks run at the same steps on every rank',
  'steering changes reach every rank at the same step, in sequence order',
  'refused commands get an error reply and change nothing',
  "eval runs on every rank at the boundary and gathers each rank's answer",
  'the schema is announced to the link',
  'status is published',
  'pause, step N, resume',
  'replay gives a bit-identical result',
  '(an unsteered run differs)',
  'a missing replay log is a ReplayError on every rank',
  'a bad schema is a ParameterError',
  'pipelined agreement: same steps on every rank, replayed bit for bit',
];

function expectLoop(r: { stdout: string; stderr: string; status: number | null }, n: number): void {
  expect(r.stdout).not.toContain('FAIL');
  expectChecks(r, n, LOOP_CHECKS);
}

describe('the simulation loop on shared memory', () => {
  for (const n of [1, 2, 3, 4]) {
    it(`agrees on every rank and with the serial expectations (${n} rank${n > 1 ? 's' : ''})`, () => {
      expectLoop(simdeck(['run', '-n', String(n), deck('loop.ts')]), n);
    });
  }

  it('SIMDECK_REPLAY (what --replay sets) replays a steered run bit for bit, on another rank count too', { timeout: 240_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdeck-replay-'));
    const log = join(dir, 'run.jsonl');
    const rec = simdeck(['run', '-n', '2', deck('loop.ts')], { STEER_LOG_OUT: log });
    expectLoop(rec, 2);
    const recorded = /\[0\] result ([0-9a-f]{16})/.exec(rec.stdout)?.[1];
    expect(recorded).toBeDefined();
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ simdeck: 'steer-log', version: 1, params: { alpha: 0.1, mode: 'plain' } });
    const applied = lines.filter((l) => l.seq > 0);
    expect(applied.map((l) => l.command.kind)).toEqual(['set', 'eval', 'eval', 'eval', 'checkpoint', 'set', 'pause', 'step', 'set', 'resume', 'stop']);
    expect(applied.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(applied[0]).toMatchObject({ step: 5, source: 'browser', command: { kind: 'set', name: 'alpha', value: 0.2 } });
    expect(applied[8]).toMatchObject({ source: 'attach', command: { kind: 'set', name: 'alpha', value: 0.25 } }); // '0.25' from a terminal, converted
    expect(lines.filter((l) => l.error !== undefined).map((l) => l.error)).toEqual(['alpha must be at most 0.5 1/s, got 7', 'unknown parameter "beta"; steerable parameters are alpha, mode']);
    const stopStep = applied[10].step;
    // the excerpt shown in docs/steering.md is this log's beginning
    const doc = readFileSync(join(root, 'docs', 'steering.md'), 'utf8');
    const excerpt = /```text\n(\{"simdeck":"steer-log"[\s\S]*?)```/.exec(doc)![1]!.trim().split('\n');
    expect(readFileSync(log, 'utf8').split('\n').slice(0, excerpt.length)).toEqual(excerpt);
    for (const n of [1, 3]) {
      const r = simdeck(['run', '-n', String(n), deck('replay.ts')], { SIMDECK_REPLAY: log });
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain(`result ${recorded} at step ${stopStep} (steering)`);
    }
    const plain = simdeck(['run', '-n', '2', deck('replay.ts')]);
    expect(plain.stdout).toContain('at step 1000 (steps)');
    expect(plain.stdout).not.toContain(recorded);
  });

  it('prints the stop reason and the timers over ranks (min/mean/max) at the end', () => {
    const r = simdeck(['run', '-n', '2', deck('replay.ts'), '--report']);
    expect(r.stderr).toBe('');
    const out = r.stdout.split('\n').filter((l) => l.startsWith('[0] ')).map((l) => l.slice(4));
    expect(out[0]).toMatch(/^simulation stopped \(step count reached\) at step 1000, time 10, after \d[\d.]* (µs|ms|s) \(\d[\d.]* steps\/s\)$/);
    expect(out[1]).toMatch(/^phase\s+calls\s+min\s+mean\s+max\s+\(over 2 ranks\)$/);
    expect(out[2]).toMatch(/^step\s+1000\s+\d[\d.]* (µs|ms|s)\s+\d[\d.]* (µs|ms|s)\s+\d[\d.]* (µs|ms|s)$/);
  });
});

for (const mpi of MPIS) {
  describeMpi(mpi, 'the simulation loop', () => {
    for (const n of [2, 3]) {
      it(`agrees on every rank and with the serial expectations (${n} ranks)`, () => {
        expectLoop(runMpi(mpi, ['-n', String(n), deck('loop.ts')]), n);
      });
    }
  });
}
