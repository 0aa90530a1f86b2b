// Dumps in a burst through a helper (test/decks/io/burst.ts): after prepare(), a worker keeps
// two send buffers per field and, when both are still being pulled, waits for the older instead
// of making a third (without prepare() it makes more); the helper gives its arrays back as soon
// as HDF5 has the data.
// Every file must hold exactly the values of its step (a buffer reused before the helper pulled
// it would put a later step's values in an earlier file), read with h5py.
import { afterAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linesOf, root, simdeck } from '../helpers/job.js';
import { PYTHON, describeH5 } from './h5py.js';

const deck = join(root, 'test', 'decks', 'io', 'burst.ts');
const made: string[] = [];
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

/** For each file: its step and whether u and v hold exactly u(i, j) = i * 1000 + j + step, v = -u (numpy, in C order). */
const CHECK = `
import sys, json, h5py, numpy as np
out = {}
for path in sys.argv[1:]:
    f = h5py.File(path, 'r')
    step = int(f.attrs['step'])
    i, j = np.meshgrid(np.arange(256), np.arange(256), indexing='ij')
    want = (i * 1000 + j + step).astype(np.float64)
    out[path.split('/')[-1]] = [step, bool(np.array_equal(f['u'][()], want)), bool(np.array_equal(f['v'][()], -want))]
print(json.dumps(out))
`;

describeH5('io dumps in a burst (shm), read with h5py', () => {
  it.each([
    { procs: '2x1', prepare: 1 },
    { procs: '1x2', prepare: 0 },
  ])('procs $procs, prepare $prepare: 12 dumps and 3 checkpoints, each with the values of its own step', ({ procs, prepare }) => {
    const tmp = mkdtempSync(join(tmpdir(), 'simdeck-io-burst-'));
    made.push(tmp);
    const dir = join(tmp, 'out');
    const r = simdeck(['run', '-n', '3', deck, dir, procs, String(prepare), '12']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(linesOf(r.stdout, 0).at(-1)).toBe('OK closed 15 files, 15 dumps');
    const files = readdirSync(dir).sort();
    expect(files).toEqual([...Array.from({ length: 12 }, (_, k) => `burst_${String(k + 1).padStart(6, '0')}.h5`), 'checkpoint_000004.h5', 'checkpoint_000008.h5', 'checkpoint_000012.h5']);
    const c = spawnSync(PYTHON, ['-c', CHECK, ...files.map((f) => join(dir, f))], { encoding: 'utf8' });
    expect(c.stderr).toBe('');
    const got = JSON.parse(c.stdout) as Record<string, [number, boolean, boolean]>;
    for (const f of files) expect([f, ...got[f]]).toEqual([f, Number(/_(\d+)\.h5$/.exec(f)![1]), true, true]);
  });
});
