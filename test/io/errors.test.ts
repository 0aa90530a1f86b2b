// Errors of simdeck/io end the job with a typed error raised on a worker, saying what to
// change, and leave no partial file: a full disk (a 1 MiB tmpfs) met by a helper or by rank 0,
// an output directory that cannot be created, a missing checkpoint, a checkpoint of another
// grid shape.
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, simdeck } from '../helpers/job.js';
import { describeH5, readH5 } from './h5py.js';

const deck = join(root, 'test', 'decks', 'io', 'errors.ts');
const base = mkdtempSync(join(tmpdir(), 'simdeck-ioerr-'));
const small = join(base, 'small');
let mounted = false;
let mountError = '';
beforeAll(() => {
  mkdirSync(small);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small], { encoding: 'utf8' });
  mounted = r.status === 0;
  mountError = (r.stderr ?? r.error?.message ?? '').trim();
});
afterAll(() => {
  if (mounted) spawnSync('umount', [small]);
  rmSync(base, { recursive: true, force: true });
});

/** The worker rank that reported the error, from `[rank r] Name: message`. */
function reported(stderr: string, name: string): { rank: number; message: string } | null {
  const m = new RegExp(`\\[rank (\\d+)\\] ${name}: ([^\\n]*)`).exec(stderr);
  return m ? { rank: Number(m[1]), message: m[2] } : null;
}

describeH5('io errors (shm)', () => {
  it.each([
    { n: 3, helpers: 1 },
    { n: 2, helpers: 0 },
  ])('a full disk ($helpers helpers): DiskFullError on a worker, the job ended, only whole files left', ({ n, helpers }) => {
    if (!mounted) {
      if (process.env.CI === 'true') throw new Error(`cannot mount a 1 MiB tmpfs for the full-disk test (${mountError}); CI runs as root`);
      console.warn(`skipping the full-disk test: cannot mount a tmpfs here (${mountError}); run as root`);
      return;
    }
    const dir = join(small, `h${helpers}`);
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));   // frees the small disk for the next case
    const r = simdeck(['run', '-n', String(n), deck, 'full', dir, String(helpers)]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('not reached');
    const e = reported(r.stderr, 'DiskFullError');
    expect(e, r.stderr).not.toBeNull();
    expect(e!.rank).toBeLessThan(n - helpers);                  // a worker raised it
    expect(e!.message).toMatch(/no space left on the device .*free space there, choose another directory, or write less/);
    const left = readdirSync(dir);
    expect(left.filter((f) => f.includes('partial'))).toEqual([]);
    const dumps = left.filter((f) => f.endsWith('.h5'));
    expect(dumps.length).toBeGreaterThan(3);
    // every file under its final name is whole: h5py reads each, with the right values
    const files = readH5(...dumps.map((f) => join(dir, f)));
    const expected = Array.from({ length: 64 * 64 }, (_, k) => Math.floor(k / 64) + (k % 64));
    for (const f of Object.values(files)) expect(f.datasets.u.values).toEqual(expected);
  });

  it('an output directory that cannot be made: NotWritableError on every rank before anything is written', () => {
    const blocker = join(base, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const r = simdeck(['run', '-n', '3', deck, 'ok', join(blocker, 'out'), '1']);
    expect(r.status).not.toBe(0);
    expect(reported(r.stderr, 'NotWritableError')?.message).toMatch(/startOutput: cannot create the directory .*a-file\/out: something else is in the way/);
  });

  it('workers that end without close(): the helper says so instead of hanging', () => {
    const r = simdeck(['run', '-n', '3', deck, 'noclose', join(base, 'noclose'), '1']);
    expect(r.status).not.toBe(0);
    expect(reported(r.stderr, 'OutputStateError')?.message).toMatch(/helper 0: the workers finished their deck without calling output.close\(\); call close\(\) on every worker/);
  });

  it('restart from a missing file, or from a checkpoint of another grid shape: a typed error saying what to change', () => {
    const dir = join(base, 'ckpt');
    const ok = simdeck(['run', '-n', '3', deck, 'ok', dir, '1']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['checkpoint_000002.h5', 'f_000001.h5']);
    const missing = simdeck(['run', '-n', '2', deck, 'restart', join(base, 'out2'), '0', join(dir, 'nope.h5')]);
    expect(missing.status).not.toBe(0);
    expect(reported(missing.stderr, 'MissingFileError')?.message).toMatch(/restart: there is no checkpoint .*nope\.h5; check the file given to --restart/);
    const other = simdeck(['run', '-n', '3', deck, 'restart', join(base, 'out3'), '1', join(dir, 'checkpoint_000002.h5')]);
    expect(other.status).not.toBe(0);
    expect(reported(other.stderr, 'CheckpointMismatchError')?.message)
      .toMatch(/array 'u' in .*checkpoint_000002\.h5 has shape \[40, 30\], dof 1, layout C but this run's grid has shape \[32, 30\].*restart with a grid of the checkpoint's global shape/);
  });
});
