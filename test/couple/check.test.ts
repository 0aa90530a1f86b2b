// The coupling check, in process: each kind of mistake gives its typed error, naming the
// components and fields, from the description alone (so before any step); and the weights
// behave (linear exact on linear data, conservative partitions each source cell).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { root } from '../helpers/job.js';

const couple = await import(join(root, 'dist', 'src', 'couple', 'index.js'));
const mapping = await import(join(root, 'dist', 'src', 'couple', 'mapping.js'));
const { nativeMaps, nativeMapsReason } = await import(join(root, 'dist', 'src', 'couple', 'native.js'));
const { Coupling, CouplingError, DeclarationError, UnconnectedFieldError, UnitMismatchError, ShapeMismatchError, IntervalError, WaitCycleError } = couple;

const g1 = (n: number) => ({ origin: [0.5 / n], spacing: [1 / n], shape: [n] });
const field = (n = 10, units = 'K') => ({ grid: g1(n), units });

/** A valid three-component chain a → b → c with a control loop c → a. */
function chain(over: { ab?: object; bc?: object; ca?: object; a?: object; b?: object; c?: object } = {}) {
  return {
    components: {
      a: { dt: 0.1, sends: { out: field(10) }, receives: { ctl: field(3, '1') }, ...over.a },
      b: { dt: 0.05, sends: { out: field(20) }, receives: { in: field(15) }, ...over.b },
      c: { dt: 0.2, sends: { ctl: field(4, '1') }, receives: { in: field(7) }, ...over.c },
    },
    interfaces: [
      { from: 'a.out', to: 'b.in', map: 'linear', order: 'serial', ...over.ab },
      { from: 'b.out', to: 'c.in', map: 'conservative', order: 'serial', ...over.bc },
      { from: 'c.ctl', to: 'a.ctl', map: 'nearest', ...over.ca },
    ],
  };
}

function thrown(f: () => unknown): Error {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('nothing was thrown');
}

describe('coupling check', () => {
  it('accepts a valid chain and fills in intervals from the time steps', () => {
    const c = new Coupling(chain()).check();
    expect(c.interval('b.in')).toBeCloseTo(0.1, 12);
    expect(c.interval('c.in')).toBeCloseTo(0.2, 12);
    expect(c.interval('a.ctl')).toBeCloseTo(0.2, 12);
  });

  it('a sent field with no receiver', () => {
    const d = chain({ a: { sends: { out: field(10), spare: field(5) } } });
    const e = thrown(() => new Coupling(d).check());
    expect(e).toBeInstanceOf(UnconnectedFieldError);
    expect(e).toBeInstanceOf(CouplingError);
    expect(e.message).toContain('a sends a.spare but no interface carries it');
    expect((e as InstanceType<typeof UnconnectedFieldError>).field).toBe('a.spare');
  });

  it('a received field with nothing sent', () => {
    const d = chain({ c: { receives: { in: field(7), extra: field(2) } } });
    const e = thrown(() => new Coupling(d).check());
    expect(e).toBeInstanceOf(UnconnectedFieldError);
    expect(e.message).toContain('c receives c.extra but nothing is sent to it');
  });

  it('a unit mismatch', () => {
    const d = chain({ b: { receives: { in: field(15, 'degC') } } });
    const e = thrown(() => new Coupling(d).check());
    expect(e).toBeInstanceOf(UnitMismatchError);
    expect(e.message).toContain("a.out → b.in: a sends out in 'K' but b expects in in 'degC'");
  });

  it('a dimension mismatch, a dof mismatch, a target outside its source', () => {
    let e = thrown(() => new Coupling(chain({ b: { receives: { in: { grid: { origin: [0, 0], spacing: [0.1, 0.1], shape: [10, 10] }, units: 'K' } } } })).check());
    expect(e).toBeInstanceOf(ShapeMismatchError);
    expect(e.message).toContain('a.out is 1-D [10] but b.in is 2-D [10, 10]');
    e = thrown(() => new Coupling(chain({ b: { receives: { in: { ...field(15), dof: 2 } } } })).check());
    expect(e).toBeInstanceOf(ShapeMismatchError);
    expect(e.message).toContain('a.out has 1 components per point but b.in has 2');
    e = thrown(() => new Coupling(chain({ b: { receives: { in: { grid: { origin: [0.05], spacing: [0.1], shape: [12] }, units: 'K' } } } })).check());
    expect(e).toBeInstanceOf(ShapeMismatchError);
    expect(e.message).toContain('along dimension 0 the target points span 0.05..1.15 but the source cells only 0..1');
  });

  it('incompatible intervals: no common coupling time', () => {
    let e = thrown(() => new Coupling(chain({ ab: { every: 0.25 } })).check());
    expect(e).toBeInstanceOf(IntervalError);
    expect(e.message).toContain('a.out → b.in: the interval 0.25 is not a whole number of a steps (dt 0.1)');
    e = thrown(() => new Coupling(chain({ a: { dt: 0.1 }, b: { dt: Math.PI / 100 } })).check());
    expect(e).toBeInstanceOf(IntervalError);
    expect(e.message).toContain('reach no common time within 10000 steps');
  });

  it('a wait cycle of serial interfaces', () => {
    const e = thrown(() => new Coupling(chain({ ca: { order: 'serial' } })).check());
    expect(e).toBeInstanceOf(WaitCycleError);
    expect(e.message).toContain('form a wait cycle a → b → c → a');
    expect((e as InstanceType<typeof WaitCycleError>).cycle).toEqual(['a', 'b', 'c', 'a']);
  });

  it('declaration mistakes', () => {
    expect(thrown(() => new Coupling(chain({ ab: { to: 'b.nope' } })))).toBeInstanceOf(DeclarationError);
    expect(thrown(() => new Coupling(chain({ ab: { from: 'x.out' } }))).message).toContain('names the component x, which is not declared');
    expect(thrown(() => new Coupling(chain({ ab: { from: 'b.in' } }))).message).toContain('from b.in is a field b receives; an interface goes from a sent field to a received one');
    expect(thrown(() => new Coupling(chain({ ab: { map: 'cubic' } }))).message).toContain("map must be 'nearest', 'linear' or 'conservative'");
    expect(thrown(() => new Coupling({ components: {}, interfaces: [] })).name).toBe('ArgumentError');
  });
});

