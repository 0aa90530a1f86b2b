// C kernels through loadKernels: every typed-array element type, scalars by value and by
// reference, strings, void pointers, results, globals — compiled for real with cc.
import { beforeAll, describe, expect, test } from 'vitest';
import { KernelArgumentError, type Kernels, loadKernels } from '../../src/kernels/index.js';
import { fixture } from './helpers.js';

let c: Kernels;
beforeAll(() => {
  c = loadKernels(fixture('ctypes.c'), {
    incr: { args: { counter: { byRef: true } } },
  });
});

describe('typed arrays of every element type are passed zero-copy', () => {
  const cases: [string, new (xs: number[] | bigint[]) => ArrayBufferView, (number | bigint)[], number][] = [
    ['sum_i8', Int8Array as never, [-1, 2, -3], -2],
    ['sum_u8', Uint8Array as never, [200, 50, 5], 255],
    ['sum_i16', Int16Array as never, [-300, 200, 1], -99],
    ['sum_u16', Uint16Array as never, [60000, 5000, 1], 65001],
    ['sum_i32', Int32Array as never, [-70000, 1, 2], -69997],
    ['sum_u32', Uint32Array as never, [4000000000, 1, 2], 4000000003],
    ['sum_i64', BigInt64Array as never, [-(2n ** 40n), 1n, 2n], -(2 ** 40) + 3],
    ['sum_u64', BigUint64Array as never, [2n ** 50n, 1n, 2n], 2 ** 50 + 3],
    ['sum_f32', Float32Array as never, [0.5, 0.25, 0.125], 0.875],
    ['sum_f64', Float64Array as never, [0.1, 0.2, 0.3], 0.1 + 0.2 + 0.3],
  ];
  for (const [name, Ctor, values, expected] of cases) {
    test(`${name}: ${Ctor.name}`, () => {
      const x = new Ctor(values as never);
      expect(c[name]!(3, x)).toBeCloseTo(expected, 10);
      // a subarray is passed at its own offset
      const big = new Ctor([...values, ...values] as never) as unknown as { subarray(a: number): ArrayBufferView };
      expect(c[name]!(3, big.subarray(3))).toBeCloseTo(expected, 10);
    });
    test(`${name}: every other typed array is refused`, () => {
      const others = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array, Float32Array, Float64Array]
        .filter((t) => t !== (Ctor as unknown) && !(name === 'sum_u8' && t === Uint8Array));
      for (const T of others) {
        expect(() => c[name]!(3, new T(3)), `${T.name} for ${name}`).toThrow(KernelArgumentError);
      }
    });
  }

  test('writes by the kernel are visible in the caller\'s array (no copy)', () => {
    const x = new Float64Array([1, 2, 3]);
    c.scale!(3, x, 2);
    expect([...x]).toEqual([2, 4, 6]);
  });

  test('2-D array parameter: length nx*ny from double out[nx][ny]', () => {
    const out = new Float64Array(6);
    c.fill2d!(2, 3, out, 10);
    expect([...out]).toEqual([10, 11, 12, 13, 14, 15]);
    expect(() => c.fill2d!(2, 3, new Float64Array(5), 0)).toThrow(/has 5 elements but needs nx\*ny = 6 \(nx=2, ny=3\)/);
  });

  test('length from a #define constant', () => {
    expect(c.sum_field!(new Float64Array(8).fill(1))).toBe(8);
    expect(() => c.sum_field!(new Float64Array(7))).toThrow(/needs 8/);
  });
});

describe('scalars by value', () => {
  test('every integer and float type', () => {
    expect(c.scalars!(-1, 2, -3, 4, -5, 6, -7, 8, 0.5, 0.25)).toBeCloseTo(4.75, 12);
    expect(c.scalars!(-128, 255, -32768, 65535, -2147483648, 4294967295, -7n, 8n, 0, 0))
      .toBe(-128 + 255 - 32768 + 65535 - 2147483648 + 4294967295 - 7 + 8);
  });
  test('int64 and uint64 results', () => {
    expect(c.twice_i64!(2 ** 40)).toBe(2 ** 41);
    expect(c.twice_i64!(2n ** 61n)).toBe(2n ** 62n);
    expect(c.max_u64!()).toBe(2n ** 64n - 1n);
    expect(c.add_ul!(1, 2)).toBe(3);
    expect(c.add_ll!(-5, 2)).toBe(-3);
  });
  test('bool in and out, float results', () => {
    expect(c.is_positive!(2)).toBe(true);
    expect(c.is_positive!(-2)).toBe(false);
    expect(c.negate_if!(true, 5)).toBe(-5);
    expect(c.negate_if!(false, 5)).toBe(5);
    expect(c.half!(3)).toBe(1.5);
    expect(c.nothing!()).toBeUndefined();
  });
  test('out-of-range, non-integer and wrong-type scalars are refused', () => {
    expect(() => c.scalars!(128, 0, 0, 0, 0, 0, 0, 0, 0, 0)).toThrow(/argument 1 'a'.*from -128 to 127, got 128/);
    expect(() => c.scalars!(0, -1, 0, 0, 0, 0, 0, 0, 0, 0)).toThrow(/from 0 to 255/);
    expect(() => c.scalars!(0, 0, 0, 0, 1.5, 0, 0, 0, 0, 0)).toThrow(/'e'.*got 1.5/);
    expect(() => c.scalars!(0, 0, 0, 0, 0, 0, 2 ** 60, 0, 0, 0)).toThrow(/'g'.*safe integer/);
    expect(() => c.scalars!(0, 0, 0, 0, 0, 0, 0, -1n, 0, 0)).toThrow(/'h'.*uint64/);
    expect(() => c.scalars!(0, 0, 0, 0, 0, 0, 0, 0, '1', 0)).toThrow(/'fl'.*must be a number, got "1"/);
    expect(() => c.negate_if!(1, 5)).toThrow(/must be a boolean/);
  });
});

