// The live heat map's native 4 x 4 pooling (src/graphics/pool.c, an own kernel compiled with the
// system cc) gives the JavaScript loops' bytes, and is really used where a C compiler exists.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ImageMemory } from '../../src/graphics/imageMemory.js';
import { nativePool4x4, nativePoolRuns, pool4x4To32Js, poolIntoFor } from '../../src/graphics/reduce.js';
import { ownKernelsEnabled, ownKernelsStatus } from '../../src/kernels/own.js';

/** Whether `cc` runs here and native kernels are not turned off (under CI=true the native path must be taken: CI installs gcc). */
const haveCc = spawnSync('cc', ['--version'], { encoding: 'utf8' }).status === 0;
const needNative = (haveCc && ownKernelsEnabled()) || process.env.CI === 'true';

/**
 * A field whose 4 x 4 sums depend on the order of the additions even after rounding to single
 * precision (+-2^53 next to small values), with NaN (two payloads and
 * signs), +-Infinity, zeros of both signs, subnormals, values that overflow single precision and
 * values at single precision's rounding ties, each special with probability `specials`.
 */
function field(n: number, seed: number, specials: number): Float64Array {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const a = new Float64Array(n), bits = new DataView(a.buffer);
  const tie = 1 + 2 ** -24; // halfway between two floats: round to even
  const odd = [NaN, Infinity, -Infinity, 0, -0, 5e-324, -4e-320, 2.2e-308, 1e-45, -1.4e-45, 3.5e38, -3.4028235677973366e38, tie, 1 + 3 * 2 ** -24, -tie];
  for (let k = 0; k < n; k++) {
    const r = rnd();
    if (r < specials) a[k] = odd[Math.floor(rnd() * odd.length)];
    else if (r < 0.3) a[k] = (rnd() < 0.5 ? -1 : 1) * 2 ** 53; // cancels against its neighbours: the order of the additions shows
    else if (r < 0.5) a[k] = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 16 - 8);
    else a[k] = 1e3 * Math.sin(k * 0.37) + 1e-7 * (k % 1013);
  }
  // a NaN with a payload, and a negative one
  for (let k = 3; k < n; k += 997) { bits.setUint32(8 * k + 4, 0x7ff80000 | (k & 0xffff), true); bits.setUint32(8 * k, k, true); }
  for (let k = 5; k < n; k += 1999) { bits.setUint32(8 * k + 4, 0xfff80000, true); bits.setUint32(8 * k, 0, true); }
  return a;
}

/** A row table of `nb` need-box rows: `skip` rows of no pixel first, then blocks of 4 rows, pixel rows `ns` apart, the rest of no pixel. */
function rowTable(nb: number, skip: number, ns: number, rowsOfPixels: number): Int32Array {
  const t = new Int32Array(nb).fill(-1);
  for (let p = 0; p < rowsOfPixels; p++) for (let k = 0; k < 4; k++) t[skip + 4 * p + k] = p * ns;
  return t;
}

describe('native 4 x 4 pooling (pool.c)', () => {
  it('is built and taken where a C compiler exists (under CI=true it must be)', () => {
    const status = ownKernelsStatus('graphics/pool');
    if (!needNative) {
      expect(nativePool4x4()).toBeNull();
      return;
    }
    expect(status.reason, 'the native pooling did not load').toBeUndefined();
    expect(status.path).toMatch(/\.so$/);
    expect(nativePool4x4()).not.toBeNull();
  });

  it('gives the JavaScript loops\' bytes and min/max: NaN, +-Infinity, -0, subnormals, odd sizes, regions', () => {
    const native = nativePool4x4();
    if (native === null) { expect(needNative).toBe(false); return; }
    const mem = ImageMemory.create();
    let cases = 0;
    for (const [ns, pixRows, sb, skip, offset, seg0, specials, seed] of [
      [1, 1, 4, 0, 0, 0, 0.2, 1], [3, 2, 13, 1, 5, 1, 0.05, 2], [17, 5, 71, 2, 3, 3, 0.01, 3], [128, 32, 512, 0, 0, 0, 0.002, 4],
      [511, 7, 2047, 3, 11, 2, 0.3, 5], [512, 64, 2051, 0, 2051, 1, 0, 6], [33, 9, 140, 1, 0, 5, 0.9, 7],
    ] as const) {
      const nb = skip + 4 * pixRows + 2;
      const src = field(offset + nb * sb + 8, seed, specials);
      const rows = rowTable(nb, skip, ns, pixRows);
      for (const shared of [false, true]) {
        const at = 3 + seed;
        const n = at + ns * pixRows + 5;
        // the output in plain memory, or in the image memory (a shared WebAssembly.Memory) as on the drawing rank
        const c = shared && mem !== null ? mem.alloc32(n)! : new Float32Array(n);
        const js = new Float32Array(n);
        c.fill(7); js.fill(7);
        const srcShared = shared ? new Float64Array(new SharedArrayBuffer(src.byteLength)) : src;
        if (shared) srcShared.set(src);
        const mmC = new Float64Array(2), mmJs = new Float64Array(2);
        native(srcShared, offset, sb, rows, nb, seg0, ns, c, at, mmC);
        pool4x4To32Js(src, offset, sb, rows, nb, seg0, ns, js, at, mmJs);
        expect(Buffer.compare(Buffer.from(c.buffer, c.byteOffset, c.byteLength), Buffer.from(js.buffer, js.byteOffset, js.byteLength)), `case ${seed}`).toBe(0);
        expect([Object.is(mmC[0], mmJs[0]), Object.is(mmC[1], mmJs[1])], `case ${seed}: ${mmC} against ${mmJs}`).toEqual([true, true]);
        cases++;
      }
    }
    expect(cases).toBe(14);
  });

  it('the fields above hold what they should: specials survive into the pixels, and a finite case has a real min and max', () => {
    // guards the test above against comparing only NaN images
    const ns = 128, nb = 128, src = field(nb * 512, 4, 0.002), rows = rowTable(nb, 0, ns, 32);
    const out = new Float32Array(ns * 32), mm = new Float64Array(2);
    pool4x4To32Js(src, 0, 512, rows, nb, 0, ns, out, 0, mm);
    const nan = out.filter((v) => Number.isNaN(v)).length, inf = out.filter((v) => !Number.isFinite(v) && !Number.isNaN(v)).length;
    expect(nan).toBeGreaterThan(0);
    expect(nan).toBeLessThan(out.length / 4);
    expect(inf).toBeGreaterThan(0);
    expect(Number.isFinite(mm[0]) || mm[0] === -Infinity).toBe(true);
    expect(mm[0]).toBeLessThan(mm[1]);
  });
});

