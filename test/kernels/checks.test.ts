// The checks made before every call, one by one: each refusal is a KernelArgumentError naming
// the kernel and the parameter, thrown before native code runs; and how to switch them off.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, test } from 'vitest';
import { ArgumentError, SimdeckError } from '../../src/errors.js';
import { KernelArgumentError, type Kernels, isDetached, loadKernels } from '../../src/kernels/index.js';
import { generatedSource } from '../../src/kernels/check.js';
import { example, fixture, kernelsBundle, root } from './helpers.js';

function detached(n: number): Float64Array {
  const a = new Float64Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

function refusal(fn: () => unknown): KernelArgumentError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelArgumentError) return e;
    throw e;
  }
  throw new Error('the call was not refused');
}

let heat: Kernels;
let c: Kernels;
beforeAll(() => {
  heat = loadKernels(example('heat2d/heat.c'));
  c = loadKernels(fixture('ctypes.c'));
});

describe('each check', () => {
  const u = new Float64Array(12), v = new Float64Array(12);

  test('a correct call passes and computes', () => {
    u.fill(1);
    heat.heat_step!(3, 4, u, v, 0.1);
    expect([...v]).toEqual([...u]);
  });

  test('argument count', () => {
    const e = refusal(() => heat.heat_step!(3, 4, u, v));
    expect(e).toMatchObject({ kernel: 'heat_step', parameter: '', index: -1, problem: 'count' });
    expect(e.message).toMatch(/heat_step\(\) expects 5 arguments \(nx, ny, u, unew, alpha\), got 4/);
    expect(refusal(() => heat.heat_step!(3, 4, u, v, 0.1, 1)).problem).toBe('count');
    expect(refusal(() => c.nothing!(1)).problem).toBe('count');
  });

  test('a plain Array where double * is declared is a type error, never a silent copy', () => {
    const e = refusal(() => heat.heat_step!(3, 4, Array(12).fill(0), v, 0.1));
    expect(e).toMatchObject({ kernel: 'heat_step', parameter: 'u', index: 2, problem: 'type' });
    expect(e.message).toMatch(/must be a Float64Array, got Array\(12\): a plain Array would be copied/);
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e).toBeInstanceOf(SimdeckError);
  });

  test('element type of typed arrays', () => {
    const e = refusal(() => heat.heat_step!(3, 4, new Float32Array(12), v, 0.1));
    expect(e).toMatchObject({ parameter: 'u', problem: 'type' });
    expect(e.message).toMatch(/got Float32Array\(12\): its elements are not double/);
    expect(refusal(() => heat.heat_step!(3, 4, u, new DataView(new ArrayBuffer(96)), 0.1)).parameter).toBe('unew');
    expect(refusal(() => heat.heat_step!(3, 4, u, null, 0.1)).parameter).toBe('unew');
    expect(refusal(() => heat.heat_step!(3, 4, u, new ArrayBuffer(96), 0.1)).parameter).toBe('unew');
  });

  test('lengths from expressions of other arguments', () => {
    const e = refusal(() => heat.heat_step!(3, 5, u, v, 0.1));
    expect(e).toMatchObject({ parameter: 'u', index: 2, problem: 'length' });
    expect(e.message).toMatch(/has 12 elements but needs nx\*ny = 15 \(nx=3, ny=5\)/);
    expect(refusal(() => heat.heat_step!(3, 4, u, v.subarray(1), 0.1)).parameter).toBe('unew');
    expect(() => heat.heat_step!(3, 4, new Float64Array(13), v, 0.1)).not.toThrow();  // longer is fine
  });

  test('NaN, non-integer, infinite, negative and wrong-type sizes', () => {
    for (const bad of [Number.NaN, 2.5, Infinity, -Infinity, 2 ** 31, '3', 3n, null, undefined, true, {}]) {
      const e = refusal(() => heat.heat_step!(bad, 4, u, v, 0.1));
      expect(e.parameter, String(bad)).toBe('nx');
      expect(['type', 'range', 'size']).toContain(e.problem);
    }
    expect(refusal(() => heat.heat_step!(Number.NaN, 4, u, v, 0.1)).message).toMatch(/got NaN \(a NaN size\)/);
    const neg = refusal(() => heat.heat_step!(-3, -4, u, v, 0.1));
    expect(neg).toMatchObject({ parameter: 'nx', problem: 'size' });
    expect(neg.message).toMatch(/sizes an array \(u, unew\) and must not be negative/);
  });

  test('detached buffers', () => {
    const d = detached(12);
    expect(isDetached(d)).toBe(true);
    expect(isDetached(u)).toBe(false);
    const e = refusal(() => heat.heat_step!(3, 4, d, v, 0.1));
    expect(e).toMatchObject({ parameter: 'u', problem: 'detached' });
    expect(e.message).toMatch(/detached ArrayBuffer/);
    // even where no length is declared, and even when zero elements are needed
    expect(refusal(() => c.scale!(0, detached(3), 1)).problem).toBe('detached');
    expect(refusal(() => heat.heat_step!(0, 0, detached(1), v, 0.1)).problem).toBe('detached');
    expect(() => heat.heat_step!(0, 0, new Float64Array(0), new Float64Array(0), 0.1)).not.toThrow();
  });

  test('a non-number where a double is declared', () => {
    const e = refusal(() => heat.heat_step!(3, 4, u, v, '0.1'));
    expect(e).toMatchObject({ parameter: 'alpha', index: 4, problem: 'type' });
    expect(() => heat.heat_step!(3, 4, u, v, Number.NaN)).not.toThrow();   // NaN is a legal double
  });

  test('nothing was written when a call is refused', () => {
    const w = new Float64Array(12).fill(7);
    expect(() => heat.heat_step!(3, 5, u, w, 0.1)).toThrow(KernelArgumentError);
    expect(w.every((x) => x === 7)).toBe(true);
  });
});

describe('switching checks off', () => {
  test('.unchecked calls the same kernel without checks', () => {
    const u = new Float64Array(12).fill(2), v = new Float64Array(12);
    heat.heat_step!.unchecked(3, 4, u, v, 0.1);
    expect([...v]).toEqual([...u]);
    expect(heat.heat_step!.unchecked.name).toBe('heat_step_unchecked');
  });

  test('{ checks: false } binds the unchecked functions', () => {
    const k = loadKernels(example('heat2d/heat.c'), null, { checks: false });
    expect(k.heat_step!.name).toBe('heat_step_unchecked');
    expect(k.heat_interior_sum!(3, 3, new Float64Array(9).fill(1))).toBe(1);
  });

  test('SIMDECK_KERNEL_CHECKS=off switches them off for a whole process', () => {
    const script = `
      const { loadKernels } = await import(${JSON.stringify(kernelsBundle())});
      const k = loadKernels(${JSON.stringify(example('heat2d/heat.c'))});
      console.log(k.heat_step.name);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, SIMDECK_KERNEL_CHECKS: 'off' }, encoding: 'utf8', cwd: root,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('heat_step_unchecked');
  });

  test('the generated check is straight-line code', () => {
    const src = generatedSource(heat.$.signatures.heat_step!);
    expect(src.checked).toMatch(/if \(arguments\.length !== 5\)/);
    expect(src.checked).toMatch(/a2 instanceof T0/);
    expect(src.checked).not.toMatch(/for \(|while \(/);
    expect(src.unchecked).not.toMatch(/fail\(/);
  });
});
