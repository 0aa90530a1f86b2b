// Codes that keep their own loop: a C and a Fortran solver (native-examples/steered-loop) whose
// time loop lives in compiled code, steered through Simulation.runNative's callback on real jobs.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectChecks } from '../helpers/conformance.js';
import { root, simdeck } from '../helpers/job.js';
import { describeFortran } from '../kernels/helpers.js';
import { describeMpi, MPIS, runMpi } from '../mpi/helpers.js';

const deck = join(root, 'test', 'decks', 'steer', 'native.ts');
const example = join(root, 'native-examples', 'steered-loop', 'deck.ts');
const checks = (lang: string) => [
  `${lang}: a parameter change and a stop reach the compiled loop at the same step on every rank`,
  `${lang}: a pause holds the compiled loop until resumed`,
];
const fields = (out: string) => /fields ([0-9a-f]{16})/.exec(out)?.[1];

describe('a C solver that owns its time loop', () => {
  for (const n of [1, 3]) {
    it(`is steered through the callback on ${n} rank${n > 1 ? 's' : ''}`, () => {
      const r = simdeck(['run', '-n', String(n), deck]);
      expect(r.stdout).not.toContain('FAIL');
      expectChecks(r, n, checks('C'));
    });
  }

  it('native-examples/steered-loop/deck.ts runs to its stop time', () => {
    const r = simdeck(['run', '-n', '2', example]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([
      '[0] step 250  t = 2.50  mean temperature 273.723 K',
      '[0] step 500  t = 5.00  mean temperature 292.495 K',
      '[0] step 750  t = 7.50  mean temperature 297.857 K',
      '[0] step 1000  t = 10.00  mean temperature 299.388 K',
      '[0] C loop ended at step 1000 (time)',
    ]);
  });
});

describeFortran('a Fortran solver that owns its time loop', () => {
  for (const n of [2, 4]) {
    it(`is steered through the callback on ${n} ranks, with the C solver's result bit for bit`, () => {
      const r = simdeck(['run', '-n', String(n), deck, 'fortran']);
      expect(r.stdout).not.toContain('FAIL');
      expectChecks(r, n, checks('Fortran'));
      const c = simdeck(['run', '-n', String(n), deck]);
      expect(fields(r.stdout)).toBeDefined();
      expect(fields(r.stdout)).toBe(fields(c.stdout));
    });
  }

  it('the example deck with RELAX=fortran gives the C deck\'s output', () => {
    const f = simdeck(['run', '-n', '2', example], { RELAX: 'fortran' });
    const c = simdeck(['run', '-n', '2', example]);
    expect(f.stderr).toBe('');
    expect(f.stdout.replace('Fortran loop', 'C loop')).toBe(c.stdout);
  });
});

for (const mpi of MPIS) {
  describeMpi(mpi, 'compiled loops steered through the callback', () => {
    it('C and Fortran on 2 ranks', () => {
      const c = runMpi(mpi, ['-n', '2', deck]);
      expectChecks(c, 2, checks('C'));
      const f = runMpi(mpi, ['-n', '2', deck, 'fortran']);
      expectChecks(f, 2, checks('Fortran'));
      expect(fields(f.stdout)).toBe(fields(c.stdout));
    });
  });
}