describe('native general pooling (pool.c simdeck_pool_runs)', () => {
  /** Pixel tables of `n` cells into `m` pixels (pixel p: cells floor(p n / m) .. floor((p + 1) n / m) - 1), a pixel stride apart, cells before `lo` and after `hi` of no pixel. */
  const table = (n: number, m: number, stride: number, lo = 0, hi = n) => Int32Array.from({ length: n }, (_, c) => (c < lo || c >= hi ? -1 : Math.floor(((c - lo) * m) / (hi - lo)) * stride));
  const segs = (n: number, m: number) => { const s = new Int32Array(m + 1); for (let p = 0; p <= m; p++) s[p] = Math.floor((p * n) / m); return s; };

  it('gives the JavaScript loops\' bits (a NaN as NaN) for mean, min and max, 1-3 dimensions, 4:1 and other ratios, strided runs, rows of no pixel', () => {
    if (nativePoolRuns() === null) { expect(needNative).toBe(false); return; }
    let cases = 0;
    // [cells per dim (slowest first), pixels per dim, fastest stride, div]
    const shapes: [number[], number[], number, number][] = [
      [[64, 2048], [16, 512], 1, 16], [[64, 2048], [16, 512], 1, 0], [[61, 203], [13, 64], 1, 0], [[40, 100], [40, 25], 1, 0],
      [[37], [9], 1, 0], [[12, 30, 20], [3, 7, 5], 1, 0], [[9, 33], [4, 11], 3, 0], [[16, 64], [4, 16], 2, 0], [[30, 40], [7, 40], 1, 0],
    ];
    for (const [k, [cells, pixels, sc, div]] of shapes.entries()) {
      const nd = cells.length;
      // strides: the fastest sc, each slower one past the faster one plus a ghost or two
      const strides = new Array<number>(nd);
      strides[nd - 1] = sc;
      for (let d = nd - 2; d >= 0; d--) strides[d] = strides[d + 1] * cells[d + 1] + (d === nd - 2 ? 2 * sc : 3);
      const pixStrides = new Array<number>(nd);
      pixStrides[nd - 1] = 1;
      for (let d = nd - 2; d >= 0; d--) pixStrides[d] = pixStrides[d + 1] * pixels[d + 1];
      // slow tables; in the 2-D non-4:1 cases a row of no pixel at each end
      const tables = cells.map((n, d) => (d === nd - 1 ? table(n, pixels[d], 1) : table(n, pixels[d], pixStrides[d], nd === 2 && div === 0 && k > 1 ? 1 : 0, nd === 2 && div === 0 && k > 1 ? n - 1 : n)));
      const segments = segs(cells[nd - 1], pixels[nd - 1]);
      const offset = 5;
      const src = field(offset + strides[0] * cells[0] + 8, 100 + k, 0.2);
      const total = pixels.reduce((a, b) => a * b, 1);
      for (const mode of ['mean', 'min', 'max'] as const) {
        if (div === 16 && mode !== 'mean') continue;
        const js = new Float64Array(total).fill(3), c = new Float64Array(total).fill(3);
        const fusedJs = poolIntoFor(true, src, offset, strides, tables, segments, js, mode, div);
        const fusedC = poolIntoFor(false, src, offset, strides, tables, segments, c, mode, div);
        expect(fusedC).toBe(fusedJs);
        // a NaN pixel's bits are not fixed in double precision (which NaN a sum of NaNs gives
        // depends on the order of an addition's operands, which V8 does not fix): NaN where NaN,
        // every other pixel the same bits
        const canon = (a: Float64Array) => Buffer.from(Float64Array.from(a, (v) => (Number.isNaN(v) ? NaN : v)).buffer);
        expect(Buffer.compare(canon(c), canon(js)), `shape ${k} ${mode}`).toBe(0);
        cases++;
      }
    }
    expect(cases).toBe(25);
  });
});
