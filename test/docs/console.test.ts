// Docs that cannot go stale: every ```console block in docs/*.md is run, and what it shows must be
// what the commands print.
//
// THE RULES (write console blocks so that they hold):
//  1. A line starting with `$ ` is a command; the lines after it, up to the next `$ ` line or the
//     end of the block, are its output: stdout and stderr together, as a terminal shows them.
//  2. Commands run one at a time with `sh`, from the repository root, in the order shown, each
//     seeing the exit status of the one before (so `$ echo $?` works). `npx simdeck` runs this
//     checkout's built command (`node dist/src/cli/main.js`; the test checks once that `npx
//     simdeck` is that command). Only commands of these programs are run, optionally after
//     `NAME=value` settings: `npx simdeck`, `node`, `echo`, `cat`, `ls` (in columns, as on an
//     80-column terminal: `ls -C -T 0`). Any other command fails the test: show it in a ```sh
//     or ```text block instead.
//  3. Both sides are compared line by line after these replacements:
//     - the repository's absolute path reads `/home/you/simdeck` (write that in the docs);
//     - `/tmp/`: commands run with a fresh directory of this test run in its place (so two
//       checkouts testing at once do not share files), and output shows that directory as `/tmp`;
//     - a duration or rate — a number followed by a unit (`12.3 ms`, `4 s`, `2.5 µs`, `1.2 GB/s`,
//       `850 steps/s`) — reads `<number unit>`, so timings may differ;
//     - machine facts: the number after `cores:` and the Node version after `node:`;
//     - a run of stack frames inside simdeck's own code (dist/, node_modules/, generator frames
//       `at name (<anonymous>)`) or Node's (`node:...`) reads as one line `    ...` (with the
//       line's rank tag), so only the deck's own frames are compared: write that line where the
//       docs show such frames.
//  4. Rank order may vary: lines are grouped by the tag they start with (`[3] ` and `[rank 3] `
//     are two groups; untagged lines are one group); within a group the order must match, across
//     groups any interleaving is accepted. After `<!-- console: any order -->` on the line
//     before the block, untagged lines may come in any order too (raw output of many ranks).
//  5. Elision: an expected line `...` stands for any number of lines (none included) of its
//     group; within a line, ` ...` (after a space) stands for any text: `usage: ...`,
//     `task 3: 4 values from worker ..., sum 6`.
//  6. Nothing else varies: output must be deterministic (no random numbers, no dates, no PIDs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, root } from '../helpers/job.js';

