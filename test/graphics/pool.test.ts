// The live heat map's native 4 x 4 pooling (src/graphics/pool.c, an own kernel compiled with the
// system cc) gives the JavaScript loops' bytes, and is really used where a C compiler exists.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ImageMemory } from '../../src/graphics/imageMemory.js';
import { nativePool4x4, pool4x4To32Js } from '../../src/graphics/reduce.js';
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