describe('weights', () => {
  const { axisWeights, applyWeights } = mapping;
  it('linear reproduces a linear function, conservative partitions every source cell', () => {
    const s = { origin: 0.5 / 37, spacing: 1 / 37, n: 37 }, t = { origin: 0.5 / 50, spacing: 1 / 50, n: 50 };
    const src = Float64Array.from({ length: 37 }, (_, i) => 3 - 2 * (s.origin + i * s.spacing));
    const lin = applyWeights(src, [axisWeights('linear', s, t, 0, 50)], 1, { stages: [] });
    for (let j = 0; j < 50; j++) expect(Math.abs(lin[j] - (3 - 2 * (t.origin + j * t.spacing)))).toBeLessThan(1e-12);
    const w = axisWeights('conservative', s, t, 0, 50);
    const share = new Float64Array(37);
    for (let j = 0; j < 50; j++) for (let k = w.ptr[j]; k < w.ptr[j + 1]; k++) share[w.idx[k]] += w.w[k] * t.spacing;
    for (let i = 0; i < 37; i++) expect(Math.abs(share[i] - s.spacing) / s.spacing).toBeLessThan(1e-12);
  });

  it('applies the weights in one pass with the same bits as the nested sum, point by point', () => {
    // applyWeights contracts each source slab once into a ring and combines slabs per target
    // slab; this evaluates Σ_k0 w0·(Σ_k1 w1·(Σ_k2 w2·x)) for every target point directly, in
    // the same order (ascending k, first term assigned), on blocks that start mid-grid, with
    // coarse targets (wide windows that wrap the ring), dof 2 and both element types
    type W = { ptr: Int32Array; idx: Int32Array; w: Float64Array; srcLo: number; srcHi: number; lo: number; hi: number };
    const axis = (n: number, L: number) => ({ origin: L / n / 2, spacing: L / n, n });
    for (const map of ['linear', 'conservative', 'nearest'] as const) {
      for (const [src, dst, lo, T] of [[[13, 9, 11], [5, 14, 3], [1, 2, 0], Float64Array], [[17, 8], [4, 8], [1, 0], Float32Array], [[9, 30], [26, 7], [3, 1], Float64Array]] as const) {
        const axes: W[] = dst.map((m, d) => axisWeights(map, axis(src[d], 1 + d), axis(m, 1 + d), lo[d], m));
        const shape = axes.map((a) => a.srcHi - a.srcLo), dof = 2;
        const fp = new T(shape.reduce((p, x) => p * x, dof)).map((_, i) => Math.sin(i * 1.7) * 3 + i * 1e-3);
        const got = Float64Array.from(applyWeights(fp, axes, dof, { stages: [] }) as ArrayLike<number>);
        const fstr = shape.map((_, d) => shape.slice(d + 1).reduce((p, x) => p * x, dof));
        const nest = (d: number, js: number[], off: number, c: number): number => {
          if (d === axes.length) return fp[off + c];
          const a = axes[d], j = js[d];
          let v = 0;
          for (let k = a.ptr[j]; k < a.ptr[j + 1]; k++) {
            const term = a.w[k] * nest(d + 1, js, off + (a.idx[k] - a.srcLo) * fstr[d], c);
            v = k === a.ptr[j] ? term : v + term;
          }
          return v;
        };
        const m = axes.map((a) => a.hi - a.lo);
        let at = 0, bad = 0;
        const walk = (d: number, js: number[]): void => {
          if (d === m.length) { for (let c = 0; c < dof; c++) if (!Object.is(nest(0, js, 0, c), got[at++])) bad++; return; }
          for (let j = 0; j < m[d]; j++) walk(d + 1, [...js, j]);
        };
        walk(0, []);
        expect({ map, src, bad, length: got.length }).toEqual({ map, src, bad: 0, length: m.reduce((p, x) => p * x, dof) });
      }
    }
  });

  it('gives the same bits when the sender weights the last dimension (contractRow) and the receiver maps the rest in bands', () => {
    // what a contracting route does: rows of the raw footprint contracted along the last
    // dimension for the target's columns, then the other dimensions mapped slab range by slab
    // range (mapSlabs) against an identity last axis; compared with applyWeights on the raw footprint
    const { contractRow, mapSlabs, mapTarget, identityAxis } = mapping;
    type W = { ptr: Int32Array; idx: Int32Array; w: Float64Array; srcLo: number; srcHi: number; lo: number; hi: number };
    const axis = (n: number, L: number) => ({ origin: L / n / 2, spacing: L / n, n });
    let cases = 0;
    for (const map of ['linear', 'conservative', 'nearest'] as const) {
      for (const [src, dst, lo, T, dof] of [[[13, 9, 11], [5, 14, 3], [1, 2, 0], Float64Array, 2], [[17, 8], [40, 7], [1, 0], Float32Array, 1], [[30, 29], [26, 31], [3, 1], Float64Array, 1], [[30, 29], [26, 31], [0, 0], Float64Array, 3]] as const) {
        const axes: W[] = dst.map((m, d) => axisWeights(map, axis(src[d], 1 + d), axis(m, 1 + d), lo[d], m));
        const shape = axes.map((a) => a.srcHi - a.srcLo), n = shape.length, last = axes[n - 1];
        const fp = new T(shape.reduce((p, x) => p * x, dof)).map((_, i) => Math.sin(i * 1.7) * 3 + i * 1e-3);
        const want = Float64Array.from(applyWeights(fp, axes, dof, { stages: [] }) as ArrayLike<number>);
        const rows = fp.length / (shape[n - 1] * dof), m = last.hi - last.lo;
        const contracted = new Float64Array(rows * m * dof);
        for (let r = 0; r < rows; r++) contractRow(fp, r * shape[n - 1] * dof, last, dof, contracted, r * m * dof);
        const recv = [...axes.slice(0, n - 1), identityAxis(last.lo, last.hi)];
        const scratch = { stages: [] }, out = mapTarget(recv, dof, scratch)!;
        const m0 = axes[0].hi - axes[0].lo;
        for (let j = 0; j < m0; j += 3) mapSlabs(contracted, recv, dof, scratch, out, j, Math.min(m0, j + 3));
        let bad = 0;
        for (let k = 0; k < want.length; k++) if (!Object.is(want[k], out[k])) bad++;
        expect({ map, src, dof, bad, length: out.length }).toEqual({ map, src, dof, bad: 0, length: want.length });
        cases++;
      }
    }
    expect(cases).toBe(12);
  });

  it('gives the same bits when the sender maps a 2-D target whole (mapRows), band by band, JavaScript and WebAssembly kernels', () => {
    // what a sender does for a target whose whole footprint it holds (route.ts sendersMap):
    // source rows (inside a wider array, at an offset) contracted into a ring as target rows
    // need them, combined into bands of finished rows; compared with applyWeights on the footprint
    const { mapRows, wasmSender } = mapping;
    const axis = (n: number, L: number, shift = 0) => ({ origin: L / n / 2 + shift * L / n, spacing: L / n, n });
    let cases = 0, wasmCases = 0;
    for (const map of ['linear', 'conservative', 'nearest'] as const) {
      for (const [src, dst, shift, lo, T, dof] of [[[40, 37], [40, 30], 0.4995, [3, 2], Float64Array, 1], [[33, 64], [47, 60], 0.2, [0, 5], Float32Array, 1],
        [[21, 18], [16, 15], 0.1, [2, 1], Float64Array, 2],
        // the same spacing shifted along both axes: four rows at a time (runRows4), runs and the
        // clamped last column (a gathering stretch), 70 columns (a tail of two), bands of 7 rows
        [[64, 70], [64, 70], 0.4995, [1, 0], Float32Array, 1]] as const) {
        const axes = dst.map((m, d) => axisWeights(map, axis(src[d], 1 + d), axis(m, 1 + d, map === 'conservative' ? 0 : shift), lo[d], m));
        const [a0, a] = axes, rows = a0.srcHi - a0.srcLo, width = a.srcHi - a.srcLo, m = a.hi - a.lo, m0 = a0.hi - a0.lo;
        const fp = new T(rows * width * dof).map((_, i) => Math.sin(i * 1.7) * 3 + i * 1e-3 - 1 / (i + 0.5));
        const want = Float64Array.from(applyWeights(fp, axes, dof, { stages: [] }) as ArrayLike<number>);
        // the footprint inside a source array 3 columns wider, 2 rows and 1 column in
        const stride = (width + 3) * dof, at0 = 2 * stride + dof;
        const input = new T(stride * (rows + 4));
        for (let r = 0; r < rows; r++) input.set(fp.subarray(r * width * dof, (r + 1) * width * dof), at0 + r * stride);
        let slots = 1;
        for (let j = 0; j < m0; j++) if (a0.ptr[j + 1] > a0.ptr[j]) slots = Math.max(slots, a0.idx[a0.ptr[j + 1] - 1] - a0.idx[a0.ptr[j]] + 1);
        // WebAssembly: source rows copied into the arena from the wider array (wasm) or from the
        // dense footprint (wasm-dense, one copy per four rows), or read where they are, a Float64
        // copy of the wider array in the arena (wasm-arena: a split target's window)
        // native: the C kernels (maps.c) reading the wider array (Float64 only, when they load)
        for (const kernels of ['js', 'wasm', 'wasm-dense', 'wasm-arena', 'native']) {
          const s = kernels !== 'js' ? wasmSender([a], [0], dof, [slots * m * dof, m0 * m * dof, input.length]) : null;
          if (kernels !== 'js' && s === null) continue;   // no WebAssembly kernels for these weights (not pairs, or dof > 1): 12 JS, 4 cases per wasm variant
          if (kernels === 'native' && (s!.rows.native === null || T !== Float64Array)) continue;
          if (kernels !== 'native' && s !== null) s.rows.native = null;
          const ring = s !== null ? s.rings[0] : new Float64Array(slots * m * dof), out = s !== null ? s.rings[1] : new Float64Array(m0 * m * dof);
          const from = kernels === 'wasm-arena' ? s!.rings[2] : kernels === 'wasm-dense' ? fp : input;
          if (kernels === 'wasm-arena') from.set(input);
          const [fromAt, fromStride] = kernels === 'wasm-dense' ? [0, width * dof] : [at0, stride];
          const held = new Int32Array(slots).fill(-1);
          for (let j = 0; j < m0; j += 7) {
            const j1 = Math.min(m0, j + 7);
            mapRows(from, fromAt, fromStride, a, a0, dof, ring, held, out.subarray(j * m * dof, j1 * m * dof), j, j1, s === null ? null : s.rows);
          }
          let bad = 0;
          for (let k = 0; k < want.length; k++) if (!Object.is(want[k], out[k])) bad++;
          expect({ map, src, kernels, bad }).toEqual({ map, src, kernels, bad: 0 });
          cases++;
          if (s !== null && kernels !== 'native') wasmCases++;
        }
      }
    }
    // (one native case: the Float64 linear one of one value per point)
    expect({ cases, wasmCases }).toEqual({ cases: nativeMaps() === null ? 24 : 25, wasmCases: 12 });
  });

  it('the WebAssembly kernels give the bits of the JavaScript ones (the reference), gathering or reading runs', () => {
    // a sender's contraction (contractRowWasm against contractRow) and a receiver's combination
    // of contracted rows (mapSlabs over a footprint in the arena against a plain one), for
    // linear 2-D maps: the same spacing shifted (runs, the clamped last point gathers),
    // refined and coarsened (gathers), odd and even widths, Float64 and Float32 sources
    const { axisWeights, contractRow, contractRowWasm, wasmSender, wasmReceiver, mapSlabs, mapTarget, identityAxis } = mapping;
    const axis = (n: number, L: number, shift = 0) => ({ origin: L / n / 2 + shift * L / n, spacing: L / n, n });
    let runs = 0, gathers = 0, cases = 0;
    for (const [src, dst, shift, lo, T] of [[[50, 67], [49, 67], 0.37, [0, 0], Float64Array], [[31, 40], [31, 40], 0.4995, [3, 5], Float32Array],
      [[20, 23], [41, 47], 0.013, [1, 2], Float64Array], [[64, 90], [30, 33], 0.1, [0, 1], Float32Array]] as const) {
      const axes = dst.map((m, d) => axisWeights('linear', axis(src[d], 1 + d), axis(m, 1 + d, shift), lo[d], m));
      const last = axes[1], width = last.srcHi - last.srcLo, m = last.hi - last.lo, rows = axes[0].srcHi - axes[0].srcLo;
      const fp = new T(rows * width).map((_, i) => Math.sin(i * 1.7) * 3 + i * 1e-3 - 1 / (i + 0.5));
      const want = new Float64Array(rows * m);
      for (let r = 0; r < rows; r++) contractRow(fp, r * width, last, 1, want, r * m);
      const s = wasmSender([last], [rows * m], 1)!;
      expect({ src, pairs: last.pairs, wasm: s !== null }).toEqual({ src, pairs: true, wasm: true });
      const got = s.bufs[0]!;
      for (let r = 0; r < rows; r++) contractRowWasm(fp, r * width, last, s.rows, got, r * m);
      const seg = s.rows.axes.get(last)!.segments;
      for (let k = 2; k < seg.length; k += 3) if (seg[k] >= 0) runs++; else gathers++;
      let bad = 0;
      for (let k = 0; k < want.length; k++) if (!Object.is(want[k], got[k])) bad++;
      // the receiver: contracted rows combined pairwise
      const recv = [axes[0], identityAxis(last.lo, last.hi)];
      const js = { stages: [] }, outJs = mapTarget(recv, 1, js)!;
      mapSlabs(want, recv, 1, js, outJs, 0, axes[0].hi - axes[0].lo);
      const r = wasmReceiver(want.length, m)!;
      r.rows.native = null;   // the WebAssembly kernels (the native ones: the test below)
      r.footprint.set(want);
      const wa = { stages: [], wasm: r.rows }, outWa = new Float64Array(outJs.length);
      const m0 = axes[0].hi - axes[0].lo;
      for (let j = 0; j < m0; j += 4) mapSlabs(r.footprint, recv, 1, wa, outWa, j, Math.min(m0, j + 4));
      let badCombine = 0;
      for (let k = 0; k < outJs.length; k++) if (!Object.is(outJs[k], outWa[k])) badCombine++;
      expect({ src, dst, bad, badCombine }).toEqual({ src, dst, bad: 0, badCombine: 0 });
      cases++;
    }
    expect({ cases, runs: runs > 0, gathers: gathers > 0 }).toEqual({ cases: 4, runs: true, gathers: true });
    // not for an arena over 2 GiB, off with SIMDECK_COUPLE_WASM=0 (the JavaScript kernels run),
    // and the embedded binary is the assembly of kernels.wat
    const was = process.env.SIMDECK_COUPLE_WASM;
    process.env.SIMDECK_COUPLE_WASM = '0';
    expect(wasmReceiver(2 ** 28, 8)).toBeNull();   // over 2 GiB: the JavaScript kernels stay
    try { expect(wasmReceiver(10, 2)).toBeNull(); } finally { if (was === undefined) delete process.env.SIMDECK_COUPLE_WASM; else process.env.SIMDECK_COUPLE_WASM = was; }
    const check = spawnSync(process.execPath, [join(root, 'scripts', 'build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
  // the native kernels (maps.c) are taken whenever a C compiler builds them: under CI (which
  // installs gcc) a missing library fails here instead of skipping; SIMDECK_NATIVE=0 turns them off
  const nativeOff = ['0', 'off', 'false'].includes((process.env.SIMDECK_NATIVE ?? '').trim().toLowerCase());
  const hasCc = spawnSync(process.env.SIMDECK_CC ?? 'cc', ['--version']).status === 0;
  it.skipIf(nativeOff || (!hasCc && process.env.CI !== 'true'))('the native map, contraction and combination kernels load and give the bits of the WebAssembly ones on awkward inputs', () => {
    const { axisWeights, applyWeights, contractRow, contractRows, identityAxis, mapRows, mapSlabs, wasmReceiver, wasmSender } = mapping;
    const native = nativeMaps();
    expect({ native: native !== null, reason: nativeMapsReason() }).toEqual({ native: true, reason: undefined });
    const axis = (n: number, L: number, shift = 0) => ({ origin: L / n / 2 + shift * L / n, spacing: L / n, n });
    // NaN, infinities, signed zeros, subnormals, products that overflow or underflow, and
    // ordinary values, spread so that every kernel path (four rows of runs, gathers, the tail,
    // single-term rows) meets them
    const odd = [NaN, Infinity, -Infinity, -0, 0, 5e-324, -2.5e-310, 1.7e308, -1.7e308, 1e-300, 3, -1 / 3];
    const value = (i: number) => i % 7 === 3 ? odd[(i * 5) % odd.length] : Math.sin(i * 1.7) * 3 + i * 1e-3 - 1 / (i + 0.5);
    let cases = 0, calls0 = native!.calls;
    for (const [src, dst, shift0, shift1, lo, bands] of [
      // the same spacing shifted along both axes (runRows4's case), odd widths (tails), a first
      // dimension not shifted (one term per row), refined and coarsened (gathers), mixed
      [[70, 71], [70, 71], 0.4995, 0.4995, [0, 0], 7], [[33, 9], [33, 9], 0.25, 0.5, [2, 1], 4], [[40, 37], [40, 37], 0, 0.3, [0, 0], 5],
      [[20, 23], [41, 47], 0.013, 0.013, [1, 2], 6], [[64, 90], [30, 33], 0.1, 0.1, [0, 1], 3], [[50, 67], [49, 200], 0.37, 0.2, [0, 3], 11]] as const) {
      const a0 = axisWeights('linear', axis(src[0], 1), axis(dst[0], 1, shift0), lo[0], dst[0]);
      const a = axisWeights('linear', axis(src[1], 2), axis(dst[1], 2, shift1), lo[1], dst[1]);
      const rows = a0.srcHi - a0.srcLo, width = a.srcHi - a.srcLo, m = a.hi - a.lo, m0 = a0.hi - a0.lo;
      const fp = new Float64Array(rows * width).map((_, i) => value(i));
      const want = Float64Array.from(applyWeights(fp, [a0, a], 1, { stages: [] }) as ArrayLike<number>);
      const stride = width + 5, at0 = stride + 2, input = new Float64Array(stride * (rows + 2));
      for (let r = 0; r < rows; r++) input.set(fp.subarray(r * width, (r + 1) * width), at0 + r * stride);
      let slots = 1;
      for (let j = 0; j < m0; j++) if (a0.ptr[j + 1] > a0.ptr[j]) slots = Math.max(slots, a0.idx[a0.ptr[j + 1] - 1] - a0.idx[a0.ptr[j]] + 1);
      const got: Float64Array[] = [];
      for (const kernels of ['wasm', 'native']) {
        const s = wasmSender([a], [0], 1, [slots * m, m0 * m])!;
        if (kernels === 'wasm') s.rows.native = null; else expect(s.rows.native).toBe(native);
        // native: ring and output outside the arena (the target's array, a band buffer)
        const ring = kernels === 'wasm' ? s.rings[0] : new Float64Array(slots * m), out = kernels === 'wasm' ? s.rings[1] : new Float64Array(m0 * m);
        const held = new Int32Array(slots).fill(-1);
        for (let j = 0; j < m0; j += bands) mapRows(input, at0, stride, a, a0, 1, ring, held, out.subarray(j * m, Math.min(m0, j + bands) * m), j, Math.min(m0, j + bands), s.rows);
        got.push(out);
      }
      let badWasm = 0, badNative = 0, nan = 0;
      for (let k = 0; k < want.length; k++) {
        if (!Object.is(want[k], got[0][k])) badWasm++;
        if (!Object.is(got[0][k], got[1][k])) badNative++;
        if (Number.isNaN(want[k])) nan++;
      }
      expect({ src, dst, badWasm, badNative, someNaN: nan > 0, allNaN: nan === want.length }).toEqual({ src, dst, badWasm: 0, badNative: 0, someNaN: true, allNaN: false });
      // a contracted message (several senders: link.ts contractBox): every source row weighted
      // along the last dimension, natively in one call against the WebAssembly kernels row by
      // row and the JavaScript contractRow
      const rowsGot: Float64Array[] = [];
      for (const kernels of ['wasm', 'native']) {
        const s = wasmSender([a], [rows * m], 1)!;
        if (kernels === 'wasm') s.rows.native = null; else expect(s.rows.native).toBe(native);
        s.bufs[0]!.fill(7);
        contractRows(input, at0, stride, a, s.rows, s.bufs[0]!, 0, rows);
        rowsGot.push(Float64Array.from(s.bufs[0]!));
      }
      const js = new Float64Array(rows * m);
      for (let r = 0; r < rows; r++) contractRow(input, at0 + r * stride, a, 1, js, r * m);
      let badRowsWasm = 0, badRowsNative = 0;
      for (let k = 0; k < js.length; k++) {
        if (!Object.is(js[k], rowsGot[0][k])) badRowsWasm++;
        if (!Object.is(js[k], rowsGot[1][k])) badRowsNative++;
      }
      expect({ src, dst, badRowsWasm, badRowsNative }).toEqual({ src, dst, badRowsWasm: 0, badRowsNative: 0 });
      // a receiver combining those contracted rows (mapSlabs over a contracted footprint, in
      // slabs of `bands` rows): natively against the WebAssembly and JavaScript kernels
      const cols = identityAxis(a.lo, a.hi), combined: Float64Array[] = [];
      for (const kernels of ['js', 'wasm', 'native']) {
        const r = wasmReceiver(rows * m, m)!;
        if (kernels === 'wasm') r.rows.native = null; else if (kernels === 'native') expect(r.rows.native).toBe(native);
        r.footprint.set(js);
        const scratch = kernels === 'js' ? { stages: [] } : { stages: [], wasm: r.rows }, out = new Float64Array(m0 * m).fill(7);
        for (let j = 0; j < m0; j += bands) mapSlabs(r.footprint, [a0, cols], 1, scratch, out, j, Math.min(m0, j + bands));
        combined.push(out);
      }
      let badCombWasm = 0, badCombNative = 0;
      for (let k = 0; k < combined[0].length; k++) {
        if (!Object.is(combined[0][k], combined[1][k])) badCombWasm++;
        if (!Object.is(combined[0][k], combined[2][k])) badCombNative++;
      }
      expect({ src, dst, badCombWasm, badCombNative }).toEqual({ src, dst, badCombWasm: 0, badCombNative: 0 });
      cases++;
    }
    expect(cases).toBe(6);
    expect(native!.calls).toBeGreaterThan(calls0);
  });
});
