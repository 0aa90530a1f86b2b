// Fuzz of the public API on Open MPI and MPICH: the shared-memory suite's deck (at least 5,000
// random bad calls per rank, seeded, interleaved with checked exchanges), under each MPI.
import { it } from 'vitest';
import { expectFuzzClean, FUZZ_CALLS, FUZZ_DECK, FUZZ_SEED } from '../helpers/fuzz.js';
import { describeMpi, MPIS, runMpi } from './helpers.js';

for (const mpi of MPIS) {
  describeMpi(mpi, 'fuzz of the public API', () => {
    it(`refuses ${FUZZ_CALLS} bad calls per rank with typed errors and loses no message (2 ranks, seed ${FUZZ_SEED})`, () => {
      const r = runMpi(mpi, ['--hang-timeout', '60', '-n', '2', FUZZ_DECK, String(FUZZ_SEED), String(FUZZ_CALLS)]);
      expectFuzzClean(r, 2);
    }, 180_000);
  });
}
