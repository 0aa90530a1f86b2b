// The local arithmetic of the decomposition layer, in-process (no job): even splits, process-grid
// choice, the strided box copy every data movement runs, and a one-rank grid's geometry.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { root } from '../helpers/job.js';

const dist = join(root, 'dist', 'decomposition');
const { splitEven, chooseProcs, Grid, ProcessGridError, GhostWidthError } = await import(join(dist, 'index.js'));
const { copyBox, denseStrides, isContiguous } = await import(join(dist, 'box.js'));
const { world } = await import(join(root, 'dist', 'src', 'index.js'));

describe('ownership', () => {
  it('splits n points over p processes as PETSc does: the first n % p get one more', () => {
    expect(splitEven(10, 3)).toEqual([0, 4, 7, 10]);
    expect(splitEven(8, 4)).toEqual([0, 2, 4, 6, 8]);
    expect(splitEven(2, 5)).toEqual([0, 1, 2, 2, 2, 2]);
  });

  it('chooses the process grid with the least halo surface, ties as dimsCreate then slow dimensions first', () => {
    expect(chooseProcs(2, [2048, 2048], [], 'C')).toEqual([2, 1]);
    expect(chooseProcs(2, [2048, 2048], [], 'F')).toEqual([1, 2]);
    expect(chooseProcs(4, [2048, 2048], [], 'C')).toEqual([2, 2]);
    expect(chooseProcs(4, [100, 10000], [], 'C')).toEqual([1, 4]);
    expect(chooseProcs(8, [64, 64, 64], [], 'C')).toEqual([2, 2, 2]);
    expect(chooseProcs(6, [60, 40], [], 'C')).toEqual([3, 2]);
    expect(chooseProcs(6, [40, 60], [], 'C')).toEqual([2, 3]);
    expect(chooseProcs(12, [30, 30, 30], [0, 1, 0], 'C')).toEqual([4, 1, 3]);
    expect(chooseProcs(5, [3, 100], [], 'C')).toEqual([1, 5]);           // 5 rows cannot split 3
    expect(() => chooseProcs(4, [64, 64], [3, 0], 'C')).toThrow(ProcessGridError);
    expect(() => chooseProcs(4, [1, 3], [], 'C')).toThrow(/no process grid of 4 processes fits the shape \[1, 3\]/);
    expect(() => chooseProcs(4, [8, 8], [2, 3], 'C')).toThrow(/procs \[2, 3\] multiply to 6 processes but the communicator has 4/);
  });
});

describe('copyBox', () => {
  const src = Float64Array.from({ length: 6 * 7 * 2 }, (_, i) => i);   // a 6 x 7 block, dof 2, row-major

  it('copies a sub-box into a dense buffer and back, with dof', () => {
    const counts = [3, 4];
    const buf = new Float64Array(3 * 4 * 2);
    copyBox(src, (1 * 7 + 2) * 2, [14, 2], buf, 0, denseStrides(counts, 2), counts, 2);
    const exp: number[] = [];
    for (let i = 1; i < 4; i++) for (let j = 2; j < 6; j++) exp.push((i * 7 + j) * 2, (i * 7 + j) * 2 + 1);
    expect(Array.from(buf)).toEqual(exp);
    const back = new Float64Array(src.length);
    copyBox(buf, 0, denseStrides(counts, 2), back, (1 * 7 + 2) * 2, [14, 2], counts, 2);
    copyBox(buf, 0, denseStrides(counts, 2), back, (1 * 7 + 2) * 2, [14, 2], counts, 2, true);   // add: doubles it
    for (let i = 0; i < 6; i++) for (let j = 0; j < 7; j++) for (let c = 0; c < 2; c++) {
      const k = (i * 7 + j) * 2 + c;
      expect(back[k]).toBe(i >= 1 && i < 4 && j >= 2 && j < 6 ? 2 * k : 0);
    }
  });

  it('walks strided (column) boxes, long contiguous runs, 3-D boxes and empty ones', () => {
    const col = new Float64Array(6);
    copyBox(src, 3 * 2, [14, 2], col, 0, [1, 1], [6, 1], 1);          // column j = 3, component 0
    expect(Array.from(col)).toEqual([0, 1, 2, 3, 4, 5].map((i) => (i * 7 + 3) * 2));
    const big = Float64Array.from({ length: 4000 }, (_, i) => i), out = new Float64Array(4000);
    copyBox(big, 0, [100, 1], out, 0, [100, 1], [40, 100], 1);         // whole block: one run
    expect(out).toEqual(big);
    const cube = Float64Array.from({ length: 4 * 5 * 6 }, (_, i) => i), part = new Float64Array(2 * 3 * 4);
    copyBox(cube, 1 * 30 + 1 * 6 + 1, [30, 6, 1], part, 0, denseStrides([2, 3, 4], 1), [2, 3, 4], 1);
    const exp: number[] = [];
    for (let a = 1; a < 3; a++) for (let b = 1; b < 4; b++) for (let c = 1; c < 5; c++) exp.push(a * 30 + b * 6 + c);
    expect(Array.from(part)).toEqual(exp);
    const none = new Float64Array(3).fill(7);
    copyBox(cube, 0, [30, 6, 1], none, 0, [1, 1, 1], [0, 3, 1], 1);
    expect(Array.from(none)).toEqual([7, 7, 7]);
  });

  it('tells contiguous boxes from strided ones', () => {
    expect(isContiguous([1, 2048], [1026, 2050])).toBe(true);       // part of one row
    expect(isContiguous([3, 2050], [1026, 2050])).toBe(true);       // whole rows
    expect(isContiguous([3, 2048], [1026, 2050])).toBe(false);      // rows without their ghosts
    expect(isContiguous([1024, 1], [1026, 2050])).toBe(false);      // a column
    expect(isContiguous([1, 1, 5], [4, 4, 9])).toBe(true);
  });
});

describe('a one-rank grid in this process', () => {
  it('has the whole grid as its block and wraps periodic ghosts onto itself', () => {
    const g = new Grid(world, { shape: [5, 4], ghosts: 1, periodic: true, stencil: 'box' });
    expect(g.procs).toEqual([1, 1]);
    expect(g.ghostCorners()).toEqual({ start: [-1, -1], size: [7, 6], end: [6, 5] });
    const u = g.zeros(Float64Array).fill((i: number, j: number) => 10 * i + j);
    u.exchange();
    expect(u.get([-1, -1])).toBe(43);
    expect(u.get([5, 4])).toBe(0);
    expect(u.get([2, 4])).toBe(20);
    expect(u.gather(0)).toEqual(Float64Array.from({ length: 20 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4)));
    expect(u.sum()).toBe(Array.from({ length: 20 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4)).reduce((a, b) => a + b, 0));
    expect(() => new Grid(world, { shape: [2], ghosts: 3, periodic: true })).toThrow(GhostWidthError);
  });
});
