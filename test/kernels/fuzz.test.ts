// Bad-input fuzzing: more than 10,000 random wrong calls against the example and fixture kernels
// (wrong types, lengths, counts, NaN sizes, detached buffers). Every one must be refused with a
// KernelArgumentError naming the kernel, before native code runs, and the process must stay
// alive: correct calls still give the right answers afterwards.
import { expect, test } from 'vitest';
import { KernelArgumentError, type KernelFunction, type Kernels, type ParamSpec, type Signature, loadKernels } from '../../src/kernels/index.js';
import { evaluate, identifiers } from '../../src/kernels/expr.js';
import { scalarInfo } from '../../src/kernels/ctypes.js';
import { example, fixture, hasGfortran } from './helpers.js';

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20240605);
const CALLS = Number(process.env.FUZZ_CALLS ?? 12_000);
type Category = 'count' | 'type' | 'length' | 'nan-size' | 'detached';

function detached(ctor: new (n: number) => ArrayBufferView, n: number): ArrayBufferView {
  const a = new ctor(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

const allCtors = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array, Float32Array, Float64Array] as const;

interface Target { name: string; fn: KernelFunction; sig: Signature }

function sizesOf(sig: Signature): Set<string> {
  const s = new Set<string>();
  for (const p of sig.params) if (p.length !== null) for (const id of identifiers(p.length)) s.add(id);
  return s;
}

/** A correct argument list for `sig` (sizes 1..6). */
function correctCall(sig: Signature, r: () => number): unknown[] {
  const sizes = sizesOf(sig);
  const values = new Map<string, number>();
  const args: unknown[] = sig.params.map((p) => {
    if (p.kind === 'value' || p.kind === 'ref') {
      let v: number | boolean;
      if (p.logical || p.type === 'bool') v = r() < 0.5;
      else if (sizes.has(p.name)) v = 1 + Math.floor(r() * 6);
      else if (p.type === 'float32' || p.type === 'float64') v = r() * 10 - 5;
      else v = Math.floor(r() * 100);
      if (typeof v === 'number') values.set(p.name, v);
      const big = p.type === 'int64' || p.type === 'uint64';
      if (p.kind === 'ref' && (p.intent === 'out' || p.intent === 'inout')) {
        const t = new (scalarInfo(p.type).arrays[0] as new (n: number) => { [i: number]: unknown })(1);
        t[0] = typeof v === 'boolean' ? (v ? 1 : 0) : big ? BigInt(v) : v;
        return t;
      }
      return v;
    }
    return undefined;
  });
  sig.params.forEach((p, i) => {
    if (p.kind === 'array') {
      const n = p.length === null ? 64 : evaluate(p.length, (id) => values.get(id) ?? sig.constants.get(id) ?? 0);
      args[i] = new (scalarInfo(p.type).arrays[0] as new (n: number) => ArrayBufferView)(n);
    } else if (p.kind === 'pointer') {
      args[i] = new Uint8Array(p.length === null ? 64 : evaluate(p.length, (id) => values.get(id) ?? 0));
    } else if (p.kind === 'string') {
      const explicitOut = p.intent === 'out' || p.intent === 'inout';
      const len = p.length === null ? 8 : evaluate(p.length, () => 0);
      args[i] = sig.language === 'fortran' && explicitOut ? Buffer.alloc(len, 0x20) : 'abc';
    }
  });
  return args;
}

const junk: unknown[] = [null, undefined, 'text', '3', {}, [], [1, 2, 3], () => 1, Symbol('s'), true, new DataView(new ArrayBuffer(64)),
  new ArrayBuffer(64), new Proxy(new Float64Array(64), {}), new Proxy({}, {}), new Date(0), /x/, new Map()];

/** Values certainly wrong for parameter `p` (of its kind and type). */
function wrongValue(sig: Signature, p: ParamSpec, current: unknown, r: () => number): { value: unknown; cat: Category } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const isSize = sizesOf(sig).has(p.name);
  const integer = !p.logical && p.type !== 'float32' && p.type !== 'float64' && p.type !== 'bool';
  if ((p.kind === 'value' || p.kind === 'ref') && isSize && r() < 0.5) {
    const bad = pick([Number.NaN, 2.5, -1, -7, Infinity, -Infinity, 1e12, Number.MAX_VALUE, (current as number) + 1000]);
    return { value: bad, cat: 'nan-size' };
  }
  if (p.kind === 'value') {
    if (p.logical || p.type === 'bool') return { value: pick([0, 1, 'true', null, undefined, 1n, {}]), cat: 'type' };
    if (integer) {
      const range = p.type === 'int64' || p.type === 'uint64' ? [2n ** 64n, -(2n ** 64n), 2 ** 60, 1.5, Number.NaN] : [Number.NaN, 0.5, 2 ** 63, -(2 ** 63), 1n];
      return { value: pick([...range, ...junk]), cat: 'type' };
    }
    return { value: pick(junk.filter((x) => typeof x !== 'number')), cat: 'type' };
  }
  if (p.kind === 'ref') {
    const info = scalarInfo(p.type);
    const wrongArrays = allCtors.filter((c) => !info.arrays.includes(c as never)).map((c) => new c(1));
    if (r() < 0.25) return { value: detached(info.arrays[0] as never, 1), cat: 'detached' };
    const explicitOut = p.intent === 'out' || p.intent === 'inout';
    const choices: unknown[] = [...wrongArrays, new (info.arrays[0] as new (n: number) => unknown)(0), ...junk];
    if (explicitOut) choices.push(1, true, 2.5);
    else if (integer) choices.push(Number.NaN, 2.5);
    if (!p.logical && integer) choices.push(true);
    if (p.logical) choices.push(0, 1);
    return { value: pick(choices.filter((x) => (x !== null || !p.optional) && !(p.logical && !explicitOut && typeof x === 'boolean'))), cat: 'type' };
  }
  if (p.kind === 'array') {
    const info = scalarInfo(p.type);
    const ctor = info.arrays[0] as new (n: number) => ArrayBufferView & { length: number };
    const cur = current as { length: number };
    const roll = r();
    if (roll < 0.25) return { value: detached(ctor as never, cur.length), cat: 'detached' };
    if (roll < 0.5 && p.length !== null && cur.length > 0) return { value: new ctor(cur.length - 1 - Math.floor(r() * cur.length)), cat: 'length' };
    if (roll < 0.6) return { value: Array.from({ length: cur.length }, () => 0), cat: 'type' };
    const wrongArrays = allCtors.filter((c) => !info.arrays.includes(c as never)).map((c) => new c(Math.max(cur.length, 1)));
    return { value: pick([...wrongArrays, ...junk, 5, 5n].filter((x) => x !== null || !p.optional)), cat: 'type' };
  }
  if (p.kind === 'pointer') {
    if (r() < 0.3) return { value: detached(Uint8Array, 8), cat: 'detached' };
    return { value: pick([0n, -1n, 5, [1, 2], 'ptr', null, undefined, {}, new ArrayBuffer(8)]), cat: 'type' };
  }
  // strings
  if (sig.language === 'c') return { value: pick([1, null, undefined, [1], new Uint8Array(3), {}, 1n]), cat: 'type' };
  if (r() < 0.25) return { value: detached(Uint8Array, 4), cat: 'detached' };
  const choices: unknown[] = [1, null, undefined, [1], new Int8Array(3), {}, 1n, new Uint16Array(4)];
  if (p.intent === 'out' || p.intent === 'inout') choices.push('abc');
  if (p.length !== null) return { value: pick([...choices, new Uint8Array(Math.max(0, evaluate(p.length, () => 0) - 1))]), cat: 'length' };
  return { value: pick(choices), cat: 'type' };
}

