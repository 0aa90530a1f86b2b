// Bindings read from source (C headers and sources, Fortran sources) and declarations given by
// hand, in every form; what cannot be parsed must be reported by name.
import { beforeAll, describe, expect, test } from 'vitest';
import {
  KernelArgumentError, KernelDeclarationError, KernelLoadError, KernelSymbolError, buildKernels, describeSignature, loadKernels,
  parseCPrototype, parseCSource, parseFortranDeclaration, parseFortranSource,
} from '../../src/kernels/index.js';
import { exprToString } from '../../src/kernels/expr.js';
import { describeFortran, fixture } from './helpers.js';
import { readFileSync } from 'node:fs';

const lengths = (sig: { params: { name: string; length: unknown }[] }): Record<string, string | null> =>
  Object.fromEntries(sig.params.map((p) => [p.name, p.length === null ? null : exprToString(p.length as never)]));

describe('C parsing', () => {
  test('prototypes: kinds, intents and lengths', () => {
    const s = parseCPrototype('void heat_step(int nx, int ny, const double *u, double *unew, double alpha)');
    expect(s.params.map((p) => [p.name, p.kind, p.type, p.intent])).toEqual([
      ['nx', 'value', 'int32', null], ['ny', 'value', 'int32', null], ['u', 'array', 'float64', 'in'],
      ['unew', 'array', 'float64', null], ['alpha', 'value', 'float64', null],
    ]);
    expect(lengths(parseCPrototype('void f(int n, int m, double u[n*m], double v[static n+2], double w[][m])'))).toEqual({ n: null, m: null, u: 'n*m', v: 'n+2', w: null });
    expect(parseCPrototype('int32 f(float64 *x, str s, int)').params.map((p) => [p.name, p.kind, p.type])).toEqual([
      ['x', 'array', 'float64'], ['s', 'string', 'char'], ['arg3', 'value', 'int32'],
    ]);
    expect(parseCPrototype('void g(_Out_ double *o, _Inout_ int *io)').params.map((p) => p.intent)).toEqual(['out', 'inout']);
    expect(parseCPrototype('unsigned long long f(unsigned char a, signed short b, long c, size_t d)').params.map((p) => p.type))
      .toEqual(['uint8', 'int16', 'int64', 'uint64']);
    expect(parseCPrototype('const char *name(void)').result.kind).toBe('string');
    expect(parseCPrototype('double *data(void)').result.kind).toBe('pointer');
    expect(describeSignature(parseCPrototype('void f(int n, const double x[n])'))).toBe('f(int32 n, float64[n] x)');
  });

  test('unparsable prototypes throw with the reason', () => {
    expect(() => parseCPrototype('int f(int n, ...)')).toThrow(/variadic/);
    expect(() => parseCPrototype('void f(void (*cb)(int))')).toThrow(/function pointer/);
    expect(() => parseCPrototype('void f(double **x)')).toThrow(/pointer to a pointer/);
    expect(() => parseCPrototype('void f(struct s x)')).toThrow(/struct/);
    expect(() => parseCPrototype('void f(mytype_t x)')).toThrow(/unknown type 'mytype_t'/);
    expect(() => parseCPrototype('not a prototype')).toThrow(/not a C prototype/);
  });

  test('a header: typedefs, #define sizes, empty export macros, extern "C", globals, skipped with reasons', () => {
    const b = parseCSource(readFileSync(fixture('ctypes.h'), 'utf8'), 'ctypes.h');
    expect(b.kernels.map((k) => k.name)).toEqual(['sum_f64', 'scale', 'fill2d', 'sum_field', 'str_len', 'add_ul']);
    expect(lengths(b.kernels[0]!)).toEqual({ n: null, x: 'n' });
    expect(lengths(b.kernels[3]!)).toEqual({ f: '8' });
    expect(b.variables.map((v) => [v.name, v.storage, v.shape])).toEqual([['g_field', 'fixed', [8]], ['g_count', 'scalar', null]]);
    expect(b.skipped.map((s) => [s.name, s.source])).toEqual([['takes_struct', 'ctypes.h:26'], ['takes_callback', 'ctypes.h:27']]);
  });

  test('a length naming a non-integer parameter is not checked, and said so', () => {
    const b = parseCSource('void f(double a, double x[a]);', 'x.c');
    expect(b.kernels[0]!.params[1]!.length).toBeNull();
    expect(b.skipped[0]).toMatchObject({ name: 'f.x', what: 'length' });
  });

  test('a prebuilt library with a header', () => {
    const lib = buildKernels([fixture('ctypes.c')]).path;
    const k = loadKernels(lib, null, { headers: [fixture('ctypes.h')] });
    expect(k.$.how).toBe('prebuilt');
    expect(k.sum_f64!(2, new Float64Array([1, 2]))).toBe(3);
    expect(() => k.sum_f64!(3, new Float64Array([1, 2]))).toThrow(/needs n = 3/);
    expect(k.$.globals.g_count).toBeTypeOf('number');
    expect(k.$.kernels).not.toContain('sum_i8');  // not in the header
    expect(k.$.skipped.map((s) => s.name).sort()).toEqual(['takes_callback', 'takes_struct']);
  });
});

