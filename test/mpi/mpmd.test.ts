// MPMD on MPI: the shared-memory suite's ocean (2) : coupler (1) : atmosphere (3) job, through
// `simdeck run --transport mpi` and as users write it for the MPI launcher
// (`mpirun -np 2 node simdeck ocean.ts : -np 1 ...`, app index from MPI_APPNUM).
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { linesOf, root, type JobResult } from '../helpers/job.js';
import { describeMpi, MPIS, runLauncher, runMpi } from './helpers.js';

const deck = (name: string) => join(root, 'test', 'decks', 'mpmd', name);

function report(stdout: string, rank: number): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const line of linesOf(stdout, rank)) {
    const at = line.indexOf(' = ');
    if (at > 0) m.set(line.slice(0, at), JSON.parse(line.slice(at + 3)));
  }
  return m;
}

function checkJob(r: JobResult) {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const rep = Array.from({ length: 6 }, (_, w) => report(r.stdout, w));
  const apps = [0, 0, 1, 2, 2, 2];
  const args = [['sea'], ['sea'], [], ['air', '--levels=3'], ['air', '--levels=3'], ['air', '--levels=3']];
  const appRank = [0, 1, 0, 0, 1, 2];
  const appSize = [2, 2, 1, 3, 3, 3];
  for (let w = 0; w < 6; w++) {
    expect(rep[w].get('identity')).toEqual({ worldRank: w, worldSize: 6, appIndex: apps[w], appRank: appRank[w], appSize: appSize[w], args: args[w] });
    expect(rep[w].get('layout')).toEqual({ apps, ocean: [0, 1], coupler: 2, atmos: [3, 4, 5] });
  }
  for (const ranks of [[0, 1], [2], [3, 4, 5]]) {
    for (const w of ranks) {
      expect(rep[w].get('app.allreduce(world.rank)')).toBe(ranks.reduce((a, b) => a + b, 0));
      expect(rep[w].get('app.allgather(world.rank)')).toEqual(ranks);
    }
  }
  expect(rep[2].get('received from')).toEqual([0, 1, 3, 4, 5]);
  for (const w of [0, 1, 3, 4, 5]) expect(rep[w].get('combined')).toEqual({ to: w, ocean: [30, 32, 34], atmos: [600, 603, 606], flux: [570, 571, 572] });
  expect(rep[3].get('across')).toEqual({ value: { from: 'ocean', appRank: 0, sst: [10, 11, 12] }, source: 0, tag: 20 });
  expect(rep[5].get('across')).toEqual({ value: 'to the last atmosphere rank', source: 0, tag: 20 });
  expect(rep[1].get('reply')).toEqual({ value: { from: 'atmos', appRank: 1, echo: 63 }, source: 1, tag: 21 });
  expect(rep[3].get('world')).toBe('via world');
  [0, 1, 3, 4, 5].forEach((w, k) => expect(rep[w].get('merged')).toEqual({ rank: k, size: 5, worldRanks: [0, 1, 3, 4, 5], sum: 13 }));
  [3, 4, 5, 0, 1].forEach((w, k) => expect(rep[w].get('reversed')).toEqual({ rank: k, size: 5, worldRanks: [3, 4, 5, 0, 1] }));
}

for (const mpi of MPIS) {
  describeMpi(mpi, 'MPMD: ocean (2) : coupler (1) : atmosphere (3)', () => {
    it('runs under simdeck run --transport mpi with world, app, appIndex, coupling, intercommunicators', () => {
      checkJob(runMpi(mpi, ['-n', '2', deck('ocean.ts'), 'sea', ':', '-n', '1', deck('coupler.ts'), ':',
        '-n', '3', deck('atmos.ts'), 'air', '--levels=3']));
    });
    it('runs under the bare MPI launcher, one `simdeck deck.ts` per part', () => {
      checkJob(runLauncher(mpi, [[2, deck('ocean.ts'), 'sea'], [1, deck('coupler.ts')], [3, deck('atmos.ts'), 'air', '--levels=3']],
        { SIMDECK_OUTPUT: 'prefixed' }));
    });
  });
}
