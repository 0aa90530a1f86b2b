// The seed programs of the design, run as real jobs: (a) a parameter study with an external
// command per parameter and a master file, (b) gathering particles to rank 0 for serial tools,
// (c) an archival helper on the last rank. Each result is checked against the same computation
// done here.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linesOf, root, simdeck } from '../helpers/job.js';

const seed = (name: string) => join(root, 'native-examples', 'seed', name);
const made: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'simdeck-seed-')); made.push(d); return d; };
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

describe('seed (a): parameter study', () => {
  it.each([
    [3, 10],
    [4, 10],
    [5, 12], // more ranks than the 2 cores
    [4, 3],  // fewer parameters than ranks: rank 3 gets an empty chunk
  ])('on %i ranks with %i parameters builds the master file in parameter order', (n, nparams) => {
    const out = join(tempDir(), 'out dir'); // a space: paths reach the shell safely
    const r = simdeck(['run', '-n', String(n), seed('paramstudy.ts'), out, String(nparams)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(linesOf(r.stdout, 0)).toEqual([`master file ${join(out, 'master.txt')}: ${nparams} runs`]);
    const expected = [`# ${nparams} runs on ${n} ranks`];
    for (let x = 1; x <= nparams; x++) expected.push(`x=${x} cube=${x ** 3} mod7=${x % 7} rank=${(x - 1) % n}`);
    expect(readFileSync(join(out, 'master.txt'), 'utf8')).toBe(expected.join('\n') + '\n');
    const runs = Array.from({ length: nparams }, (_, i) => `run-${i + 1}.txt`);
    expect(readdirSync(out).sort()).toEqual([...runs, 'master.txt'].sort());
  });
});

describe('seed (b): gather for serial tools', () => {
  it.each([3, 4])('on %i ranks rank 0 prints every particle in rank order', (n) => {
    const r = simdeck(['run', '-n', String(n), seed('gather.ts')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The same particles, computed here.
    const expected: string[] = [];
    let k = 0;
    for (let rank = 0; rank < n; rank++) {
      const m = rank + 2;
      for (let i = 0; i < m; i++, k++) {
        const x = rank + (i + 0.5) / m;
        const rho = 1 / (1 + x * x);
        expected.push(`particle ${k} rank ${rank} x=${x} rho=${rho}`);
      }
    }
    expected.push(`${k} particles from ${n} ranks`);
    expect(linesOf(r.stdout, 0)).toEqual(expected);
    for (let rank = 1; rank < n; rank++) expect(linesOf(r.stdout, rank)).toEqual([]);
    // The numbers print exactly (shortest round-trip form): parse them back and compare bits.
    const parsed = linesOf(r.stdout, 0).slice(0, -1).map((l) => /x=(\S+) rho=(\S+)/.exec(l)!.slice(1).map(Number));
    expect(parsed.length).toBe(k);
    let j = 0;
    for (let rank = 0; rank < n; rank++) {
      for (let i = 0; i < rank + 2; i++, j++) {
        const x = rank + (i + 0.5) / (rank + 2);
        expect(parsed[j]).toEqual([x, 1 / (1 + x * x)]);
      }
    }
  });
});

describe('seed (c) by hand: archival helper with communicators (docs/examples/archive-by-hand.ts)', () => {
  it.each([
    [3, 5],
    [4, 5],
    [4, 40], // many steps: workers write while the helper moves files
  ])('on %i ranks with %i steps archives every complete file and leaves nothing behind', (n, steps) => {
    const dir = tempDir();
    const work = join(dir, 'work'), archive = join(dir, 'archive');
    const r = simdeck(['run', '-n', String(n), join(root, 'docs', 'examples', 'archive-by-hand.ts'), work, archive, String(steps)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const workers = n - 1;
    expect(linesOf(r.stdout, n - 1)).toEqual([`helper archived ${workers * steps} files in ${steps} rounds`]);
    for (let rank = 0; rank < n - 1; rank++) expect(linesOf(r.stdout, rank)).toEqual([]);
    // Nothing left behind: no finished file, no temporary file.
    expect(readdirSync(work)).toEqual([]);
    // Every step of every worker, complete, with its step number inside.
    const expectedNames: string[] = [];
    for (let w = 0; w < workers; w++) for (let s = 0; s < steps; s++) expectedNames.push(`w${w}-step${String(s).padStart(3, '0')}.dat`);
    expect(readdirSync(archive).sort()).toEqual(expectedNames.sort());
    for (let w = 0; w < workers; w++) {
      for (let s = 0; s < steps; s++) {
        const lines = [`worker ${w} step ${s}`];
        for (let i = 0; i < 100; i++) lines.push(String(s * 1000 + i));
        lines.push(`end of step ${s}`);
        const file = join(archive, `w${w}-step${String(s).padStart(3, '0')}.dat`);
        expect(existsSync(file)).toBe(true);
        expect(readFileSync(file, 'utf8')).toBe(lines.join('\n') + '\n');
      }
    }
  });
});