describe('declarations by hand override what was read', () => {
  let lib: string;
  beforeAll(() => { lib = buildKernels([fixture('ctypes.c')]).path; });

  test('a C prototype string, with koffi type names', () => {
    const k = loadKernels(lib, { sum_f64: 'float64 sum_f64(int32 n, const float64 *x)' });
    expect(k.$.kernels).toEqual(['sum_f64']);
    expect(k.sum_f64!(2, new Float64Array([1, 2]))).toBe(3);
    expect(k.sum_f64!(1, new Float64Array([1, 2]))).toBe(1);   // no length declared: longer is fine
    expect(() => k.sum_f64!(2, [1, 2])).toThrow(KernelArgumentError);
  });

  test('an object: prototype plus contracts (length, intent), under another name (alias)', () => {
    const k = loadKernels(lib, {
      total: { c: 'double sum_f64(int n, const double *x)', args: { x: 'n' } },
      scale: { proto: 'void scale(int n, double *x, double a)', args: { x: { length: 'n', intent: 'inout' } } },
    });
    expect(k.$.signatures.total?.symbol).toBe('sum_f64');
    expect(k.total!(2, new Float64Array([1, 2]))).toBe(3);
    expect(() => k.total!(3, new Float64Array(2))).toThrow(/total\(\): argument 2 'x'.*needs n = 3/);
    expect(k.$.signatures.scale?.params[1]?.intent).toBe('inout');
  });

  test('an object without a prototype amends the binding read from source', () => {
    const k = loadKernels(fixture('ctypes.c'), { scale: { args: { x: 'n' } } });
    expect(() => k.scale!(3, new Float64Array(2), 1)).toThrow(/needs n = 3/);
    expect(() => loadKernels(fixture('ctypes.c'), { nope: { args: { x: 'n' } } })).toThrow(/nothing was read from source under this name/);
  });

  test('overriding a parsed declaration replaces it', () => {
    const k = loadKernels(fixture('ctypes.c'), { sum_field: 'double sum_field(const double *f)' });
    expect(k.sum_field!(new Float64Array(9).fill(1))).toBe(8);
    expect(k.$.signatures.sum_field?.params[0]?.length).toBeNull();
  });

  test('void * takes an element type', () => {
    const k = loadKernels(lib, { sum_bytes: { c: 'unsigned sum_bytes(const void *p, size_t nbytes)', args: { p: { type: 'uint8', length: 'nbytes' } } } });
    expect(k.sum_bytes!(new Uint8Array([1, 2]), 2)).toBe(3);
    expect(() => k.sum_bytes!(new Int8Array(2), 2)).toThrow(/must be a Uint8Array/);
  });

  test('bad declarations are typed errors naming the kernel', () => {
    expect(() => loadKernels(lib, { f: 'void f(int n, ...)' })).toThrow(KernelDeclarationError);
    expect(() => loadKernels(lib, { scale: { c: 'void scale(int n, double *x, double a)', args: { y: 'n' } } })).toThrow(/no parameter named 'y'/);
    expect(() => loadKernels(lib, { scale: { c: 'void scale(int n, double *x, double a)', args: { x: 'a*2' } } })).toThrow(/'a' is not an integer parameter/);
    expect(() => loadKernels(lib, { scale: { c: 'void scale(int n, double *x, double a)', args: { x: 'n+' } } })).toThrow(/cannot read length expression/);
    expect(() => loadKernels(lib, { scale: { c: 'void scale(int n, double *x, double a)', args: { n: 'n' } } })).toThrow(/not a pointer/);
    expect(() => loadKernels(lib, { scale: { c: 'void scale(int n, double *x, double a)', args: { x: { type: 'int32' } } } })).toThrow(/only void \* takes a type/);
  });

  test('missing library, missing symbol, missing source are typed errors', () => {
    expect(() => loadKernels('/nonexistent/libnope.so')).toThrow(KernelLoadError);
    expect(() => loadKernels('/nonexistent/nope.c')).toThrow(/not found/);
    expect(() => loadKernels('notes.txt')).toThrow(KernelLoadError);
    const e = (() => { try { loadKernels(lib, { nope: 'void nope(void)' }); } catch (x) { return x; } return null; })();
    expect(e).toBeInstanceOf(KernelSymbolError);
    expect((e as KernelSymbolError).symbol).toBe('nope');
    expect((e as Error).message).toMatch(/nope: symbol 'nope' is not exported by .*\.so/);
  });
});

