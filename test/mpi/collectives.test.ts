// Collectives, communicators, groups, intercommunicators and Cartesian topologies on MPI (the
// shared-memory suite's decks), and collective-mismatch diagnosis, on Open MPI and MPICH.
import { expect, it } from 'vitest';
import { collectiveChecks, COMMUNICATOR_CHECKS } from '../decks/checks.js';
import { expectChecks, itMismatchCases } from '../helpers/conformance.js';
import { join } from 'node:path';
import { root } from '../helpers/job.js';
import { describeMpi, MPIS, runMpi, runMpiDeck, type Mpi } from './helpers.js';

const deck = (name: string) => join(root, 'test', 'decks', name);

for (const mpi of MPIS) {
  describeMpi(mpi, 'collectives', () => {
    it.each([1, 2, 3, 4, 5])('every collective × root × value kind matches the serial result on %i ranks', (n) => {
      expectChecks(runMpi(mpi, ['--hang-timeout', '60', '-n', String(n), deck('collectives.ts')]), n, collectiveChecks(n));
    });
  });

  describeMpi(mpi, 'communicators, groups and topologies', () => {
    it.each([1, 2, 3, 4, 5])('pass every check on %i ranks', (n) => {
      expectChecks(runMpi(mpi, ['--hang-timeout', '60', '-n', String(n), deck('communicators.ts')]), n, COMMUNICATOR_CHECKS);
    });
  });

  describeMpi(mpi, 'collective-mismatch diagnosis', () => mismatchSuite(mpi));
}

function mismatchSuite(mpi: Mpi) {
  itMismatchCases((source, n) => runMpiDeck(mpi, source, n, ['--hang-timeout', '30']), (r) => expect(r.status, r.stderr).not.toBe(0));

  it('a receive from a rank that has finished its deck fails instead of hanging', () => {
    const r = runMpiDeck(mpi, `import { world } from 'simdeck';\nif (world.rank === 0) world.recv(1, 5);\n`, 2);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('[rank 0] DeadlockError: recv(source=1, tag=5, comm=world) can never complete: rank 1 has finished its deck');
  });

  it('the check can be switched off', () => {
    const r = runMpiDeck(mpi, `import { world } from 'simdeck';\nconsole.log(world.allreduce(world.rank));\n`, 2, [], { SIMDECK_COLLECTIVE_CHECK: '0' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[0] 1');
  });
}