describe('scalars by reference', () => {
  test('declared { byRef: true }: plain numbers are accepted, a one-element array receives the result', () => {
    const n = new Int32Array([5]);
    c.incr!(n, 2);
    expect(n[0]).toBe(7);
    expect(() => c.incr!(1, 2)).not.toThrow();
    expect(() => c.incr!(new Float64Array(1), 2)).toThrow(/one-element Int32Array/);
    expect(() => c.incr!(1.5, 2)).toThrow(KernelArgumentError);
  });
});

describe('strings and bytes', () => {
  test('const char * takes a JS string', () => {
    expect(c.str_len!('hello')).toBe(5);
    expect(c.str_len!('')).toBe(0);
    expect(c.count_char!('banana', 'a'.charCodeAt(0))).toBe(3);
    expect(() => c.str_len!(new Uint8Array(3))).toThrow(/must be a string/);
  });
  test('char * output buffer takes a Uint8Array', () => {
    const buf = Buffer.alloc(5);
    c.write_hello!(buf, 5);
    expect(buf.toString()).toBe('hello');
    expect(c.$.signatures.write_hello?.params[0]?.intent).toBe('out');
  });
  test('const char * result is a JS string', () => {
    expect(c.greeting!()).toBe('hi from C');
  });
  test('void * takes any typed array or an address', () => {
    expect(c.sum_bytes!(new Uint8Array([1, 2, 3]), 3)).toBe(6);
    expect(c.sum_bytes!(new Uint16Array([0x0102]), 2)).toBe(3);
    const x = new Float64Array(4);
    const addr = c.address_of!(x) as bigint;
    expect(typeof addr === 'bigint' || typeof addr === 'number').toBe(true);
    expect(c.sum_bytes!(BigInt(addr), 0)).toBe(0);
    expect(() => c.sum_bytes!([1, 2, 3], 3)).toThrow(/typed array/);
    expect(() => c.sum_bytes!(null, 0)).toThrow(KernelArgumentError);
  });
  test('void * with a length contract and null allowed by { optional: true }', () => {
    const k = loadKernels(fixture('ctypes.c'), { sum_bytes: { args: { p: { length: 'nbytes', optional: true } } } });
    expect(k.sum_bytes!(new Uint8Array([1, 1]), 2)).toBe(2);
    expect(k.sum_bytes!(null, 0)).toBe(0);
    expect(() => k.sum_bytes!(new Uint8Array(2), 3)).toThrow(/has 2 bytes but needs nbytes = 3/);
  });
});

describe('C globals', () => {
  test('fixed arrays and scalars are live views, both ways', () => {
    const g = c.$.globals;
    expect(g.$.variables).toEqual(expect.arrayContaining(['g_field', 'g_count', 'g_pi', 'g_buf_n']));
    expect(g.$.variables).not.toContain('g_private');
    expect([...(g.g_field as Float64Array)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    (g.g_field as Float64Array)[0] = 100;
    g.g_count = 10;
    expect(c.g_sum!()).toBe(100 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 10);
    g.g_field = new Float64Array(8).fill(1);
    g.g_count = 3;
    expect(c.g_sum!()).toBe(11);
    expect(g.g_pi).toBeCloseTo(3.14159);
    expect(() => { g.g_pi = 3; }).toThrow(/read-only/);
    expect(() => { g.g_count = 1.5; }).toThrow(/cannot store 1.5/);
    expect(() => { g.g_field = [1, 2]; }).toThrow(/8 elements/);
    expect(() => { (g as Record<string, unknown>).nope = 1; }).toThrow(TypeError);
  });
  test('a pointer global needs a length, then follows the pointer', () => {
    expect(c.$.skipped.find((s) => s.name === 'g_buf')?.reason).toMatch(/give its length/);
    const k = loadKernels(fixture('ctypes.c'), null, { globals: { g_buf: 'g_buf_n' } });
    const g = k.$.globals;
    expect(g.g_buf).toBeNull();
    k.g_alloc!(5);
    const first = g.g_buf as Float64Array;
    expect([...first]).toEqual([0, 1, 2, 3, 4]);
    k.g_alloc!(3);                  // g_buf now points elsewhere
    expect(first.length).toBe(0);   // the old view was detached after the call
    expect([...(g.g_buf as Float64Array)]).toEqual([0, 1, 2]);
  });
});

describe('bindings read from the C source', () => {
  test('what could not be bound is listed by name with a reason, and calling it says why', () => {
    const names = c.$.skipped.filter((s) => s.what === 'kernel').map((s) => s.name).sort();
    expect(names).toEqual(['takes_callback', 'takes_pp', 'takes_struct', 'variadic']);
    expect(() => c.variadic!(1)).toThrow(/variadic was not bound.*variadic/);
    expect(c.$.kernels).not.toContain('hidden_helper');
    expect(c.use_hidden!(4)).toBe(4);
  });
  test('a declaration rescues a skipped function (a fixed prototype for a variadic one)', () => {
    const k = loadKernels(fixture('ctypes.c'), { variadic: 'int variadic(int n)' });
    expect(k.variadic!(7)).toBe(7);
    expect(k.$.skipped.some((s) => s.name === 'variadic')).toBe(false);
  });
});
