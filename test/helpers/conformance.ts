// Assertions shared by the conformance suites that run the same decks on every transport
// (test/runtime for shared memory, test/mpi for Open MPI and MPICH).
import { expect, it } from 'vitest';
import { MISMATCH_CASES } from '../decks/checks.js';
import type { JobResult } from './job.js';

/**
 * Asserts that a conformance deck's job on `n` ranks ended cleanly (status 0, nothing on stderr)
 * and that rank 0 printed `OK <check>` for every check (with its `[0] ` prefix when `prefixed`).
 */
export function expectChecks(r: JobResult, n: number, checks: readonly string[], prefixed = true): void {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const prefix = prefixed && n > 1 ? '[0] ' : '';
  for (const c of checks) expect(r.stdout).toContain(`${prefix}OK ${c}`);
}

/**
 * One test per collective-mismatch case: `run` runs a deck's source on `n` ranks, and
 * `expectFailed` checks the job's exit status; stderr must name the CollectiveMismatchError
 * on world and match the case's patterns.
 */
export function itMismatchCases(run: (source: string, n: number) => JobResult, expectFailed: (r: JobResult) => void): void {
  for (const c of MISMATCH_CASES) {
    it(c.name, () => {
      const r = run(`import { world, Op } from 'simdeck';\n${c.body}\n`, c.ranks);
      expectFailed(r);
      expect(r.stderr).toContain('CollectiveMismatchError: collective mismatch on world');
      for (const e of c.expect) expect(r.stderr).toMatch(e);
    });
  }
}
