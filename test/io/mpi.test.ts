// simdeck/io on Open MPI and MPICH: dumps through a helper rank read back with h5py, and a
// checkpoint written by 2 workers continued on 3 workers (another process grid) equal to the
// uninterrupted run bit for bit.
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linesOf, root } from '../helpers/job.js';
import { MPIS, describeMpi, runMpi } from '../mpi/helpers.js';
import { describeH5, readH5 } from './h5py.js';

const base = mkdtempSync(join(tmpdir(), 'simdeck-iompi-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const dumps = join(root, 'test', 'decks', 'io', 'dumps.ts');
const heat = join(root, 'native-examples', 'heat2d', 'dumps.ts');

describeH5('io on MPI', () => {
  for (const mpi of MPIS) {
    describeMpi(mpi, 'io', () => {
      it('dumps through a helper rank hold the serial field (h5py)', () => {
        const dir = join(base, `${mpi}-dumps`);
        const r = runMpi(mpi, ['-n', '3', dumps, dir, '1']);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(linesOf(r.stdout, 0).at(-1)).toBe('OK closed 3 files, 3 dumps');
        const f = readH5(join(dir, 'fields_000020.h5'))[join(dir, 'fields_000020.h5')];
        const want: number[] = [];
        for (let i = 0; i < 37; i++) for (let j = 0; j < 23; j++) want.push(i * 1000 + j + 20 / 8);
        expect(f.datasets.u.values).toEqual(want);
        expect(f.attrs).toMatchObject({ simdeck_kind: 'dump', step: 20, time: 0.2 });
      });

      it('a checkpoint of 2 workers continued on 3 workers equals the uninterrupted run bit for bit', () => {
        const dir = join(base, `${mpi}-heat`), again = join(base, `${mpi}-again`);
        const common = ['steps=30', 'every=10', 'checkpoint=10', 'size=40'];
        const a = runMpi(mpi, ['-n', '3', heat, `dir=${dir}`, ...common]);
        expect(a.stderr).toBe('');
        expect(a.status).toBe(0);
        const fp = (out: string) => linesOf(out, 0).map((l) => /^field fingerprint (\w+)/.exec(l)?.[1]).find(Boolean);
        const b = runMpi(mpi, ['--restart', join(dir, 'checkpoint_000010.h5'), '-n', '4', heat, `dir=${again}`, ...common, 'procs=1x3']);
        expect(b.stderr).toBe('');
        expect(b.status).toBe(0);
        expect(linesOf(b.stdout, 0)[0]).toBe('restarted from step 10 on 3 workers (process grid 1x3)');
        expect(fp(b.stdout)).toBe(fp(a.stdout));
        const files = readH5(join(dir, 'heat_000030.h5'), join(again, 'heat_000030.h5'));
        expect(files[join(again, 'heat_000030.h5')].datasets.u.values).toEqual(files[join(dir, 'heat_000030.h5')].datasets.u.values);
      });
    });
  }
});