describeFortran('Fortran parsing', () => {
  test('interface blocks, kinds from used modules, internal procedures left out', () => {
    const b = parseFortranSource(readFileSync(fixture('iface.f90'), 'utf8'), 'iface.f90');
    const byName = Object.fromEntries(b.kernels.map((k) => [k.name, k]));
    expect(Object.keys(byName).sort()).toEqual(['scale_by', 'sum_f64']);
    expect(byName.sum_f64).toMatchObject({ symbol: 'sum_f64', result: { kind: 'value', type: 'float64' } });
    expect(byName.sum_f64!.params.map((p) => [p.kind, p.type])).toEqual([['value', 'int32'], ['array', 'float64']]);
    expect(byName.scale_by!.symbol).toBe('__iface_MOD_scale_by');
    expect(byName.scale_by!.params.map((p) => [p.kind, p.type])).toEqual([['ref', 'int32'], ['array', 'float64']]);
    expect(b.variables.map((v) => [v.module, v.name, v.type])).toEqual([['iface', 'scale_factor', 'float64']]);
  });

  test('loading it: the interface to a C function not in this library is reported, the rest works', () => {
    const k = loadKernels(fixture('iface.f90'));
    expect(k.$.skipped.find((s) => s.name === 'sum_f64')?.reason).toMatch(/not exported/);
    const x = new Float64Array([1, 2]);
    k.$.module('iface').scale_factor = 10;
    k.scale_by!(2, x);
    expect([...x]).toEqual([10, 20]);
  });

  test('declarations as Fortran text', () => {
    const s = parseFortranDeclaration('subroutine step(nx, ny, u, dt)\n integer :: nx, ny\n real(8), intent(inout) :: u(0:nx+1, ny)\n real(8) :: dt');
    expect(s.symbol).toBe('step_');
    expect(lengths(s)).toEqual({ nx: null, ny: null, u: '(nx+2)*ny', dt: null });
    expect(parseFortranDeclaration('subroutine s(n)\n integer n\nend subroutine s', 'mod').symbol).toBe('__mod_MOD_s');
    expect(parseFortranDeclaration('double precision function f(x)\n double precision x').result.type).toBe('float64');
    expect(() => parseFortranDeclaration('subroutine s(x)\n real(8) :: x(:)')).toThrow(/assumed-shape/);
    expect(() => parseFortranDeclaration('subroutine s(x)\n implicit none')).toThrow(/no declared type/);
    expect(() => parseFortranDeclaration('subroutine s(x)\n real(16) :: x')).toThrow(/real\(16\)/);
    expect(() => parseFortranDeclaration('subroutine s(x)\n real(kind=wp) :: x')).toThrow(/kind 'wp'/);
  });

  test('free-form details: continuations, comments, semicolons, old-style declarations', () => {
    const b = parseFortranSource([
      'subroutine s(n, & ! a comment',
      '   & a, b, c) ; end subroutine s',
      'subroutine t(n, a, s1, s2)',
      '  integer n',
      '  real*8 a(n, 2*n)',
      '  character*(*) s1',
      '  character*4 s2',
      '  dimension a(n, n)',   // a later dimension statement wins
      'end',
    ].join('\n'), 'x.f90');
    expect(b.kernels.map((k) => k.name)).toEqual(['s', 't']);
    expect(b.kernels[0]!.params.map((p) => p.name)).toEqual(['n', 'a', 'b', 'c']);
    const t = b.kernels[1]!;
    expect(lengths(t)).toEqual({ n: null, a: 'n*n', s1: null, s2: '4' });
    expect(t.params.filter((p) => p.hiddenLength).map((p) => p.name)).toEqual(['s1', 's2']);
  });

  test('two modules with a procedure of the same name: neither takes the plain name, both reported', () => {
    const b = parseFortranSource('module a\ncontains\nsubroutine init()\nend subroutine\nend module\nmodule b\ncontains\nsubroutine init()\nend subroutine\nend module', 'x.f90');
    expect(b.kernels).toEqual([]);
    expect(b.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/__a_MOD_init and __b_MOD_init/), expect.stringMatching(/__a_MOD_init and __b_MOD_init/)]);
  });
});

test('a prebuilt library with nothing to read bindings from is an error that says what to give', () => {
  const lib = buildKernels([fixture('ctypes.c')]).path;
  expect(() => loadKernels(lib)).toThrow(/give declarations or options.headers/);
  expect(parseCSource('#define MAX(a, b) ((a) > (b) ? (a) : (b))\n#define N 4\ndouble g[N];', 'x.h').variables[0]?.shape).toEqual([4]);
});
