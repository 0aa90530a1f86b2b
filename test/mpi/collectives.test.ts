// Collectives, communicators, groups, intercommunicators and Cartesian topologies on MPI (the
// shared-memory suite's decks), and collective-mismatch diagnosis, on Open MPI and MPICH.
import { expect, it } from 'vitest';
import { COMMUNICATOR_CHECKS } from '../decks/checks.js';
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

  it('names the ranks and calls when ranks enter different collectives', () => {
    const err = mismatch(`if (world.rank === 0) world.bcast(1, 0); else world.reduce(1, Op.SUM, 0);`, 3);
    expect(err).toMatch(/rank \d called (bcast|reduce)\(root=0\) but rank \d called (bcast|reduce)\(root=0\)/);
  });

  it('catches a disagreement that nothing waits on (found when the deck ends)', () => {
    const err = mismatch(`if (world.rank === 0) world.bcast(1, 0); else world.reduce(1, Op.SUM, 0);`, 2);
    expect(err).toMatch(/rank 1 called reduce\(root=0\) but rank 0 called bcast\(root=0\)|rank 0 called bcast\(root=0\) but rank 1 called reduce\(root=0\)/);
  });

  it('catches ranks that disagree on the root', () => {
    const err = mismatch(`world.bcast('x', world.rank === 1 ? 1 : 0); world.barrier();`, 4);
    expect(err).toMatch(/called bcast\(root=1\) but rank \d called bcast\(root=0\)|called bcast\(root=0\) but rank \d called bcast\(root=1\)/);
  });

  it('catches typed-array lengths that differ where they must agree', () => {
    const err = mismatch(`world.allreduce(new Float64Array(world.rank === 2 ? 4 : 3));`, 3);
    expect(err).toMatch(/allreduce\(3 elements.*\) but rank \d called allreduce\(4 elements|allreduce\(4 elements.*\) but rank \d called allreduce\(3 elements/);
  });

  it('catches a rank that skipped a collective', () => {
    const err = mismatch(`if (world.rank !== 1) world.barrier(); world.allreduce(world.rank);`, 3);
    expect(err).toMatch(/barrier|allreduce/);
  });

  it('catches a rank that skipped a collective and finished its deck while the others wait', () => {
    const err = mismatch(`if (world.rank !== 1) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); world.barrier(); }`, 3);
    expect(err).toMatch(/waits in barrier\(\) on world \[collective #0\] but rank 1 has finished its deck/);
  });

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
