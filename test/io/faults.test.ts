// Archive and faults: a run archives every finished file with a manifest (file, step, bytes,
// sha256) that matches the archive; the helper SIGKILLed in the middle of writing a file, or of
// copying one into the archive, ends the job at once and leaves only whole files under final
// names (in the output directory and in the archive); `simdeck archive --resume` then
// completes the archive and the manifest.
import { afterAll, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { linesOf, root, simdeck, startSimdeck, until } from '../helpers/job.js';
import { describeH5, readH5 } from './h5py.js';

const deck = join(root, 'native-examples', 'heat2d', 'dumps.ts');
const base = mkdtempSync(join(tmpdir(), 'simdeck-faults-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const args = ['steps=40', 'every=10', 'checkpoint=20', 'size=32', 'helpers=1'];

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const visible = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')).sort() : []);
const manifest = (dir: string) => (existsSync(join(dir, 'manifest.jsonl'))
  ? readFileSync(join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { file: string; step: number; bytes: number; sha256: string; kind: string })
  : []);

/** The manifest matches the archive: one whole file per entry, bytes and sha256 right, and each identical to its source. */
function checkArchive(out: string, arch: string, expectFiles: string[]): void {
  const m = manifest(arch);
  expect(m.map((e) => e.file).sort()).toEqual([...expectFiles].sort());
  expect(visible(arch)).toEqual([...expectFiles, 'manifest.jsonl'].sort());
  for (const e of m) {
    const p = join(arch, e.file);
    expect(statSync(p).size).toBe(e.bytes);
    expect(sha(p)).toBe(e.sha256);
    if (existsSync(join(out, e.file))) expect(sha(join(out, e.file))).toBe(e.sha256);
    const step = /_(\d+)\.h5$/.exec(e.file)?.[1];
    if (step !== undefined) expect(e.step).toBe(Number(step));
  }
  // h5py reads every archived file
  readH5(...m.map((e) => join(arch, e.file)));
}

async function killWhenPaused(out: string, extra: string[], env: Record<string, string>): Promise<{ paused: string; stderr: string; code: number | null }> {
  const job = startSimdeck(['run', '-n', '3', deck, `dir=${out}`, ...args, ...extra], env);
  const re = /simdeck-io: paused while \w+ (\S+) \(pid (\d+)\)/;
  expect(await until(() => re.test(job.out.stderr), 60_000), job.out.stderr).toBe(true);
  const [, paused, pid] = re.exec(job.out.stderr)!;
  expect(existsSync(paused)).toBe(true);                    // the partial file is there...
  expect(basename(paused).startsWith('.')).toBe(true);      // ...under a hidden name
  process.kill(Number(pid), 'SIGKILL');
  const done = await Promise.race([job.exited, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
  expect(done, 'the job did not end after its helper was killed').not.toBeNull();
  return { paused, stderr: job.out.stderr, code: done!.code };
}

describeH5('archive and faults (shm)', () => {
  it('a run archives every finished file; the manifest matches the archive', () => {
    const out = join(base, 'run'), arch = join(base, 'run-archive');
    const r = simdeck(['run', '-n', '3', deck, `dir=${out}`, ...args, `archive=${arch}`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(linesOf(r.stdout, 0)[0]).toMatch(/^output: 6 files \([\d.]+ kB\) and 1 series in .* by 1 helper at [\d.]+ MB\/s, 7 archived;/);
    const files = ['checkpoint_000020.h5', 'checkpoint_000040.h5', 'heat-diagnostics.h5', 'heat_000010.h5', 'heat_000020.h5', 'heat_000030.h5', 'heat_000040.h5'];
    expect(visible(out)).toEqual(files);
    checkArchive(out, arch, files);
  });

  it('the helper killed while writing a file: the job ends, only whole files are visible, the archive resumes complete', async () => {
    const out = join(base, 'kill-write'), arch = join(base, 'kill-write-archive');
    const k = await killWhenPaused(out, [`archive=${arch}`], { SIMDECK_IO_PAUSE: 'write:3' });
    expect(k.code).not.toBe(0);
    expect(k.paused).toMatch(/\.checkpoint_000020\.h5\.\d+\.partial$/);
    // the series file is appended whole after each dump, so it is there too
    expect(visible(out)).toEqual(['heat-diagnostics.h5', 'heat_000010.h5', 'heat_000020.h5']);
    checkArchive(out, arch, ['heat_000010.h5', 'heat_000020.h5']);
    const r = simdeck(['archive', '--resume', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^archived heat-diagnostics\\.h5 \\(step \\d+, \\d+ bytes\\)\n` +
      `archive of ${out} complete: 1 file added to the manifest, 1 partial file removed\n$`));
    expect(readdirSync(out).filter((f) => f.includes('partial'))).toEqual([]);
    checkArchive(out, arch, ['heat-diagnostics.h5', 'heat_000010.h5', 'heat_000020.h5']);
  });

  it('the helper killed while copying into the archive: no partial file in the archive, the resumed archive is complete', async () => {
    const out = join(base, 'kill-archive'), arch = join(base, 'kill-archive-archive');
    const k = await killWhenPaused(out, [`archive=${arch}`], { SIMDECK_IO_PAUSE: 'archive:2' });
    expect(k.code).not.toBe(0);
    expect(k.paused).toBe(join(arch, `.heat_000020.h5.${/pid (\d+)/.exec(k.stderr)![1]}.partial`));
    expect(visible(out).filter((f) => f.startsWith('heat_'))).toEqual(['heat_000010.h5', 'heat_000020.h5']);
    checkArchive(out, arch, ['heat_000010.h5']);               // the manifest lists what is whole
    const r = simdeck(['archive', '--resume', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`archived heat_000020.h5 (step 20, ${statSync(join(out, 'heat_000020.h5')).size} bytes)\n`);
    expect(r.stdout).toMatch(/complete: \d files? added to the manifest, 1 partial file removed\n$/);
    expect(readdirSync(arch).filter((f) => f.includes('partial'))).toEqual([]);
    checkArchive(out, arch, visible(out));
  });
});