function targets(libs: Kernels[]): Target[] {
  const out: Target[] = [];
  for (const k of libs) {
    for (const name of k.$.kernels) out.push({ name, fn: k[name] as KernelFunction, sig: k.$.signatures[name] as Signature });
  }
  return out;
}

test(`fuzz: ${CALLS} random wrong calls are all refused with a typed error`, () => {
  const libs: Kernels[] = [loadKernels(example('heat2d/heat.c')), loadKernels(fixture('ctypes.c'), { incr: { args: { counter: { byRef: true } } } })];
  if (hasGfortran || process.env.CI === 'true') {
    libs.push(loadKernels(example('heat2d/heat.f90')), loadKernels(fixture('fkinds.f90')), loadKernels(example('advect/advect.f90')));
  } else {
    console.warn('fuzz: Fortran kernels left out, gfortran is not installed (apt-get install gfortran)');
  }
  const all = targets(libs);
  expect(all.length).toBeGreaterThan(30);
  const r = rng(SEED);
  const counts: Record<Category, number> = { count: 0, type: 0, length: 0, 'nan-size': 0, detached: 0 };
  const failures: string[] = [];
  for (let call = 0; call < CALLS; call++) {
    const t = all[Math.floor(r() * all.length)] as Target;
    const args = correctCall(t.sig, r);
    let cat: Category;
    if (t.sig.params.length === 0 || r() < 0.08) {
      if (args.length > 0 && r() < 0.5) args.pop();
      else args.push(args.length > 0 ? args[0] : 1);
      cat = 'count';
    } else {
      const i = Math.floor(r() * t.sig.params.length);
      const w = wrongValue(t.sig, t.sig.params[i] as ParamSpec, args[i], r);
      args[i] = w.value;
      cat = w.cat;
    }
    counts[cat]++;
    try {
      t.fn(...args);
      failures.push(`call ${call}: ${t.name}(${args.map((a) => typeof a === 'symbol' ? 'symbol' : String(a)?.slice(0, 20)).join(', ')}) was not refused (${cat})`);
    } catch (e) {
      if (!(e instanceof KernelArgumentError)) failures.push(`call ${call}: ${t.name} threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      else if (e.kernel !== t.name) failures.push(`call ${call}: error names ${e.kernel}, not ${t.name}`);
    }
    if (failures.length > 10) break;
  }
  expect(failures).toEqual([]);
  console.log(`fuzz (seed ${SEED}): ${CALLS} wrong calls over ${all.length} kernels refused:`, counts);
  for (const c of Object.keys(counts) as Category[]) expect(counts[c], c).toBeGreaterThan(300);

  // the process is alive and correct calls still compute the right thing
  const heat = libs[0] as Kernels;
  const nx = 5, ny = 6;
  const u = Float64Array.from({ length: nx * ny }, (_, i) => i % 7), v = new Float64Array(nx * ny);
  heat.heat_step!(nx, ny, u, v, 0.25);
  const k = 2 * ny + 3;
  expect(v[k]).toBeCloseTo(u[k]! + 0.25 * (u[k - ny]! + u[k + ny]! + u[k - 1]! + u[k + 1]! - 4 * u[k]!), 14);
  expect((libs[1] as Kernels).sum_f64!(3, new Float64Array([1, 2, 3]))).toBe(6);
});
