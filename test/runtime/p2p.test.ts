// Point-to-point conformance: the same deck on 1 to 5 ranks (more ranks than cores included),
// on both large-message paths (single-copy reads and ring streaming) and both wait strategies.
import { describe, expect, it } from 'vitest';
import { P2P_CHECKS } from '../decks/checks.js';
import { expectChecks } from '../helpers/conformance.js';
import { join } from 'node:path';
import { root, simdeck } from '../helpers/job.js';

const deck = join(root, 'test', 'decks', 'p2p.ts');

function expectAllChecks(n: number, extra: string[] = [], env: Record<string, string> = {}) {
  const r = simdeck(['run', ...extra, '-n', String(n), deck, 'alpha', '--beta=2'], env);
  expectChecks(r, n, P2P_CHECKS);
  for (let k = 0; k < n; k++) expect(r.stdout).toContain(`DONE rank ${k}`);
}

describe('point-to-point on the shared-memory transport', () => {
  it.each([1, 2, 3, 4])('passes every check on %i ranks', (n) => expectAllChecks(n));
  it('passes on 5 ranks of 2 cores, sleeping on futexes', () => expectAllChecks(5, ['--wait', 'block']));
  it('passes with large messages streamed through the ring (no process_vm_readv)', () =>
    expectAllChecks(3, [], { SIMDECK_SHM_CMA: '0' }));
  it('passes with spinning forced on an oversubscribed machine', () => expectAllChecks(4, ['--wait', 'spin']));
});
