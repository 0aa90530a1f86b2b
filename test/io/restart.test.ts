// Checkpoint and restart: a checkpoint written by 2 workers (and a helper) is continued on 1,
// 3 and 4 workers, with other process grids, with and without a helper; each continued run
// must end with the uninterrupted run's field bit for bit (fingerprint of the gathered field,
// and the last dump read back with h5py). The continued run's series has each step once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linesOf, root, simdeck } from '../helpers/job.js';
import { describeH5, readH5, readOneH5 } from './h5py.js';

const deck = join(root, 'native-examples', 'heat2d', 'dumps.ts');
const base = mkdtempSync(join(tmpdir(), 'simdeck-restart-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const common = ['steps=40', 'every=10', 'checkpoint=20', 'size=48'];

function run(n: number, dir: string, extra: string[] = [], restart?: string) {
  const r = simdeck(['run', ...(restart ? ['--restart', restart] : []), '-n', String(n), deck, `dir=${dir}`, ...common, ...extra]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const lines = n === 1 ? r.stdout.split('\n').filter((l) => l !== '') : linesOf(r.stdout, 0); // one rank: no [0] prefix
  const fp = lines.map((l) => /^field fingerprint (\w+) at step 40/.exec(l)?.[1]).find((x) => x !== undefined);
  return { lines, fingerprint: fp };
}

describeH5('checkpoint and restart (shm)', () => {
  const first = join(base, 'first');
  let reference = '';
  let lastDump: number[] = [];
  beforeAll(() => {
    const r = run(3, first);           // 2 workers + 1 helper, process grid 2x1
    reference = r.fingerprint!;
    expect(reference).toMatch(/^[0-9a-f]{8}$/);
    lastDump = readOneH5(join(first, 'heat_000040.h5')).datasets.u.values;
  });

  it('the checkpoint holds the field, step, time, dt and parameters, as h5py reads it', () => {
    const c = readOneH5(join(first, 'checkpoint_000020.h5'));
    expect(c.attrs).toMatchObject({ simdeck_kind: 'checkpoint', name: 'checkpoint', step: 20, time: 20, dt: 1, parameters: '{"alpha":0.2}' });
    expect(JSON.parse(c.attrs.state as string)).toEqual({ step: 20, time: 20, dt: 1, params: { alpha: 0.2 } });
    expect(c.groups.parameters).toEqual({ alpha: 0.2 });
    expect(c.datasets.u.shape).toEqual([48, 48]);
    expect(c.datasets.u.attrs).toMatchObject({ grid_shape: [48, 48], layout: 'C', dof: 1, units: 'K', length_unit: 'm' });
    // the dump of the same step holds the same field
    expect(readOneH5(join(first, 'heat_000020.h5')).datasets.u.values).toEqual(c.datasets.u.values);
  });

  it.each([
    { n: 1, extra: ['helpers=0'], workers: 1, grid: '1x1' },
    { n: 4, extra: ['helpers=1', 'procs=1x3'], workers: 3, grid: '1x3' },
    { n: 4, extra: ['helpers=0'], workers: 4, grid: '2x2' },
  ])('continued on $workers workers (grid $grid, $extra) equals the uninterrupted run bit for bit', ({ n, extra, workers, grid }) => {
    const dir = join(base, `again-${n}-${workers}`);
    const r = run(n, dir, extra, join(first, 'checkpoint_000020.h5'));
    expect(r.lines[0]).toBe(`restarted from step 20 on ${workers} workers (process grid ${grid})`);
    expect(r.fingerprint).toBe(reference);
    const files = readH5(join(dir, 'heat_000030.h5'), join(dir, 'heat_000040.h5'), join(first, 'heat_000030.h5'));
    expect(files[join(dir, 'heat_000040.h5')].datasets.u.values).toEqual(lastDump);
    expect(files[join(dir, 'heat_000030.h5')].datasets.u.values).toEqual(files[join(first, 'heat_000030.h5')].datasets.u.values);
  });

  it('a restart into the same directory rewrites the series from the checkpoint on: each step once', () => {
    const r = run(2, first, ['helpers=1'], join(first, 'checkpoint_000020.h5'));
    expect(r.fingerprint).toBe(reference);
    const s = readOneH5(join(first, 'heat-diagnostics.h5'));
    expect(s.datasets.step.values).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(s.datasets.total.values.length).toBe(40);
    expect(readOneH5(join(first, 'heat_000040.h5')).datasets.u.values).toEqual(lastDump);
  });
});
