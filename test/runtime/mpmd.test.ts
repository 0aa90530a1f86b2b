// MPMD: one job of three decks (`-n 2 ocean.ts : -n 1 coupler.ts : -n 3 atmos.ts`). Every rank
// shares `world`; each deck gets its own `app` communicator and `appIndex`; the components
// exchange fields through world, and ocean and atmosphere talk through an intercommunicator
// made from their `app`s, then merge it. Values are checked exactly.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { linesOf, root, runDeck, simdeck, writeDecks, type JobResult } from '../helpers/job.js';

const deck = (name: string) => join(root, 'test', 'decks', 'mpmd', name);

/** The `key = json` lines a rank printed, as a map. */
function report(stdout: string, rank: number): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const line of linesOf(stdout, rank)) {
    const at = line.indexOf(' = ');
    m.set(line.slice(0, at), JSON.parse(line.slice(at + 3)));
  }
  return m;
}

describe('MPMD: ocean (2 ranks) : coupler (1) : atmosphere (3)', () => {
  let r: JobResult;
  let rep: Map<string, unknown>[];
  beforeAll(() => {
    r = simdeck(['run', '-n', '2', deck('ocean.ts'), 'sea', ':', '-n', '1', deck('coupler.ts'), ':',
      '-n', '3', deck('atmos.ts'), 'air', '--levels=3']);
    rep = Array.from({ length: 6 }, (_, w) => report(r.stdout, w));
  });
  const OCEAN = [0, 1], COUPLER = 2, ATMOS = [3, 4, 5];

  it('runs to completion without errors', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('gives every rank the world of 6, its own app, its appIndex and its deck arguments', () => {
    const expected = [
      { worldRank: 0, worldSize: 6, appIndex: 0, appRank: 0, appSize: 2, args: ['sea'] },
      { worldRank: 1, worldSize: 6, appIndex: 0, appRank: 1, appSize: 2, args: ['sea'] },
      { worldRank: 2, worldSize: 6, appIndex: 1, appRank: 0, appSize: 1, args: [] },
      { worldRank: 3, worldSize: 6, appIndex: 2, appRank: 0, appSize: 3, args: ['air', '--levels=3'] },
      { worldRank: 4, worldSize: 6, appIndex: 2, appRank: 1, appSize: 3, args: ['air', '--levels=3'] },
      { worldRank: 5, worldSize: 6, appIndex: 2, appRank: 2, appSize: 3, args: ['air', '--levels=3'] },
    ];
    for (let w = 0; w < 6; w++) expect(rep[w].get('identity')).toEqual(expected[w]);
  });

  it('agrees on the layout through a world collective that all three decks call', () => {
    for (let w = 0; w < 6; w++) {
      expect(rep[w].get('layout')).toEqual({ apps: [0, 0, 1, 2, 2, 2], ocean: OCEAN, coupler: COUPLER, atmos: ATMOS });
    }
  });

  it('keeps app collectives inside each app', () => {
    const members = [OCEAN, [COUPLER], ATMOS];
    for (const ranks of members) {
      for (const w of ranks) {
        expect(rep[w].get('app.allreduce(world.rank)')).toBe(ranks.reduce((a, b) => a + b, 0));
        expect(rep[w].get('app.allgather(world.rank)')).toEqual(ranks);
        expect(rep[w].get('app.bcast')).toBe(`from world rank ${ranks[0]}`);
      }
    }
  });

  it('exchanges fields with the coupler through world', () => {
    // Ocean app rank k sends [10(k+1), 10(k+1)+1, 10(k+1)+2]; atmosphere app rank k sends 100(k+1)+i.
    const ocean = [0, 1, 2].map((i) => 10 + i + 20 + i);
    const atmos = [0, 1, 2].map((i) => 100 + i + 200 + i + 300 + i);
    expect(ocean).toEqual([30, 32, 34]);
    expect(atmos).toEqual([600, 603, 606]);
    expect(rep[COUPLER].get('received from')).toEqual([0, 1, 3, 4, 5]);
    for (const w of [...OCEAN, ...ATMOS]) {
      expect(rep[w].get('combined')).toEqual({ to: w, ocean, atmos, flux: [570, 571, 572] });
    }
    expect(rep[COUPLER].has('combined')).toBe(false);
  });

  it('connects ocean and atmosphere with an intercommunicator: remote ranks, send/recv across, isolation from world', () => {
    expect(rep[0].get('inter')).toEqual({ rank: 0, size: 2, remoteSize: 3 });
    expect(rep[1].get('inter')).toEqual({ rank: 1, size: 2, remoteSize: 3 });
    for (let k = 0; k < 3; k++) expect(rep[ATMOS[k]].get('inter')).toEqual({ rank: k, size: 3, remoteSize: 2 });
    // Ocean rank k -> atmosphere rank k; sources are ranks of the remote group.
    expect(rep[3].get('across')).toEqual({ value: { from: 'ocean', appRank: 0, sst: [10, 11, 12] }, source: 0, tag: 20 });
    expect(rep[4].get('across')).toEqual({ value: { from: 'ocean', appRank: 1, sst: [20, 21, 22] }, source: 1, tag: 20 });
    expect(rep[5].get('across')).toEqual({ value: 'to the last atmosphere rank', source: 0, tag: 20 });
    expect(rep[0].get('reply')).toEqual({ value: { from: 'atmos', appRank: 0, echo: 33 }, source: 0, tag: 21 });
    expect(rep[1].get('reply')).toEqual({ value: { from: 'atmos', appRank: 1, echo: 63 }, source: 1, tag: 21 });
    // Sent on world with the same tag before the intercommunicator message, received after it.
    expect(rep[3].get('world')).toBe('via world');
    expect(rep[4].get('world')).toBe('via world');
    expect(rep[COUPLER].has('inter')).toBe(false);
  });

  it('merges the intercommunicator in both orders', () => {
    const oceanFirst = [0, 1, 3, 4, 5];
    oceanFirst.forEach((w, k) => expect(rep[w].get('merged')).toEqual({ rank: k, size: 5, worldRanks: oceanFirst, sum: 13 }));
    const atmosFirst = [3, 4, 5, 0, 1];
    atmosFirst.forEach((w, k) => expect(rep[w].get('reversed')).toEqual({ rank: k, size: 5, worldRanks: atmosFirst }));
    expect(rep[COUPLER].has('merged')).toBe(false);
  });
});

describe('MPMD basics', () => {
  it('a single deck: app is world and appIndex is 0', () => {
    const r = runDeck(`import { world, app, appIndex } from 'simdeck';
console.log(app === world, appIndex, app.size, app.rank === world.rank);`, 3);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (let k = 0; k < 3; k++) expect(linesOf(r.stdout, k)).toEqual(['true 0 3 true']);
  });

  it('the same deck twice: two apps with their own index and communicator', () => {
    const dir = writeDecks({ 'twice.ts': `import { world, app, appIndex } from 'simdeck';
const s = app.allreduce(10 ** appIndex);
console.log(appIndex, app.rank, app.size, s, world.size, app === world);` });
    const r = simdeck(['run', '-n', '2', join(dir, 'twice.ts'), ':', '-n', '3', join(dir, 'twice.ts')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect([0, 1, 2, 3, 4].map((w) => linesOf(r.stdout, w))).toEqual([
      ['0 0 2 2 5 false'], ['0 1 2 2 5 false'],
      ['1 0 3 30 5 false'], ['1 1 3 30 5 false'], ['1 2 3 30 5 false'],
    ]);
  });

  it('runs the coupled example of docs/mpmd.md with the values the page shows', () => {
    const ex = (name: string) => join(root, 'docs', 'examples', 'coupled', name);
    const r = simdeck(['run', '-n', '2', ex('ocean.ts'), ':', '-n', '1', ex('coupler.ts'), ':', '-n', '3', ex('atmosphere.ts')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(linesOf(r.stdout, 2)).toEqual([
      'coupler: app 1, world rank 2 of 6, app size 1',
      'coupler step 0: ocean 19.750, air 9.375 -> flux 5.188',
      'coupler step 1: ocean 19.231, air 9.894 -> flux 4.669',
      'coupler step 2: ocean 18.764, air 10.361 -> flux 4.202',
    ]);
    expect(linesOf(r.stdout, 0)).toContain('ocean: 5 ranks in the merged communicator, mean temperature 13.806');
    expect(linesOf(r.stdout, 3)).toContain('atmosphere: merged rank 2 of 5, mean temperature 13.806');
    expect(linesOf(r.stdout, 4)).toEqual(['atmosphere rank 1: 4 ocean cells from ocean rank 1, first 18.594']);
    expect(linesOf(r.stdout, 5)).toEqual([]);
  });
});
