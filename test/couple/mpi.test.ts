// Coupling under Open MPI and MPICH (`simdeck run --transport mpi`): mapping on 2:3, 1:2 and 1:1 ranks, bit
// for bit as serially; the gas-turbine example as one deck and as an MPMD job (components named
// after their decks), with the same fingerprints.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { root } from '../helpers/job.js';
import { describeMpi, MPIS, runMpi } from '../mpi/helpers.js';
import { fingerprints, mappingProblems, serialHashes } from './reference.js';

const serial = serialHashes();
const example = (name: string) => join(root, 'native-examples', 'coupled', name);

for (const mpi of MPIS) {
  describeMpi(mpi, 'coupling', () => {
    it('maps on 2:3 ranks bit for bit as serially, linear exact, conservative conserving', () => {
      const r = runMpi(mpi, ['-n', '5', join(root, 'test', 'couple', 'decks', 'mapping.ts'), '2', '3']);
      expect(mappingProblems(r, 5, serial)).toEqual([]);
    }, 300_000);
    it('maps on 1:2 and 1:1 ranks bit for bit as serially (the one source rank maps each target block whole; on 1:1 in 9 bands)', () => {
      const r = runMpi(mpi, ['-n', '3', join(root, 'test', 'couple', 'decks', 'mapping.ts'), '1', '2']);
      expect(mappingProblems(r, 3, serial)).toEqual([]);
      const one = runMpi(mpi, ['-n', '2', join(root, 'test', 'couple', 'decks', 'mapping.ts'), '1', '1']);
      expect(mappingProblems(one, 2, serial)).toEqual([]);
    }, 300_000);
    it("a same-grid 'parallel' interface never changes the target while update runs", () => {
      const r = runMpi(mpi, ['-n', '2', join(root, 'test', 'couple', 'decks', 'staging.ts')]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('[1] landed during update: 0 of 10');
    });
    it('runs the gas turbine as one deck and as MPMD with the same results', () => {
      const one = runMpi(mpi, ['-n', '7', example('coupled.ts'), 'steps=100']);
      expect(one.status).toBe(0);
      const want = fingerprints(one.stdout);
      expect(want).toHaveLength(4);
      const parts = ['compressor', 'combustor', 'exhaust', 'control'].flatMap((c, k) => [...(k ? [':'] : []), '-n', String([2, 3, 1, 1][k]), example(`${c}.ts`), 'steps=100']);
      const mpmd = runMpi(mpi, parts);
      expect(mpmd.status).toBe(0);
      expect(fingerprints(mpmd.stdout)).toEqual(want);
    }, 300_000);
  });
}
