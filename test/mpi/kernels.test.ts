// Communicators for native code: a C kernel compiled with mpicc does MPI_Allreduce on the
// `handle` of a communicator from a deck's split; a Fortran kernel compiled with mpifort does
// the same with `fortranHandle`; on Open MPI (pointer handles) and MPICH (int handles). On the
// shared-memory transport, `handle` is a typed error.
import { expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linesOf, root, runDeck } from '../helpers/job.js';
import { describeMpi, MPIS, runMpi } from './helpers.js';

const deck = join(root, 'test', 'mpi', 'fixtures', 'kernels-deck.ts');

for (const mpi of MPIS) {
  describeMpi(mpi, 'C and Fortran kernels that call MPI on simdeck communicators', () => {
    it('allreduce over a split communicator, from C (MPI_Comm) and Fortran (integer handle)', () => {
      const cache = mkdtempSync(join(tmpdir(), 'simdeck-mpi-kernels-'));
      const r = runMpi(mpi, ['-n', '4', deck, mpi, cache], {}, 300_000);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      for (let w = 0; w < 4; w++) {
        const got = JSON.parse(linesOf(r.stdout, w)[0]);
        // Ranks of equal parity, ordered by key -world rank: [2, 0] and [3, 1]; x = world rank + 1.
        const members = w % 2 === 0 ? [2, 0] : [3, 1];
        const sum = members.reduce((s, m) => s + m + 1, 0);
        expect(got).toEqual({
          rank: w,
          handleType: mpi === 'openmpi' ? 'bigint' : 'number',
          half: { rank: members.indexOf(w), size: 2 },
          c: { rank: members.indexOf(w), size: 2, sum, sumViaFortranHandle: sum },
          fortran: { rank: members.indexOf(w), sum },
          world: { size: 4, sum: 10, sameHandle: true },
        });
      }
    });
  });
}

it('comm.handle on the shared-memory transport is a TransportError that says how to get MPI', () => {
  const r = runDeck(`import { world, TransportError } from 'simdeck';
try { world.handle; } catch (e) { console.log(e instanceof TransportError, (e as Error).message); }
try { world.fortranHandle; } catch (e) { console.log(e instanceof TransportError); }
`, 1);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain("true handle needs the MPI transport, but this job runs on 'shm'");
  expect(r.stdout).toContain('--transport mpi');
});

for (const mpi of MPIS) {
  describeMpi(mpi, 'the library\'s own allreduce (transport.nativeAllreduce)', () => {
    it('matches simdeck\'s allreduce for every element type and built-in operator, in place or not', () => {
      const r = runMpi(mpi, ['-n', '3', join(root, 'test', 'mpi', 'fixtures', 'native-allreduce.ts')]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      for (let w = 0; w < 3; w++) expect(JSON.parse(linesOf(r.stdout, w)[0])).toEqual({ rank: w, checked: 80 });
    });
  });
}