const SHOWN_ROOT = '/home/you/simdeck';
/** Where this run's commands find what the docs show under `/tmp/` (rule 3). */
const TMP = mkdtempSync(join(tmpdir(), 'simdeck-docs-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const ALLOWED = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npx simdeck|node|echo|cat|ls)(?:\s|$)/;

interface Step { command: string; expected: string[]; line: number }
interface Block { file: string; line: number; anyOrder: boolean; steps: Step[] }

/** Every ```console block of the docs, split into commands and their expected output. */
export function consoleBlocks(dir = join(root, 'docs')): Block[] {
  const blocks: Block[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.md')).sort()) {
    const lines = readFileSync(join(dir, name), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() !== '```console') continue;
      const block: Block = { file: `docs/${name}`, line: i + 1, anyOrder: /<!--\s*console:\s*any order\s*-->/.test(lines[i - 1] ?? ''), steps: [] };
      for (i++; i < lines.length && lines[i].trim() !== '```'; i++) {
        if (lines[i].startsWith('$ ')) block.steps.push({ command: lines[i].slice(2), expected: [], line: i + 1 });
        else if (block.steps.length > 0) block.steps[block.steps.length - 1].expected.push(lines[i]);
        else throw new Error(`docs/${name}:${i + 1}: a console block must start with a \`$ \` command`);
      }
      blocks.push(block);
    }
  }
  return blocks;
}

const TIME = /(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?\s?(?:ns|µs|us|ms|s|min|h|[A-Za-z]+\/s)(?![\w/])/g;
const FRAME = /^(\[(?:rank )?\d+\] )?\s+at (?:(?:async )?(?:.*\()?(?:node:|file:\/\/\/home\/you\/simdeck\/(?:dist|node_modules)\/|\/home\/you\/simdeck\/(?:dist|node_modules)\/)|\S+ \(<anonymous>\)$)/;

/** Rule 3 on one line of either side. */
function normalize(line: string): string {
  return line
    .replace(TIME, (m) => `<${m.replace(/^[\d.e+-]+\s?/, 'number ')}>`)
    .replace(/\bcores: \d+/, 'cores: <n>')
    .replace(/\bnode: v[\d.]+/, 'node: <version>');
}

/** Rule 3 on actual output: the repository path, then runs of internal stack frames as one `    ...`. */
export function normalizeActual(text: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n').map((l) => normalize(l.split(root).join(SHOWN_ROOT).split(TMP).join('/tmp')));
  const out: string[] = [];
  for (const l of lines) {
    const m = FRAME.exec(l);
    if (m === null) { out.push(l); continue; }
    const elided = `${m[1] ?? ''}    ...`;
    // Frames of one rank may be interleaved with other ranks' lines: merge with that rank's previous line.
    const last = [...out].reverse().find((x) => groupOf(x) === groupOf(elided));
    if (last !== elided) out.push(elided);
  }
  return text === '' ? [] : out;
}

function groupOf(line: string): string {
  return /^\[(?:rank )?\d+\] /.exec(line)?.[0] ?? '';
}

/** Rule 5 within one group: `...` matches any run of lines, `X ...` any line starting with X. */
function sequenceMatches(expected: string[], actual: string[]): boolean {
  const memo = new Map<string, boolean>();
  const at = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    if (memo.has(key)) return memo.get(key)!;
    let r: boolean;
    if (i === expected.length) r = j === actual.length;
    else if (expected[i].slice(groupOf(expected[i]).length) === '...') r = at(i + 1, j) || (j < actual.length && at(i, j + 1));
    else r = j < actual.length && lineMatches(expected[i], actual[j]) && at(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return at(0, 0);
}

function lineMatches(expected: string, actual: string): boolean {
  if (expected === actual) return true;
  if (!expected.includes(' ...') || /^\s*\.\.\.$/.test(expected.slice(groupOf(expected).length))) return false;
  const pattern = expected.split(/(?<= )\.\.\./).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`).test(actual);
}

/** Rules 4 and 5: whether `actual` shows what `expected` says. */
export function outputMatches(expected: string[], actual: string[], anyOrder: boolean): boolean {
  const exp = expected.map(normalize);
  const groups = new Set([...exp, ...actual].map(groupOf));
  for (const g of groups) {
    let e = exp.filter((l) => groupOf(l) === g);
    let a = actual.filter((l) => groupOf(l) === g);
    if (g === '' && anyOrder) { e = [...e].sort(); a = [...a].sort(); }
    if (!sequenceMatches(e, a)) return false;
  }
  return true;
}

/** Runs one command as rule 2 says; returns its merged output and exit status. */
function run(command: string, previousStatus: number): { output: string; status: number } {
  // the docs' /tmp/ first, so that a checkout that itself lives under /tmp keeps its own paths
  const line = command
    .replace(/(?<![\w/.])\/tmp\//g, `${TMP}/`)
    .replace(/(^|\s)npx simdeck(?=\s|$)/g, `$1${JSON.stringify(process.execPath)} ${JSON.stringify(cli)}`)
    .replace(/^((?:[A-Z_][A-Z0-9_]*=\S*\s+)*)ls(?=\s|$)/, '$1ls -C -T 0');
  const script = `exec 2>&1\n(exit ${previousStatus})\n${line}`;
  const env: NodeJS.ProcessEnv = { ...process.env, COLUMNS: '80' };
  for (const k of ['FORCE_COLOR', 'SIMDECK_OUTPUT', 'SIMDECK_HANG_TIMEOUT', 'SIMDECK_WAIT', 'SIMDECK_BIND', 'SIMDECK_TRANSPORT', 'SIMDECK_MPI']) delete env[k];
  const r = spawnSync('sh', ['-c', script], { cwd: root, env, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 2 ** 20 });
  return { output: r.stdout, status: r.status ?? 128 };
}

describe('the comparison rules', () => {
  it('accepts another rank order and other timings, and nothing else', () => {
    const expected = ['[0] a', '[1] x 12.5 ms', '[0] b', 'done in 3 s'];
    expect(outputMatches(expected, normalizeActual('[1] x 0.7 ms\n[0] a\n[0] b\ndone in 41 s\n'), false)).toBe(true);
    expect(outputMatches(expected, normalizeActual('[0] b\n[0] a\n[1] x 1 ms\ndone in 3 s\n'), false)).toBe(false);
    expect(outputMatches(expected, normalizeActual('[0] a\n[0] b\n[1] x 12.5 ms\ndone in 3 steps\n'), false)).toBe(false);
    expect(outputMatches(expected, normalizeActual('[0] a\n[0] b\n[1] x 12.5 ms\n'), false)).toBe(false);
    expect(outputMatches(['b', 'a'], ['a', 'b'], false)).toBe(false);
    expect(outputMatches(['b', 'a'], ['a', 'b'], true)).toBe(true);
    expect(outputMatches(['task 3: worker ..., sum 6'], ['task 3: worker 2, sum 6'], false)).toBe(true);
    expect(outputMatches(['task 3: worker ..., sum 6'], ['task 3: worker 2, sum 7'], false)).toBe(false);
    expect(outputMatches(['a', '...', 'z'], ['a', 'b', 'c', 'z'], false)).toBe(true);
    expect(outputMatches(['a', '...', 'z'], ['a', 'b', 'c'], false)).toBe(false);
  });
  it('elides lines and simdeck/Node stack frames as written', () => {
    const actual = normalizeActual([
      '[rank 1] Error: no', `[rank 1]     at f (${root}/docs/examples/x.ts:3:9)`,
      `[rank 1]     at g (file://${root}/dist/src/comm/comm.js:1:2)`, '[rank 1]     at ModuleJob.run (node:internal/modules/esm/module_job:325:25)',
      `[rank 1]     at async file://${root}/dist/src/runtime/rankMain.js:31:1`, 'usage: simdeck run -n N deck.ts', 'extra',
    ].join('\n'));
    expect(actual).toContain('[rank 1]     ...');
    expect(outputMatches(['[rank 1] Error: no', '[rank 1]     at f (/home/you/simdeck/docs/examples/x.ts:3:9)', '[rank 1]     ...', 'usage: ...', '...'], actual, false)).toBe(true);
    expect(outputMatches(['[rank 1] Error: no', '[rank 1]     ...', 'usage: ...', '...'], actual, false)).toBe(false);
  });
});

describe('console blocks in docs/', () => {
  it('`npx simdeck` is the command this checkout builds', () => {
    const viaNpx = spawnSync('npx', ['simdeck', '--help'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const direct = spawnSync(process.execPath, [cli, '--help'], { cwd: root, encoding: 'utf8' });
    expect(viaNpx.status).toBe(0);
    expect(viaNpx.stdout).toBe(direct.stdout);
  });

  const blocks = consoleBlocks();
  it('there are console blocks to check', () => { expect(blocks.length).toBeGreaterThan(20); });
  for (const block of blocks) {
    it(`${block.file}:${block.line}: ${block.steps.map((s) => s.command).join(' && ')}`, () => {
      let status = 0;
      for (const step of block.steps) {
        expect(step.command, `${block.file}:${step.line}: not a command the docs test runs (rule 2): show it in a sh or text block`).toMatch(ALLOWED);
        const r = run(step.command, status);
        status = r.status;
        const actual = normalizeActual(r.output);
        if (!outputMatches(step.expected, actual, block.anyOrder)) {
          // Shows both sides in full when they differ.
          expect(actual.join('\n'), `${block.file}:${step.line}: $ ${step.command}`).toBe(step.expected.map(normalize).join('\n'));
        }
      }
    });
  }
});
