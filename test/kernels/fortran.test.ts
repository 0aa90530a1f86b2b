// Fortran kernels through loadKernels, compiled for real with gfortran: name mangling, by-
// reference scalars as plain numbers, every kind, character arguments with hidden lengths,
// logicals, functions, bind(C), fixed-form sources, column-major indexing.
import { beforeAll, expect, test } from 'vitest';
import {
  FortranArray, KernelArgumentError, KernelDeclarationError, KernelSymbolError, type Kernels, fromFortranString, loadKernels, mangleFortran,
} from '../../src/kernels/index.js';
import { describeFortran, example, fixture } from './helpers.js';

describeFortran('Fortran kernels', () => {
  let f: Kernels;
  beforeAll(() => {
    f = loadKernels(fixture('fkinds.f90'));
  });

  test('symbols: external name_, module procedure __mod_MOD_name, bind(C) label', () => {
    expect(mangleFortran('DAXPY')).toBe('daxpy_');
    expect(mangleFortran('init', { module: 'Advect' })).toBe('__advect_MOD_init');
    expect(mangleFortran('x', { bind: 'c_x' })).toBe('c_x');
    expect(mangleFortran('X', { bind: null })).toBe('x');
    const s = f.$.signatures;
    expect(s.sums?.symbol).toBe('sums_');
    expect(s.alloc_field?.symbol).toBe('__fdata_MOD_alloc_field');
    expect(s.axpy_c?.symbol).toBe('axpy_c');
    expect(s.norm1_c?.symbol).toBe('norm1_c');
  });

  test('every kind as explicit-shape arrays, lengths from the dimension expressions', () => {
    const out = new Float64Array(6);
    f.sums!(3, new Int8Array([1, 2, 3]), new Int16Array([1, 2, 300]), new Int32Array([1, 2, 70000]),
      new BigInt64Array([1n, 2n, 2n ** 40n]), new Float32Array([0.5, 0.25, 1]), new Float64Array([0.1, 0.2, 0.3]), out);
    expect([...out.slice(0, 4)]).toEqual([6, 303, 70003, 3 + 2 ** 40]);
    expect(out[4]).toBeCloseTo(1.75);
    expect(out[5]).toBeCloseTo(0.6);
    expect(() => f.sums!(3, new Int8Array(3), new Int16Array(3), new Int32Array(2), new BigInt64Array(3), new Float32Array(3), new Float64Array(3), out))
      .toThrow(/argument 4 'a4'.*has 2 elements but needs n = 3/);
    expect(() => f.sums!(3, new Int8Array(3), new Int16Array(3), new Int32Array(3), new BigInt64Array(3), new Float32Array(3), new Float64Array(3), new Float64Array(5)))
      .toThrow(/'out'.*needs 6/);
  });

  test('scalars by reference: plain numbers for every kind', () => {
    const res = new Float64Array(1);
    f.scal!(1, 2, 3, 4, 5.5, 6.25, res);
    expect(res[0]).toBe(21.75);
    f.scal!(-128, 32767, -2147483648, 2n ** 40n, 0, 0, res);
    expect(res[0]).toBe(-128 + 32767 - 2147483648 + 2 ** 40);
    expect(() => f.scal!(128, 0, 0, 0, 0, 0, res)).toThrow(/'i1'.*from -128 to 127/);
    expect(() => f.scal!(0, 0, 0.5, 0, 0, 0, res)).toThrow(/'i4'/);
  });

  test('intent(inout) and intent(out) scalars need a one-element typed array (a number would lose the result)', () => {
    const k = new Int32Array([5]);
    f.bump!(k, 3);
    expect(k[0]).toBe(8);
    expect(() => f.bump!(5, 3)).toThrow(/intent\(inout\): pass a one-element Int32Array to receive the value/);
    expect(() => f.greet!('x', 0)).toThrow(/intent\(out\)/);
  });

  test('column-major: u(nx, ny) is indexed (i, j) with FortranArray', () => {
    const a = new Float64Array(6);
    f.colmaj!(2, 3, a);
    const fa = new FortranArray(a, [2, 3]);
    for (let i = 1; i <= 2; i++) for (let j = 1; j <= 3; j++) expect(fa.get(i, j)).toBe(10 * i + j);
    expect([...a]).toEqual([11, 21, 12, 22, 13, 23]);   // first index fastest
    expect(fa.index(2, 3)).toBe(5);
    expect([...fa.column(2)]).toEqual([12, 22]);
    fa.set(1, 1, -1);
    expect(a[0]).toBe(-1);
    expect(() => fa.get(3, 1)).toThrow(/outside 1:2/);
    expect(() => f.colmaj!(2, 3, new Float64Array(5))).toThrow(/needs nx\*ny = 6 \(nx=2, ny=3\)/);
  });

  test('dimension with lower bounds: a(0:n+1) needs n+2 elements', () => {
    const a = new Float64Array(5);
    f.ghosted!(3, a);
    expect(a[0]).toBe(-1);
    expect(a[4]).toBe(-2);
    expect(() => f.ghosted!(3, new Float64Array(4))).toThrow(/needs n\+2 = 5/);
    const z = FortranArray.zeros(Float64Array, [5], [0]);
    f.ghosted!(3, z.data);
    expect(z.get(4)).toBe(-2);
  });

  test('assumed-size a(*) is bound, its length reported as unchecked', () => {
    const a = new Float64Array(4);
    f.assumed_size!(4, a);
    expect([...a]).toEqual([1, 1, 1, 1]);
    expect(f.$.skipped.find((s) => s.name === 'assumed_size.a')?.what).toBe('length');
  });

  test('character arguments: strings in, hidden lengths appended in order', () => {
    const k = new Int32Array(1);
    f.greet!('hello  ', k);
    expect(k[0]).toBe(5);
    f.concat_len!('abc', 'de', k);
    expect(k[0]).toBe(302);
    f.concat_len!('', 'xyz', k);
    expect(k[0]).toBe(3);
    f.fixed8!('abc', k);             // padded with blanks to the declared len=8
    expect(k[0]).toBe(3);
    f.fixed8!('abcdefgh', k);
    expect(k[0]).toBe(8);
    expect(() => f.fixed8!(new Uint8Array(4), k)).toThrow(/has 4 characters but needs 8/);
  });

  test('character intent(out): a Buffer receives the blank-padded result', () => {
    const buf = Buffer.alloc(16);
    f.fill_name!(buf);
    expect(buf.toString()).toBe('from fortran    ');
    expect(fromFortranString(buf)).toBe('from fortran');
    expect(() => f.fill_name!('x')).toThrow(/intent\(out\): pass a Uint8Array/);
  });

  test('logical: booleans in and out, logical arrays, logical function results', () => {
    const b = new Int32Array(1);
    f.flip!(true, b);
    expect(b[0]).toBe(0);
    f.flip!(false, b);
    expect(b[0]).toBe(1);
    expect(f.both!(true, true)).toBe(true);
    expect(f.both!(true, false)).toBe(false);
    const c = new Int32Array(1);
    f.count_true!(4, new Int32Array([1, 0, 1, 1]), c);
    expect(c[0]).toBe(3);
    expect(() => f.flip!(1, b)).toThrow(/must be a boolean/);
  });

  test('unchecked twins still convert: by-reference numbers, strings with hidden lengths, logicals', () => {
    const k = new Int32Array(1);
    f.greet!.unchecked('hello  ', k);
    expect(k[0]).toBe(5);
    f.concat_len!.unchecked('abc', 'de', k);
    expect(k[0]).toBe(302);
    f.fixed8!.unchecked('abc', k);
    expect(k[0]).toBe(3);
    const res = new Float64Array(1);
    f.scal!.unchecked(1, 2, 3, 4n, 5.5, 6.25, res);
    expect(res[0]).toBe(21.75);
    expect(f.both!.unchecked(true, true)).toBe(true);
    const b = new Int32Array(1);
    f.flip!.unchecked(false, b);
    expect(b[0]).toBe(1);
    expect(f.cstr_len!.unchecked('abcd')).toBe(4);
  });

  test('functions return numbers', () => {
    expect(f.dot!(2, new Float64Array([1, 2]), new Float64Array([3, 4]))).toBe(11);
    expect(f.isum!(3, new Int32Array([1, 2, 3]))).toBe(6);
    expect(f.half4!(3)).toBe(1.5);
  });

  test('bind(C): value arguments, labels, C strings, c_bool', () => {
    const y = new Float64Array([1, 1]);
    f.axpy_c!(2, 2, new Float64Array([1, 2]), y);
    expect([...y]).toEqual([3, 5]);
    expect(f.norm1_c!(2, new Float64Array([-1, 2]))).toBe(3);
    expect(f.cstr_len!('hello')).toBe(5);
    expect(f.neg_if!(true, 5)).toBe(-5);
    expect(f.neg_if!(false, 5)).toBe(5);
    const k = new Int32Array([4]);
    f.by_ref_c!(k);
    expect(k[0]).toBe(12);
    expect(() => f.axpy_c!(2.5, 1, new Float64Array(2), y)).toThrow(KernelArgumentError);
  });

  test('what cannot be called through a C ABI is reported by name, not guessed', () => {
    const byName = Object.fromEntries(f.$.skipped.filter((s) => s.what === 'kernel').map((s) => [s.name, s.reason]));
    expect(Object.keys(byName).sort()).toEqual(['alloc_dummy', 'assumed_shape', 'chars', 'cplx']);
    expect(byName.assumed_shape).toMatch(/assumed-shape.*descriptor/);
    expect(byName.alloc_dummy).toMatch(/allocatable/);
    expect(byName.cplx).toMatch(/complex/);
    expect(byName.chars).toMatch(/character function/);
    expect(() => f.assumed_shape!(new Float64Array(3))).toThrow(KernelDeclarationError);
    expect(() => loadKernels(fixture('fkinds.f90'), null, { strict: true })).toThrow(/could not bind everything[\s\S]*assumed_shape/);
  });

  test('fixed-form FORTRAN 77 with implicit typing', () => {
    const leg = loadKernels(fixture('legacy.f'));
    expect(leg.$.kernels.sort()).toEqual(['daxpy2', 'dsum2']);
    const y = new Float64Array([1, 1]);
    leg.daxpy2!(2, 2, new Float64Array([1, 2]), y);
    expect([...y]).toEqual([3, 5]);
    expect(leg.dsum2!(2, y)).toBe(8);
    expect(() => leg.daxpy2!(3, 2, new Float64Array(2), y)).toThrow(/needs n = 3/);
  });

  test('declarations: a Fortran interface given by hand, with and without a module', () => {
    const k = loadKernels(fixture('fkinds.f90'), {
      twice_dot: { fortran: 'real(8) function dot(n, x, y)\n integer :: n\n real(8) :: x(n), y(n)', symbol: 'dot_' },
      tick: { fortran: 'subroutine tick()', module: 'other' },
      scaled: 'subroutine axpy_c(n, a, x, y) bind(C, name="axpy_c")\n use iso_c_binding\n integer(c_int), value :: n\n real(c_double), value :: a\n real(c_double) :: x(n), y(n)',
    }, { parse: false });
    expect(k.$.kernels.sort()).toEqual(['scaled', 'tick', 'twice_dot']);
    expect(k.twice_dot!(1, new Float64Array([2]), new Float64Array([3]))).toBe(6);
    const before = f.$.module('other').counter as number;   // the same library, so the same module data
    k.tick!();
    k.tick!();
    expect(f.$.module('other').counter).toBe(before + 2);
    const y = new Float64Array(1);
    k.scaled!(1, 1, new Float64Array([5]), y);
    expect(y[0]).toBe(5);
    expect(() => loadKernels(fixture('fkinds.f90'), { nope: 'subroutine not_there(n)\n integer n' }, { parse: false }))
      .toThrow(KernelSymbolError);
  });

  test('the Fortran heat stencil equals the C one on the same memory with the sizes swapped', () => {
    const c = loadKernels(example('heat2d/heat.c'));
    const fk = loadKernels(example('heat2d/heat.f90'));
    const nx = 13, ny = 17;
    const u = Float64Array.from({ length: nx * ny }, (_, i) => Math.sin(i * 0.37) ** 2);
    const vc = new Float64Array(nx * ny), vf = new Float64Array(nx * ny);
    c.heat_step!(nx, ny, u, vc, 0.2);
    fk.heat_step!(ny, nx, u, vf, 0.2);   // column-major u(ny, nx) is C's row-major u[nx][ny]
    expect([...vf]).toEqual([...vc]);
    // and both agree with a reference in plain TypeScript
    const ref = u.slice();
    for (let i = 1; i < nx - 1; i++) {
      for (let j = 1; j < ny - 1; j++) {
        const k = i * ny + j;
        ref[k] = u[k]! + 0.2 * (u[k - ny]! + u[k + ny]! + u[k - 1]! + u[k + 1]! - 4 * u[k]!);
      }
    }
    for (let k = 0; k < nx * ny; k++) expect(vc[k]).toBeCloseTo(ref[k]!, 14);
  });
});
