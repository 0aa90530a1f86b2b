// Domain decomposition conformance: test/decks/decomposition/conformance.ts (fields, halo
// exchange, accumulate, gather/scatter, reductions, redistribution, errors, heat stencils bit
// for bit against serial runs) as one job per world size, 1 to 4 ranks and 5 to 6 on 2 cores.
// The decks use only simdeck's public API, so they run unchanged on any transport: set
// SIMDECK_TEST_TRANSPORT=mpi to run them on the MPI transport once it exists.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { root, simdeck } from '../helpers/job.js';

const deck = join(root, 'test', 'decks', 'decomposition', 'conformance.ts');
const transport = process.env.SIMDECK_TEST_TRANSPORT ? ['--transport', process.env.SIMDECK_TEST_TRANSPORT] : [];
const checks = [
  'geometry, index conversion and ownership on',
  'exchange, exchangeBegin/End, swapped data and overlapped arrays fill exactly the right ghosts',
  'accumulateGhosts adds every ghost into its owner',
  'gather to first and last rank, scatter, gatherRegion with strides match the serial field',
  'sum, min, max, norm2, dot match the serial values and are identical on every rank; NaN propagates',
  'fill and copy (same grid and a grid without ghosts)',
  'Float32Array, Int32Array, Uint16Array, Int8Array and BigInt64Array fields exchange, gather and reduce',
  'redistribute round-trips bit for bit between every pair of',
  'redistribute between custom ownership, other ghost widths, C and F layouts, dof 2 and 3, 1-D and 3-D',
  'mismatched shapes, dof and element types are GridMismatchErrors naming the difference',
  'procs that do not multiply to the communicator size, or do not fit the shape, are ProcessGridErrors',
  'ownership ranges that do not add up to the shape are OwnershipErrors naming the dimension',
  'ghost layers wider than a neighbour\'s block are GhostWidthErrors with the dimension, width and block',
  'ranks passing different options, and mismatched grids in dot, copy and redistribute, are GridMismatchErrors',
  'exchangeEnd without exchangeBegin, and a second exchange while one is pending, are ExchangeStateErrors',
  'malformed options and arguments are ArgumentErrors that say what to pass',
  'heat stencils equal the serial run bit for bit after 25 steps in 136 runs on',
  'C heat_step (5-point): 8 kinds (C|star|bounded, C|box|bounded, C|star|periodic, C|box|periodic, F|star|bounded, F|box|bounded, F|star|periodic, F|box|periodic)',
  'Fortran heat_step (5-point): 8 kinds',
  'C heat9_step (9-point): 4 kinds (C|box|bounded, C|box|periodic, F|box|bounded, F|box|periodic)',
  'C heat7_step (3-D 7-point): 8 kinds',
];

function conformance(n: number, extra: string[] = []): string {
  const r = simdeck(['run', ...transport, ...extra, '--hang-timeout', '60', '-n', String(n), deck]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const p = n > 1 ? '[0] ' : '';
  for (const c of checks) expect(r.stdout).toContain(`${p}OK ${c}`);
  for (let k = 0; k < n; k++) expect(r.stdout.split('\n').filter((l) => l === (n > 1 ? `[${k}] DONE ${k}` : `DONE ${k}`))).toHaveLength(4);
  return r.stdout;
}

describe('decomposition conformance', () => {
  it.each([1, 2, 3, 4])('every operation matches the serial computation on %i ranks', (n) => {
    const out = conformance(n);
    if (n === 4) expect(out).toContain('[0] OK redistribute round-trips bit for bit between every pair of 3 process grids of 4 ranks (1×4, 2×2, 4×1; 9 pairs)');
    if (n >= 2) expect(out).toContain('OK redistribute across communicators: world → world.slice(1) and back, a reused plan, a reversed subset');
  });
  it('uneven splits on 5 ranks of 2 cores (oversubscribed)', () => {
    conformance(5);
  });
  it('6 ranks of 2 cores sleeping on futexes (2×3 and 3×2 process grids)', () => {
    const out = conformance(6, ['--wait', 'block']);
    expect(out).toContain('[0] OK redistribute round-trips bit for bit between every pair of 4 process grids of 6 ranks (1×6, 2×3, 3×2, 6×1; 16 pairs)');
  });
});
