// Collectives, communicators, groups, intercommunicators and Cartesian topologies on MPI (the
// shared-memory suite's decks), and collective-mismatch diagnosis, on Open MPI and MPICH.
import { expect, it } from 'vitest';
import { COMMUNICATOR_CHECKS, MISMATCH_CASES } from '../decks/checks.js';
import { join } from 'node:path';
import { root } from '../helpers/job.js';
import { describeMpi, MPIS, runMpi, runMpiDeck, type Mpi } from './helpers.js';

const deck = (name: string) => join(root, 'test', 'decks', name);

for (const mpi of MPIS) {
  describeMpi(mpi, 'collectives', () => {
    it.each([1, 2, 3, 4, 5])('every collective × root × value kind matches the serial result on %i ranks', (n) => {
      const r = runMpi(mpi, ['--hang-timeout', '60', '-n', String(n), deck('collectives.ts')]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const p = n > 1 ? '[0] ' : '';
      expect(r.stdout).toContain(`${p}OK world: every collective on ${n} ranks matches the serial result`);
      expect(r.stdout).toContain(`${p}OK split: every collective on`);
      expect(r.stdout).toContain(`${p}OK dup: every collective on ${n} ranks matches the serial result`);
      expect(r.stdout).toContain(`${p}OK a root that stays out of simdeck after its bcasts holds none of them back`);
    });
  });

  describeMpi(mpi, 'communicators, groups and topologies', () => {
    it.each([1, 2, 3, 4, 5])('pass every check on %i ranks', (n) => {
      const r = runMpi(mpi, ['--hang-timeout', '60', '-n', String(n), deck('communicators.ts')]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const p = n > 1 ? '[0] ' : '';
      for (const c of COMMUNICATOR_CHECKS) expect(r.stdout).toContain(`${p}OK ${c}`);
    });
  });

  describeMpi(mpi, 'collective-mismatch diagnosis', () => mismatchSuite(mpi));
}

function mismatchSuite(mpi: Mpi) {
  const mismatch = (body: string, n: number) => {
    const r = runMpiDeck(mpi, `import { world, Op } from 'simdeck';\n${body}\n`, n, ['--hang-timeout', '30']);
    expect(r.status, r.stderr).not.toBe(0);
    expect(r.stderr).toContain('CollectiveMismatchError: collective mismatch on world');
    return r.stderr;
  };

  for (const c of MISMATCH_CASES) {
    it(c.name, () => {
      const err = mismatch(c.body, c.ranks);
      for (const e of c.expect) expect(err).toMatch(e);
    });
  }

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
