// Dumps through simdeck/io, read back with h5py and compared with the fields computed here:
// with one and two helper ranks and without helpers; C and Fortran layouts, several
// components per point, gzip; the time series; no partial file left behind.
import { afterAll, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linesOf, root, simdeck } from '../helpers/job.js';
import { describeH5, readH5 } from './h5py.js';

const deck = join(root, 'test', 'decks', 'io', 'dumps.ts');
const made: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'simdeck-io-')); made.push(d); return d; };
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

const NX = 37, NY = 23;

/** The field the deck writes, in file order (memory order of its layout, dof last). */
function expectedU(step: number, layout: 'C' | 'F', dof: number): number[] {
  const out: number[] = [];
  if (layout === 'C') { for (let i = 0; i < NX; i++) for (let j = 0; j < NY; j++) for (let c = 0; c < dof; c++) out.push((i * 1000 + j + step / 8) * (c + 1)); }
  else { for (let j = 0; j < NY; j++) for (let i = 0; i < NX; i++) for (let c = 0; c < dof; c++) out.push((i * 1000 + j + step / 8) * (c + 1)); }
  return out;
}

function expectedW(layout: 'C' | 'F'): number[] {
  const out: number[] = [];
  if (layout === 'C') { for (let i = 0; i < NX; i++) for (let j = 0; j < NY; j++) out.push(i - j); }
  else { for (let j = 0; j < NY; j++) for (let i = 0; i < NX; i++) out.push(i - j); }
  return out;
}

describeH5('io dumps (shm), read with h5py', () => {
  it.each([
    { n: 3, helpers: 1, layout: 'C' as const, dof: 1, gzip: 0 },
    { n: 5, helpers: 2, layout: 'F' as const, dof: 2, gzip: 0 },
    { n: 2, helpers: 0, layout: 'C' as const, dof: 1, gzip: 4 },
  ])('$n ranks, $helpers helpers, layout $layout, dof $dof, gzip $gzip: every value and attribute as computed serially', ({ n, helpers, layout, dof, gzip }) => {
    const dir = join(tempDir(), 'out');
    const r = simdeck(['run', '-n', String(n), deck, dir, String(helpers), layout, String(dof), String(gzip)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = linesOf(r.stdout, 0);
    expect(lines.at(-1)).toBe('OK closed 3 files, 3 dumps');
    expect(lines[0]).toMatch(new RegExp(`^output: 3 files \\(\\d+\\.\\d kB\\) and 1 series in ${dir} by ${helpers === 0 ? 'rank 0' : `${helpers} helpers?`} at [\\d.]+ MB/s; workers spent [\\d.]+ ms per dump, waited [\\d.]+ ms for buffer space \\(longest [\\d.]+ ms\\) and [\\d.]+ ms at close$`));
    // only whole files, nothing partial, no lock left
    expect(readdirSync(dir).sort()).toEqual(['diagnostics.h5', 'fields_000000.h5', 'fields_000010.h5', 'fields_000020.h5']);
    const files = readH5(...[0, 10, 20].map((s) => join(dir, `fields_${String(s).padStart(6, '0')}.h5`)), join(dir, 'diagnostics.h5'));
    const dims = layout === 'C' ? [NX, NY] : [NY, NX];
    for (const step of [0, 10, 20]) {
      const f = files[join(dir, `fields_${String(step).padStart(6, '0')}.h5`)];
      expect(f.attrs).toEqual({ simdeck_kind: 'dump', name: 'fields', step, time: step * 0.01, parameters: '{"alpha":0.1,"scheme":"ftcs"}' });
      expect(f.groups.parameters).toEqual({ alpha: 0.1, scheme: 'ftcs' });
      const u = f.datasets.u;
      expect(u.shape).toEqual(dof > 1 ? [...dims, dof] : dims);
      expect(u.dtype).toBe('float64');
      expect(u.attrs).toEqual({ grid_shape: [NX, NY], layout, dof, spacing: [0.5, 0.25], origin: [-1, 2], units: 'K', length_unit: 'm' });
      expect(u.values).toEqual(expectedU(step, layout, dof));
      expect(u.compression).toBe(gzip ? 'gzip' : null);
      if (gzip) expect(u.chunks).toEqual(dims);
      const w = f.datasets.w;
      expect(w.dtype).toBe('int32');
      if (dof === 1) expect(w.values).toEqual(expectedW(layout));
      expect(w.attrs.units).toBe('');
    }
    // the time series: one row per dump, along an unlimited dimension
    const s = files[join(dir, 'diagnostics.h5')];
    expect(s.attrs).toEqual({ simdeck_kind: 'series', name: 'diagnostics' });
    expect(s.datasets.step.values).toEqual([0, 10, 20]);
    expect(s.datasets.step.maxshape).toEqual([null]);
    expect(s.datasets.total.maxshape).toEqual([null]);
    const sums = [0, 10, 20].map((step) => expectedU(step, layout, dof).reduce((a, b) => a + b, 0));
    s.datasets.total.values.forEach((v, k) => expect(v).toBeCloseTo(sums[k], 6));
    expect(s.datasets.max.values).toEqual([0, 10, 20].map((step) => Math.max(...expectedU(step, layout, dof))));
  });
});

describeH5('seed (c) on simdeck/io: native-examples/seed/archive.ts', () => {
  it.each([[3, 4], [4, 3]])('on %i ranks with %i steps: every step archived whole, the manifest right, nothing left behind', (n, steps) => {
    const d = tempDir();
    const work = join(d, 'work'), archive = join(d, 'archive');
    const r = simdeck(['run', '-n', String(n), join(root, 'native-examples', 'seed', 'archive.ts'), work, archive, String(steps)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(linesOf(r.stdout, 0)).toEqual([`${steps} files written by the helper, ${steps} moved into the archive`]);
    expect(readdirSync(work).filter((f) => !f.startsWith('.'))).toEqual([]);
    const names = Array.from({ length: steps }, (_, s) => `step_${String(s).padStart(6, '0')}.h5`);
    expect(readdirSync(archive).sort()).toEqual([...names, 'manifest.jsonl'].sort());
    const manifest = readFileSync(join(archive, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(manifest.map((e: { file: string; step: number; kind: string }) => [e.file, e.step, e.kind])).toEqual(names.map((f, s) => [f, s, 'dump']));
    const files = readH5(...names.map((f) => join(archive, f)));
    names.forEach((f, s) => {
      const m = manifest[s] as { bytes: number; sha256: string };
      const bytes = readFileSync(join(archive, f));
      expect(bytes.length).toBe(m.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(m.sha256);
      expect(files[join(archive, f)].datasets.x.values).toEqual(Array.from({ length: 100 * (n - 1) }, (_, i) => s * 1000 + i));
    });
  });
});
