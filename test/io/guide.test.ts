// docs/io.md shows real output: this runs its commands (into a temporary directory instead of
// /tmp/heat-out) and compares every line with the guide, timings aside; and the Python example's
// output with h5py.
import { afterAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, simdeck } from '../helpers/job.js';
import { PYTHON, describeH5 } from './h5py.js';

const guide = readFileSync(join(root, 'docs', 'io.md'), 'utf8');
const base = mkdtempSync(join(tmpdir(), 'simdeck-guide-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The output lines of the ```console block whose command starts with `start`, and the command. */
function consoleBlock(start: string): { command: string; lines: string[] } {
  for (const m of guide.matchAll(/```console\n([\s\S]*?)```/g)) {
    const [first, ...rest] = m[1].trimEnd().split('\n');
    if (first.startsWith(`$ ${start}`)) return { command: first.slice(2), lines: rest };
  }
  throw new Error(`docs/io.md has no console block starting with ${start}`);
}

/** Timings vary: numbers followed by ms or MB/s become '#'. */
const timeless = (l: string) => l.replace(/\d+(\.\d+)? (ms|MB\/s)/g, '# $2');

function runLikeGuide(start: string): void {
  const { command, lines } = consoleBlock(start);
  const args = command.replace(/^npx simdeck /, '').replaceAll('/tmp/', `${base}/`).split(' ');
  const r = simdeck(args);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout.trimEnd().split('\n').map(timeless)).toEqual(lines.map((l) => timeless(l.replaceAll('/tmp/', `${base}/`))));
}

describeH5('docs/io.md', () => {
  it('the first run and the Python example print what the guide shows', () => {
    runLikeGuide('npx simdeck run -n 3 native-examples/heat2d/dumps.ts');
    const py = spawnSync(PYTHON, [join(root, 'docs', 'examples', 'read-dumps.py'), join(base, 'heat-out')], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    const shown = /prints:\n\n```text\n([\s\S]*?)```/.exec(guide)![1];
    expect(py.stdout).toBe(shown);
    // the guide's listing of the Python example is the file itself
    const listed = /```python\n([\s\S]*?)```/.exec(guide)![1];
    expect(readFileSync(join(root, 'docs', 'examples', 'read-dumps.py'), 'utf8')).toContain(listed);
  });

  it('the restart on another rank count prints what the guide shows, with the same fingerprint', () => {
    runLikeGuide('npx simdeck run --restart');
  });
});
