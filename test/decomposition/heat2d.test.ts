// heat2d end to end (native-examples/heat2d): the C deck and the Fortran layout-'F' deck on 1 to
// 5 ranks compute the same field bit for bit (same fingerprint of the gathered field) and the
// same totals as the serial run.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, simdeck } from '../helpers/job.js';
import { describeFortran } from '../kernels/helpers.js';

const example = (name: string) => join(root, 'native-examples', 'heat2d', name);

function run(deck: string, n: number, extra: Record<string, string> = {}) {
  const r = simdeck(['run', '-n', String(n), example(deck)], extra);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const fp = /field fingerprint ([0-9a-f]{8})/.exec(r.stdout)?.[1];
  const sq = /sum of u\^2 (\S+ -> \S+)/.exec(r.stdout)?.[1];
  const heat = /total heat (\S+ -> \S+)/.exec(r.stdout)?.[1];
  expect(fp, r.stdout).toBeDefined();
  return { out: r.stdout, fp, sq, heat };
}

describe('heat2d on a Grid', () => {
  it('the C deck gives the same field on 1, 2 (2x1), 3 (3x1) and 4 (2x2) ranks', () => {
    const one = run('deck.ts', 1);
    expect(one.sq).toBe('3969.000000 -> 2799.637506');
    expect(one.heat).toBe('3969.000 -> 3969.000');
    for (const [n, grid] of [[2, '2x1'], [3, '3x1'], [4, '2x2']] as const) {
      const r = run('deck.ts', n);
      expect(r.out).toContain(`[0] C kernel, 256x256 on ${n} ranks, 200 steps in`);
      expect(r.out).toContain(`(blocks of a ${grid} process grid)`);
      expect(r.fp).toBe(one.fp);
      expect(r.sq).toBe(one.sq);
    }
  });
});

describeFortran('heat2d on a Grid with the Fortran kernel', () => {
  it('the Fortran deck on layout F gives the C deck\'s field bit for bit (1x2, 1x3, 2x2 and uneven 5 ranks)', () => {
    const c = run('deck.ts', 1);
    for (const n of [1, 2, 3, 4, 5]) {
      const f = run('fortran.ts', n);
      expect(f.fp).toBe(c.fp);
      expect(f.sq).toBe(c.sq);
      expect(f.heat).toBe('3969.000 -> 3969.000');
      expect(f.out).toContain(`Fortran kernel on layout 'F', 256x256 on ${n} ranks`);
    }
    const viaEnv = run('deck.ts', 2, { HEAT_KERNEL: 'fortran' });
    expect(viaEnv.fp).toBe(c.fp);
  });
});

describe('coupling.ts: a Redistribution between two components', () => {
  it('gives the same analysis on 2, 4 and 5 ranks (other solver and analysis decompositions)', () => {
    const lines = (n: number) => {
      const r = simdeck(['run', '-n', String(n), example('coupling.ts')]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return r.stdout.split('\n').filter((l) => / step \d+: /.test(l)).map((l) => l.replace(/^\[\d+\] /, ''));
    };
    const two = lines(2);
    expect(two).toEqual([
      'step 100: hottest column j=64 peaks at 0.867108; total heat 529.000000',
      'step 200: hottest column j=64 peaks at 0.642369; total heat 529.000000',
      'step 300: hottest column j=64 peaks at 0.498657; total heat 528.999826',
    ]);
    expect(lines(4)).toEqual(two);
    expect(lines(5)).toEqual(two);
  });
});

describe('the deck of DESIGN.md', () => {
  it('runs as written on 4 ranks (2048x2048, 500 steps, sum and gather)', () => {
    const r = simdeck(['run', '-n', '4', join(root, 'test', 'decks', 'decomposition', 'design.ts')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('[0] total heat 0');
  });
});
