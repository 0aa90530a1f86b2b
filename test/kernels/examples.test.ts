// The native examples' decks run as written under the launcher on 2 ranks, with the C and the
// Fortran heat kernels giving the same physics, and the advect deck reading module data.
import { expect, test } from 'vitest';
import { describeFortran, example } from './helpers.js';
import { runDeck } from './launcher.js';

const squares = (out: string): string => /sum of u\^2 (\S+ -> \S+)/.exec(out)?.[1] ?? `no result in: ${out}`;
let serial = '';

test('heat2d deck with the C kernel: the same field on 1, 2 and 3 ranks', () => {
  const one = runDeck(example('heat2d/deck.ts'), 1);
  expect(one.status).toBe(0);
  serial = squares(one.stdout);
  expect(serial).toBe('3969.000000 -> 2799.637506');
  const r = runDeck(example('heat2d/deck.ts'), 2);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/C kernel, 256x256 on 2 ranks, 200 steps/);
  expect(r.stdout).toMatch(/total heat 3969\.000 -> 3969\.000/);
  expect(squares(r.stdout)).toBe(serial);
  expect(squares(runDeck(example('heat2d/deck.ts'), 3).stdout)).toBe(serial);
});

describeFortran('Fortran decks', () => {
  test('heat2d deck with the Fortran kernel gives the same totals', () => {
    const r = runDeck(example('heat2d/deck.ts'), 2, { HEAT_KERNEL: 'fortran' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Fortran kernel, 256x256 on 2 ranks/);
    expect(r.stdout).toMatch(/total heat 3969\.000 -> 3969\.000/);
    expect(squares(r.stdout)).toBe('3969.000000 -> 2799.637506');
  });

  test('advect deck: module array read between steps, reallocation seen', () => {
    const r = runDeck(example('advect/deck.ts'), 2);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/rank 0: after 300 steps the bump is at x = 0\.399/);
    expect(r.stdout).toMatch(/rank 1: after 300 steps the bump is at x = 0\.549/);
    expect(r.stdout).toMatch(/refined to 800 cells \(the old view now has length 0\)/);
    expect(r.stdout).toMatch(/bump positions by rank: 0\.398, 0\.548/);
  });
});
