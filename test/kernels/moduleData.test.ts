// Fortran module data as live views, compiled for real with gfortran: scalars, fixed arrays,
// allocatables read through gfortran's descriptor (checked against what Fortran itself reports),
// reallocation, pointer arrays, and writes from both sides.
import { beforeAll, expect, test } from 'vitest';
import { FortranArray, KernelDataError, type Kernels, type ModuleData, loadKernels } from '../../src/kernels/index.js';
import { detachBuffer } from '../../src/kernels/moduleData.js';
import { describeFortran, example, fixture } from './helpers.js';

describeFortran('module data', () => {
  let f: Kernels;
  let m: ModuleData;
  beforeAll(() => {
    f = loadKernels(fixture('fkinds.f90'));
    m = f.$.module('fdata');
  });

  test('variables are listed; what cannot be viewed is reported by name', () => {
    expect(f.$.modules.sort()).toEqual(['fdata', 'other']);
    expect(m.$.variables).toEqual(expect.arrayContaining(['n', 'x', 'r4', 'big', 'flag', 'label', 'ro', 'shared', 'grid', 'ivec', 'shifted', 'field', 'cube', 'vec4', 'cnt', 'pview']));
    expect(m.$.variables).not.toContain('dp');      // a parameter has no storage
    const skipped = f.$.skipped.filter((s) => s.what === 'variable').map((s) => s.name).sort();
    expect(skipped).toEqual(['fdata.point', 'fdata.zc']);
    expect(() => f.$.module('nope')).toThrow(/no module 'nope'.*modules: /);
    expect(() => m.$.info('nope')).toThrow(KernelDataError);
  });

  test('scalars: read, written from TypeScript, written by Fortran', () => {
    expect(m.n).toBe(7);
    expect(m.x).toBe(2.5);
    expect(m.r4).toBe(1.5);
    expect(m.big).toBe(9000000000n);
    expect(m.flag).toBe(true);
    expect(m.label).toBe('initial');
    expect(m.ro).toBe(2);
    expect(m.shared).toBe(4);         // bind(C, name='fdata_shared')
    expect(m.$.info('shared').symbol).toBe('fdata_shared');
    f.set_scalars!();
    expect([m.n, m.x, m.r4, m.big, m.flag, m.label]).toEqual([8, 5, -1.5, 9000000001n, false, 'from fortran']);
    m.label = 'ts';
    m.n = 1;
    m.flag = true;
    m.big = 5n;
    const k = new Int32Array(1);
    f.get_label_len!(k);
    expect(k[0]).toBe(2);
    f.set_scalars!();
    expect([m.n, m.flag, m.big]).toEqual([2, false, 6n]);
    expect(() => { m.ro = 1; }).toThrow(/read-only/);
    expect(() => { m.n = 2 ** 40; }).toThrow(/cannot store/);
    expect(() => { m.flag = 1; }).toThrow(/assign a boolean/);
    expect(() => { m.label = 'much too long for twelve'; }).toThrow(/holds 12/);
  });

  test('fixed-size arrays: one live view, column-major, lower bounds', () => {
    const grid = m.grid as Float64Array;
    expect(grid).toBeInstanceOf(Float64Array);
    expect(grid.length).toBe(12);
    expect(m.grid).toBe(grid);                      // the same view every time
    const g = m.$.array('grid')!;
    expect(g.shape).toEqual([3, 4]);
    expect(g.get(2, 3)).toBe(42);                   // written by set_scalars above
    g.set(1, 1, 1);
    (m.ivec as Int32Array).set([10, 20, 30, 40, 50]);
    const sh = m.$.array('shifted')!;
    expect(sh.lbounds).toEqual([0]);
    sh.set(4, 100);
    expect(f.grid_sum!()).toBe(1 + 42 + (-1 + 100) + 150);
    expect(m.$.info('grid')).toMatchObject({ storage: 'fixed', shape: [3, 4], lbounds: [1, 1], allocated: true });
  });

  test('allocatable: unallocated is null; shape and bounds from the descriptor agree with Fortran', () => {
    f.free_field!();
    expect(m.field).toBeNull();
    expect(m.$.array('field')).toBeNull();
    expect(m.$.info('field')).toMatchObject({ allocated: false, address: 0n });
    f.alloc_field!(3, 4);
    const facts = new BigInt64Array(5);
    f.field_facts!(facts);
    const info = m.$.info('field');
    expect(info.address).toBe(facts[0]);
    expect(info.shape).toEqual([Number(facts[1]), Number(facts[2])]);
    expect(info.lbounds).toEqual([Number(facts[3]), Number(facts[4])]);
    expect(info.lbounds).toEqual([0, -1]);
    const a = m.$.array('field')!;
    for (let i = 0; i <= 2; i++) for (let j = -1; j <= 2; j++) expect(a.get(i, j)).toBe(100 * i + j);
  });

  test('rank 3 with odd lower bounds', () => {
    f.alloc_cube!(2, 3, 4);
    const c = m.$.array('cube')!;
    expect(c.shape).toEqual([2, 3, 4]);
    expect(c.lbounds).toEqual([2, 1, -1]);
    for (let i = 2; i <= 3; i++) for (let j = 1; j <= 3; j++) for (let k = -1; k <= 2; k++) expect(c.get(i, j, k)).toBe(i + 10 * j + 100 * k);
  });

  test('allocatable written from both sides', () => {
    f.alloc_field!(2, 2);
    const v = m.field as Float64Array;
    v.fill(0.5);
    expect(f.field_sum!()).toBe(2);
    f.alloc_vec4!(3);
    expect([...(m.vec4 as Float32Array)]).toEqual([1, 2, 3]);
    expect(m.vec4).toBeInstanceOf(Float32Array);
    expect(m.cnt).toBeInstanceOf(Int32Array);
    m.vec4 = [7, 8, 9];
    expect([...(m.vec4 as Float32Array)]).toEqual([7, 8, 9]);
  });

  test('reallocation: the property gives the new array, the old view is detached after the call', () => {
    f.alloc_field!(2, 3);
    const old = m.field as Float64Array;
    expect(old.length).toBe(6);
    f.alloc_field!(5, 6);                 // Fortran deallocates and allocates again
    expect(old.length).toBe(0);           // detached right after the call, before any read
    expect(old[0]).toBeUndefined();       // a stale read gives undefined, never freed memory
    const now = m.field as Float64Array;
    expect(now.length).toBe(30);
    expect(m.$.array('field')!.get(4, 4)).toBe(404);
    f.free_field!();
    expect(now.length).toBe(0);
    expect(m.field).toBeNull();
    expect(() => { m.field = [1]; }).toThrow(/not allocated/);
  });

  test('pointer arrays: contiguous targets are viewed, strided ones refused with a typed error', () => {
    f.point_at!(6, 1);
    const view = m.pview as Float64Array;
    expect([...view]).toEqual([1, 2, 3, 4, 5, 6]);
    f.point_at!(6, 2);                    // the refresh after this call finds a strided target
    expect(view.length).toBe(0);          // the old view (of freed memory) is detached
    expect(() => m.pview).toThrow(/non-contiguous/);
    expect(() => m.pview).toThrow(/non-contiguous/);
    f.point_at!(4, 1);
    expect([...(m.pview as Float64Array)]).toEqual([1, 2, 3, 4]);
  });

  test('detachBuffer detaches without freeing', () => {
    const b = new ArrayBuffer(8);
    const v = new Float64Array(b);
    expect(detachBuffer(b)).toBe(true);
    expect(v.length).toBe(0);
  });

  test('the advect example: module array read between steps, reallocated by refine', () => {
    const k = loadKernels(example('advect/advect.f90'));
    const adv = k.$.module('advect');
    k.init!(100, 1.0);
    const u = adv.state as Float64Array;
    expect(u.length).toBe(100);
    expect(adv.n).toBe(100);
    const total = adv.stats[2] as number;
    adv.velocity = 1;
    k.advance!(0.001, 10);
    expect(adv.steps_done).toBe(10);
    expect((adv.stats as Float64Array)[2]).toBeCloseTo(total, 12);  // upwind conserves the integral
    u[0] += 1;                                 // a write from TypeScript ...
    k.update_stats!();
    expect((adv.stats as Float64Array)[2]).toBeCloseTo(total + 0.01, 12); // ... seen by Fortran
    k.refine!(2);
    expect(u.length).toBe(0);
    expect((adv.state as Float64Array).length).toBe(200);
    expect(new FortranArray(adv.state as Float64Array, [200]).get(1)).toBe((adv.state as Float64Array)[0]);
  });
});
