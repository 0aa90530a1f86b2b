// MPI's own collectives on the world communicator (MPI_Iallreduce and MPI_Iallgather from 64 KiB,
// progressed in the transport's wait): the native-collectives conformance deck on 2 and 3 ranks
// of Open MPI and MPICH against the serial results (other communicators use messages in it),
// and a rank that floods its neighbour past the flow-control credit before a collective.
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { expectChecks } from '../helpers/conformance.js';
import { root } from '../helpers/job.js';
import { describeMpi, MPIS, runMpi, runMpiDeck } from './helpers.js';

const deck = join(root, 'test', 'decks', 'nativeCollectives.ts');
const CHECKS = ['native collectives on world', 'native collectives on a split communicator (reversed order)',
  'native collectives on a dup of world', 'more communicators than shared areas'];

for (const mpi of MPIS) {
  describeMpi(mpi, 'native collectives', () => {
    it.each([2, 3])('match the serial results on %i ranks', (n) => {
      expectChecks(runMpi(mpi, ['--hang-timeout', '120', '-n', String(n), deck]), n, CHECKS);
    }, 300_000);

    it('a rank waiting in a collective still gives credit back to a peer that sends to it first', () => {
      // Rank 0 enters a large allreduce (MPI_Iallreduce) at once; rank 1 first sends it 200
      // messages (far past its credit), which rank 0 can only take while it waits in it.
      const r = runMpiDeck(mpi, `import { world, Op } from 'simdeck';
if (world.rank === 1) for (let i = 0; i < 200; i++) world.send(i, 0, 3);
const big = new Float64Array(10000).fill(world.rank + 1);
world.allreduceInto(big, big, Op.SUM);
if (big[9999] !== 3) throw new Error('allreduce gave ' + big[9999]);
let sum = 0;
if (world.rank === 0) for (let i = 0; i < 200; i++) sum += world.recv(1, 3) as number;
console.log('sum', world.allreduce(sum, Op.SUM), world.bcast(world.rank === 1 ? 'b' : null, 1));
`, 2, ['--hang-timeout', '60']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('[0] sum 19900 b');
      expect(r.stdout).toContain('[1] sum 19900 b');
    }, 120_000);
  });
}
