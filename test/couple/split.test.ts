// Who maps which rows of a target its one sender would map whole (route.ts splitRows): the
// sender its first SPLIT_SENDER_SHARE, written into the target's array, the target the rest from
// raw source rows in chunks (splitChunks) — only where both ranks can copy each other's memory,
// both have the WebAssembly kernels, the source is float64 and the block has SPLIT_MIN_ROWS rows.
// The bits of a split exchange are checked by jobs.test.ts (1:1 and 1:3 on shared memory).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { root } from '../helpers/job.js';
const route = await import(join(root, 'dist', 'src', 'couple', 'route.js'));
const mapping = await import(join(root, 'dist', 'src', 'couple', 'mapping.js'));

const grid = (n: number[], shift: number) => ({ origin: n.map((k) => (0.5 + shift) / k), spacing: n.map((k) => 1 / k), shape: n });

describe('split targets (route.ts splitRows, splitChunks)', () => {
  const target = (rows: number, more: object = {}) => ({ i: 0, lo: [0, 0], hi: [rows, 100], fp: { lo: [0, 0], hi: [rows, 100] }, li: false, id: false, rows: true, wk: true, vm: 11, ...more });
  const source = (more: object = {}) => ({ i: 0, lo: [0, 0], hi: [1000, 100], type: 'Float64Array', cl: true, wk: true, vm: 10, peer: 0, ...more });

  it('splits when both ranks copy memory in one step, have the kernels, a float64 source and enough rows', () => {
    expect(route.splitRows(target(200), [source()], 0)).toBe(Math.round(route.SPLIT_SENDER_SHARE * 200));
    expect(route.splitRows(target(200), [source()], -1)).toBe(-1);
    expect(route.splitRows(target(200, { vm: 0 }), [source()], 0)).toBe(-1);
    expect(route.splitRows(target(200), [source({ vm: 0 })], 0)).toBe(-1);
    expect(route.splitRows(target(200, { wk: false }), [source()], 0)).toBe(-1);
    expect(route.splitRows(target(200), [source({ type: 'Float32Array' })], 0)).toBe(-1);
    expect(route.splitRows(target(route.SPLIT_MIN_ROWS - 1), [source()], 0)).toBe(-1);
    expect(route.splitRows(target(route.SPLIT_MIN_ROWS), [source()], 0)).toBeGreaterThan(0);
    // a share set on the target (SIMDECK_COUPLE_SPLIT), kept within the block
    expect(route.splitRows(target(200, { sh: 0.3 }), [source()], 0)).toBe(60);
    expect(route.splitRows(target(200, { sh: 0.999 }), [source()], 0)).toBe(199);
  });

  it('sends the target every source row its own rows read, once, in chunks of at least SPLIT_CHUNK_ELEMENTS', () => {
    for (const [ns, nt, shift] of [[1000, 1000, 0.4995], [640, 600, 0], [300, 260, 0.25]] as const) {
      const a0 = mapping.axisWeights('linear', mapping.axisOf(grid([ns], 0), 0), mapping.axisOf(grid([nt], shift), 0), 0, nt);
      for (const width of [1000, 37, 100000]) {
        const split = Math.round(route.SPLIT_SENDER_SHARE * nt), chunks: [number, number][] = route.splitChunks(a0, split, width);
        const [lo, hi] = route.sourceRowsOf(a0, split, nt);
        let lowest = Infinity, highest = -Infinity;
        for (let q = a0.ptr[split]; q < a0.ptr[nt]; q++) { lowest = Math.min(lowest, a0.idx[q]); highest = Math.max(highest, a0.idx[q]); }
        expect([lo, hi]).toEqual([lowest, highest + 1]);
        expect(chunks[0][0]).toBe(lo);
        expect(chunks[chunks.length - 1][1]).toBe(hi);
        chunks.forEach(([r0, r1], k) => {
          expect(r1).toBeGreaterThan(r0);
          if (k > 0) expect(r0).toBe(chunks[k - 1][1]);
          if (k < chunks.length - 1) expect((r1 - r0) * width).toBeGreaterThanOrEqual(route.SPLIT_CHUNK_ELEMENTS);
        });
      }
    }
  });
});
