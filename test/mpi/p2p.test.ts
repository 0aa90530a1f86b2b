// Point-to-point conformance on MPI: the shared-memory suite's deck (test/decks/p2p.ts) on Open
// MPI and MPICH, through `simdeck run --transport mpi` and through the bare MPI launcher
// (`mpirun -np N node simdeck deck.ts`), on 1 to 5 ranks (more ranks than the 2 cores
// included), spinning and sleeping; and messages past 2 GiB.
import { expect, it } from 'vitest';
import { P2P_CHECKS } from '../decks/checks.js';
import { expectChecks } from '../helpers/conformance.js';
import { join } from 'node:path';
import { root, type JobResult } from '../helpers/job.js';
import { describeMpi, MPIS, runLauncher, runMpi } from './helpers.js';

const deck = join(root, 'test', 'decks', 'p2p.ts');

function expectAllChecks(r: JobResult, n: number, prefixed = true) {
  expectChecks(r, n, P2P_CHECKS, prefixed);
  for (let k = 0; k < n; k++) expect(r.stdout).toContain(`DONE rank ${k}`);
}

for (const mpi of MPIS) {
  describeMpi(mpi, 'point-to-point', () => {
    it.each([1, 2, 3, 4])('passes every check on %i ranks (simdeck run --transport mpi)', (n) => {
      expectAllChecks(runMpi(mpi, ['-n', String(n), deck, 'alpha', '--beta=2']), n);
    });
    it('passes on 5 ranks of 2 cores, sleeping between polls', () => {
      expectAllChecks(runMpi(mpi, ['--wait', 'block', '-n', '5', deck, 'alpha', '--beta=2']), 5);
    });
    it('passes with spinning forced on an oversubscribed machine', () => {
      expectAllChecks(runMpi(mpi, ['--wait', 'spin', '-n', '4', deck, 'alpha', '--beta=2']), 4);
    });
    it('passes under the bare MPI launcher (each rank runs `simdeck deck.ts`)', () => {
      expectAllChecks(runLauncher(mpi, [[3, deck, 'alpha', '--beta=2']]), 3, false);
    });
    it('moves a message larger than 2 GiB, as a value and into a buffer', () => {
      const r = runMpi(mpi, ['-n', '2', join(root, 'test', 'decks', 'huge.ts')], {}, 300_000);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('[0] OK sent');
      expect(r.stdout).toContain('[1] OK received');
    });
  });
}
