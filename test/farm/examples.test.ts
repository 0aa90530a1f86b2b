// The seed examples of docs/farm.md, run as the guide shows them: each console block's commands
// run here and their output must match the block's lines (rank-0 lines in order; timings, which
// vary, compared as "a number with a unit").
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { root, simdeck } from '../helpers/job.js';

const doc = readFileSync(join(root, 'docs', 'farm.md'), 'utf8');
const blocks = [...doc.matchAll(/```console\n([\s\S]*?)```/g)].map((m) => m[1]);
const commands: { line: string; expected: string[] }[] = [];
for (const block of blocks) {
  for (const part of block.split(/^\$ /m).filter((p) => p.trim() !== '')) {
    const [line, ...out] = part.trimEnd().split('\n');
    commands.push({ line, expected: out });
  }
}
afterAll(() => { for (const d of ['/tmp/farm-study', '/tmp/farm-trials']) rmSync(d, { recursive: true, force: true }); });

const timing = /\d+(\.\d+)? (ms|s|min|h|tasks\/s)\b/g;
const normal = (l: string) => l.replace(timing, '<time>').replace(/(<time> )+<time>/g, '<time>');

describe('docs/farm.md examples', () => {
  it('has the four seed examples', () => {
    expect(commands.map((c) => c.line.split(' ')[5])).toEqual([
      'native-examples/farm/paramstudy.ts', 'native-examples/farm/simulator.ts', 'native-examples/farm/ppsubmit.ts',
      'native-examples/farm/phases.ts', 'native-examples/farm/phases.ts',
    ]);
  });
  it.each(commands.map((c) => [c.line, c] as const))('%s', (_line, c) => {
    const args = c.line.replace(/^npx simdeck /, '').split(' ');
    rmSync('/tmp/farm-study', { recursive: true, force: true });
    const r = simdeck(args, {}, 300_000);
    expect(r.status, r.stderr).toBe(0);
    const got = r.stdout.trimEnd().split('\n').filter((l) => l.startsWith('[0] '));
    expect(got.map(normal)).toEqual(c.expected.map(normal));
  }, 300_000);
});
