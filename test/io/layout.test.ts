// Where a block lies in the whole field: a block that is one contiguous run of it (whole rows of
// every faster dimension) is received in place by a helper, so contiguousRun must name exactly
// the elements placeBlock would fill; and the large buffers of memory.ts hold what a plain
// typed array holds.
import { expect, it } from 'vitest';
import { contiguousRun, globalElements, placeBlock, type BlockHeader } from '../../src/io/layout.js';
import { largeArray } from '../../src/io/memory.js';

const cases: { shape: number[]; layout: 'C' | 'F'; dof: number; start: number[]; size: number[]; run: boolean }[] = [
  { shape: [8, 6], layout: 'C', dof: 1, start: [3, 0], size: [4, 6], run: true },      // whole rows
  { shape: [8, 6], layout: 'C', dof: 1, start: [0, 2], size: [8, 3], run: false },     // columns: strided
  { shape: [8, 6], layout: 'F', dof: 1, start: [0, 2], size: [8, 3], run: true },      // Fortran: whole columns
  { shape: [8, 6], layout: 'F', dof: 1, start: [3, 0], size: [4, 6], run: false },
  { shape: [8, 6], layout: 'C', dof: 3, start: [5, 0], size: [2, 6], run: true },      // components last
  { shape: [8, 6], layout: 'C', dof: 1, start: [4, 1], size: [1, 5], run: true },      // part of one row
  { shape: [8, 6], layout: 'C', dof: 1, start: [4, 1], size: [2, 5], run: false },
  { shape: [4, 5, 6], layout: 'C', dof: 1, start: [1, 0, 0], size: [2, 5, 6], run: true },
  { shape: [4, 5, 6], layout: 'C', dof: 1, start: [1, 2, 0], size: [1, 2, 6], run: true },
  { shape: [4, 5, 6], layout: 'C', dof: 1, start: [1, 2, 0], size: [2, 2, 6], run: false },
];

it.each(cases)('a block at $start size $size of $shape (layout $layout, dof $dof): contiguous run $run, exactly where placeBlock puts it', (c) => {
  const h: BlockHeader = { name: 'u', type: 'Float64Array', shape: c.shape, layout: c.layout, dof: c.dof, start: c.start, size: c.size };
  const n = c.size.reduce((a, b) => a * b, c.dof);
  const whole = new Float64Array(globalElements(h)).fill(-1);
  placeBlock(whole, h, Float64Array.from({ length: n }, (_, k) => k));
  const r = contiguousRun(h);
  expect(r !== null).toBe(c.run);
  if (r === null) return;
  expect(r[1]).toBe(n);
  expect(Array.from(whole.subarray(r[0], r[0] + r[1]))).toEqual(Array.from({ length: n }, (_, k) => k));
  expect(whole.filter((x) => x === -1).length).toBe(whole.length - n);
});

it('largeArray: a zeroed typed array of the class asked for, small or large', () => {
  for (const [type, n] of [['Float64Array', 10], ['Float64Array', 1 << 20], ['Int32Array', 3 << 20], ['Uint8Array', 5 << 20]] as const) {
    const a = largeArray(type, n);
    expect(a.constructor.name).toBe(type);
    expect(a.length).toBe(n);
    expect(a.every((x) => x === 0)).toBe(true);
  }
  expect(() => largeArray('Float16Array', 4)).toThrow(/cannot store Float16Array/);
});
