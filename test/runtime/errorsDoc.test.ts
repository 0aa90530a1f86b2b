// docs/errors.md shows what docs/examples/errors.ts prints: run it and compare, rank by rank
// (ranks' lines may interleave in any order), so the page cannot go stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, simdeck } from '../helpers/job.js';

const command = '$ npx simdeck run -n 2 docs/examples/errors.ts';

/** The output lines shown under `command` in docs/errors.md's console block. */
function shown(): string[] {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const block = /```console\n([\s\S]*?)```/.exec(doc.slice(doc.indexOf(command) - 20))![1].split('\n');
  expect(block[0]).toBe(command);
  return block.slice(1).filter((l) => l !== '');
}

const byRank = (lines: string[]) => [0, 1].map((r) => lines.filter((l) => l.startsWith(`[${r}] `)));

describe('docs/errors.md', () => {
  it('shows the output docs/examples/errors.ts prints', () => {
    const r = simdeck(['run', '-n', '2', 'docs/examples/errors.ts']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(byRank(r.stdout.split('\n').filter((l) => l !== ''))).toEqual(byRank(shown()));
  });
});
