// Fuzz of the public API on the shared-memory transport: at least 5,000 random bad calls per
// rank (seeded; the seed is printed), each a SimdeckError thrown before any side effect, with
// checked exchanges in between: nothing lost, duplicated or sent by a refused call; no crash,
// no hang. On 3 ranks of 2 cores, so ranks also sleep on futexes.
import { describe, it } from 'vitest';
import { simdeck } from '../helpers/job.js';
import { expectFuzzClean, FUZZ_CALLS, FUZZ_DECK, FUZZ_SEED } from '../helpers/fuzz.js';

describe('fuzz of the public API on shared memory', () => {
  it(`refuses ${FUZZ_CALLS} bad calls per rank with typed errors and loses no message (3 ranks, seed ${FUZZ_SEED})`, () => {
    const r = simdeck(['run', '--hang-timeout', '60', '-n', '3', FUZZ_DECK, String(FUZZ_SEED), String(FUZZ_CALLS)]);
    expectFuzzClean(r, 3);
  }, 180_000);
});
