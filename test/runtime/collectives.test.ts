// Collectives, communicators, groups, intercommunicators and topologies on 1 to 5 ranks (more
// than the cores; collectives also on 6, where two ranks fold into the recursive doubling and
// Bruck's allgather sends partial rounds), each checked against the serial computation; and collective-mismatch
// diagnosis: every kind of disagreement fails the job with a message naming ranks and calls.
import { describe, expect, it } from 'vitest';
import { collectiveChecks, COMMUNICATOR_CHECKS } from '../decks/checks.js';
import { expectChecks, itMismatchCases } from '../helpers/conformance.js';
import { join } from 'node:path';
import { root, runDeck, simdeck } from '../helpers/job.js';

const deck = (name: string) => join(root, 'test', 'decks', name);

describe('collectives', () => {
  it.each([1, 2, 3, 4, 5, 6])('every collective × root × value kind matches the serial result on %i ranks', (n) => {
    expectChecks(simdeck(['run', '--hang-timeout', '60', '-n', String(n), deck('collectives.ts')]), n, collectiveChecks(n));
  });
});

describe('communicators, groups and topologies', () => {
  it.each([1, 2, 3, 4, 5])('pass every check on %i ranks', (n) => {
    expectChecks(simdeck(['run', '--hang-timeout', '60', '-n', String(n), deck('communicators.ts')]), n, COMMUNICATOR_CHECKS);
  });
});

describe('collective-mismatch diagnosis', () => {
  itMismatchCases((source, n) => runDeck(source, n, ['--hang-timeout', '30']), (r) => expect(r.status, r.stderr).toBe(1));

  it('does not mistake ranks that are ahead, by a collective or more, for a mismatch', () => {
    // Rank 3 waits in bcast #k for rank 2 (slow) while rank 1, already in bcast #k+1, sends it
    // that collective's message: legitimate, and must not be reported.
    const r = runDeck(`import { world } from 'simdeck';
const nap = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
let sum = 0;
for (let k = 0; k < 6; k++) {
  if (world.rank === 2) nap(150);
  sum += world.bcast(world.rank === 0 ? k : null, 0) as number;
  sum += world.bcast(world.rank === 1 ? 10 * k : null, 1) as number;
}
console.log('sum', sum);
`, 4, ['--wait', 'spin']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (let k = 0; k < 4; k++) expect(r.stdout).toContain(`[${k}] sum 165`);
  });

  it('does not report the next collective\'s message that arrives with the one awaited', () => {
    // Rank 0 jitters, so rank 1 often waits and sometimes finds both messages at once.
    const r = runDeck(`import { world } from 'simdeck';
for (let i = 0; i < 10000; i++) {
  if (world.rank === 0) { const t = performance.now() + Math.random() * 0.2; while (performance.now() < t); }
  world.bcast(i, 0);
  world.bcast(i, 0);
}
if (world.rank === 0) console.log('no false mismatch');
`, 2);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('[0] no false mismatch');
  });

  it('a receive from a rank that has finished its deck fails instead of hanging', () => {
    const r = runDeck(`import { world } from 'simdeck';\nif (world.rank === 0) world.recv(1, 5);\n`, 2);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[rank 0] DeadlockError: recv(source=1, tag=5, comm=world) can never complete: rank 1 has finished its deck');
  });

  it('does not slow correct programs into errors: the check can be switched off', () => {
    const r = runDeck(`import { world } from 'simdeck';\nconsole.log(world.allreduce(world.rank));\n`, 2, [], { SIMDECK_COLLECTIVE_CHECK: '0' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[0] 1');
  });
});
