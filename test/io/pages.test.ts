// A helper streams dumps nobody reads back through it: commitFile(..., dropPages) leaves none of
// the file's pages in the page cache once it is synced, so the next file reuses them (fresh
// pages cost a host fault each on this project's VMs). Checked with util-linux's fincore, which
// counts a file's resident pages; the same file committed without dropPages is the control.
import { afterAll, expect, it } from 'vitest';
import { describeIfAvailable } from '../helpers/needs.js';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitFile, dropPagesOf, partialPath } from '../../src/io/atomicFile.js';

const tmp = mkdtempSync(join(tmpdir(), 'simdeck-io-pages-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fincore = spawnSync('fincore', ['--version']).status === 0;
// tmpfs pages are the file itself: they cannot leave the page cache (a machine property, not a package)
const tmpfs = spawnSync('stat', ['-f', '-c', '%T', tmp], { encoding: 'utf8' }).stdout.trim() === 'tmpfs';

/** Pages of `path` in the page cache, by fincore. */
function resident(path: string): number {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'PAGES', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fincore failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

/** Writes 8 MiB to the partial name of `final` and commits it; returns the final path. */
function written(name: string, dropPages: boolean): string {
  const final = join(tmp, name), partial = partialPath(final);
  const bytes = new Uint8Array(8 << 20).fill(7);
  const fd = openSync(partial, 'w');
  for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at, at);
  closeSync(fd);
  commitFile(partial, final, dropPages);
  return final;
}

describeIfAvailable('page cache', { ok: fincore, why: 'fincore not found' }, 'fincore', 'apt-get install util-linux-extra', () => {
  it.skipIf(tmpfs)('a file committed with dropPages leaves the page cache; without, it stays', () => {
    const kept = written('kept.bin', false);
    const dropped = written('dropped.bin', true);
    expect(resident(kept)).toBeGreaterThan(1000);   // 2048 pages of 4 KiB written
    expect(resident(dropped)).toBe(0);
    dropPagesOf(kept);
    expect(resident(kept)).toBe(0);
  });
});
