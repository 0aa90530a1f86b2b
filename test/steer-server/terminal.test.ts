// The terminal clients in a real pseudo-terminal (tmux on a private server): `simdeck attach`
// steering a running 2-rank job (status, set, pause, step, eval per rank, resume, stop), and the
// parallel prompt `simdeck run -n 4 --interactive deck.ts` (blocking collectives from the prompt,
// per-rank answers, tab completion, history). The prompt is also driven through a pipe, on shared
// memory and on both MPIs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, afterAll, expect, it } from 'vitest';
import { cli, root } from '../helpers/job.js';
import { describeMpi, MPIS } from '../mpi/helpers.js';
import { describeNeeding, events, hasTmux, startSteered, cleanupJobs } from './helpers.js';

afterEach(cleanupJobs);

const socket = `simdeck-test-${process.pid}`;

/** One tmux session on a private server. */
class Terminal {
  constructor(readonly name: string) {}

  static start(name: string, command: string, env: Record<string, string>): Terminal {
    const vars = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const r = spawnSync('tmux', ['-L', socket, 'new-session', '-d', '-s', name, '-x', '160', '-y', '60', ...vars, `cd ${root} && ${command}; echo "EXIT=$?"; sleep 60`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux: ${r.stderr}`);
    return new Terminal(name);
  }

  keys(...keys: string[]): void {
    spawnSync('tmux', ['-L', socket, 'send-keys', '-t', this.name, ...keys]);
  }

  /** Types a line and presses Enter. */
  line(text: string): void {
    this.keys('-l', text);
    this.keys('Enter');
  }

  screen(): string {
    return spawnSync('tmux', ['-L', socket, 'capture-pane', '-p', '-J', '-S', '-200', '-t', this.name], { encoding: 'utf8' }).stdout;
  }

  /** Waits until the screen matches `re` `count` times; returns the screen. */
  async waitFor(re: RegExp, count = 1, ms = 120_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const s = this.screen();
      const n = s.match(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g'))?.length ?? 0;
      if (n >= count) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} (x${count}); screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

afterAll(() => { spawnSync('tmux', ['-L', socket, 'kill-server']); });

/** The ```text block after `<!-- session: NAME` in docs/steering-server.md, line by line. */
function docSession(name: string): string[] {
  const doc = readFileSync(join(root, 'docs', 'steering-server.md'), 'utf8');
  const at = doc.indexOf(`<!-- session: ${name} `);
  const m = /```text\n([\s\S]*?)```/.exec(doc.slice(at));
  if (at < 0 || m === null) throw new Error(`docs/steering-server.md has no session ${name}`);
  return m[1].trimEnd().split('\n');
}

/** The screen's lines from the first line starting with `from` through the first starting with `to`. */
function screenLines(screen: string, from: string, to: string): string[] {
  const lines = screen.split('\n').map((l) => l.trimEnd());
  const a = lines.findIndex((l) => l.startsWith(from));
  const b = lines.findIndex((l, i) => i >= a && l.startsWith(to));
  return lines.slice(a, b + 1);
}

/** Numbers, deck names and the attach prompt made neutral, for sessions whose figures vary. */
function neutral(lines: string[]): string[] {
  return lines.map((l) => l.replace(/^\w+>( |$)/, 'deck>$1').replace(/\b\w+\.ts\b/g, 'deck.ts').replace(/\d+(\.\d+)?/g, 'N')
    .replace(/\bN (?:ms|µs|us|s|min|h)\b/g, 'N s')); // a duration's unit depends on how long it took
}

const deckDir = mkdtempSync(join(tmpdir(), 'simdeck-repl-deck-'));
const deck = join(deckDir, 'field.ts');
writeFileSync(deck, `import { world } from 'simdeck';
export const local = new Float64Array(4).fill(world.rank + 1);
export const label = 'rank ' + world.rank;
if (world.rank === 0) console.log('deck ran on', world.size, 'ranks');
`);
afterAll(() => rmSync(deckDir, { recursive: true, force: true }));

describeNeeding(hasTmux, 'tmux', 'apt-get install tmux')('terminal clients in a pseudo-terminal (tmux)', () => {
  it('simdeck attach steers a running 2-rank job', async () => {
    const job = await startSteered(2, 1_000_000, 20);
    const t = Terminal.start('attach', `node ${cli} attach`, { XDG_RUNTIME_DIR: job.runtimeDir });
    await t.waitFor(/harness> $/m);
    expect(t.screen()).toMatch(/^attached to harness\.ts \(pid \d+\) at http:\/\/127\.0\.0\.1:\d+\/; type help for commands$/m);
    t.line('status');
    await t.waitFor(/^step \d+ {2}time [\d.]+ {2}dt 0\.01 {2}running/m);
    t.line('set alpha=0.2');
    await t.waitFor(/^set alpha=0\.2: done at step \d+/m);
    t.line('set alpha=9');
    await t.waitFor(/^set alpha=9: refused: alpha must be at most 0\.25 m2\/s, got 9$/m);
    t.line('set nothing=1');
    await t.waitFor(/refused: no steerable parameter "nothing" \(this job has: alpha, iterations, source, scheme\)/);
    t.line('pause');
    await t.waitFor(/^pause: done at step \d+/m);
    t.line('step 2');
    await t.waitFor(/^step 2: done at step \d+/m);
    t.keys('-l', 'set it');
    t.keys('Tab');
    t.keys('-l', '7');
    t.keys('Enter');
    await t.waitFor(/^set iterations=7: done at step \d+/m);
    t.line('eval params.alpha * (world.rank + 1)');
    const s = await t.waitFor(/^\[1\] 0\.4$/m);
    expect(s).toMatch(/^eval params\.alpha \* \(world\.rank \+ 1\): done at step \d+ \(time [\d.]+, #\d+\)\n\[0\] 0\.2\n\[1\] 0\.4$/m);
    t.line('status');
    await t.waitFor(/^step \d+ .* paused .*\nparams: alpha=0\.2 {2}iterations=7 {2}source=true {2}scheme=upwind$/m);
    t.line('resume');
    await t.waitFor(/^resume: done at step \d+/m);
    t.line('stop');
    await t.waitFor(/^stop: done at step \d+/m);
    await t.waitFor(/^the job finished$/m);
    const screen = await t.waitFor(/^EXIT=0$/m);
    // The session shown in docs/steering-server.md is this one, up to the figures.
    expect(neutral(screenLines(screen, 'attached to', 'the job finished'))).toEqual(neutral(docSession('attach')));
    const end = await job.exited;
    expect(end.code, job.out.stderr).toBe(0);
    const out = job.out.stdout;
    for (const word of ['APPLIED', 'PAUSED', 'STEP', 'RESUMED', 'STOPPED']) {
      const list = events(out, word);
      expect(list.filter(([r]) => r === 0).map(([, e]) => e), word).toEqual(list.filter(([r]) => r === 1).map(([, e]) => e));
    }
    expect(events(out, 'APPLIED').filter(([r]) => r === 0).map(([, e]) => e.split(' ')[1])).toEqual(['alpha=0.2', 'iterations=7']);
    // The paused job took exactly the 2 steps asked for, and stayed paused until the resume.
    // ('step 2: done' answers when the command applies, so the set typed after it applies at
    // a boundary of those 2 steps or after them, whenever it arrives.)
    const paused = Number(events(out, 'PAUSED')[0][1]);
    expect(Number(events(out, 'RESUMED')[0][1])).toBe(paused + 2);
    const iterationsAt = Number(events(out, 'APPLIED').find(([, e]) => e.includes('iterations'))![1].split(' ')[0]);
    expect(iterationsAt).toBeGreaterThan(paused);
    expect(iterationsAt).toBeLessThanOrEqual(paused + 2);
  }, 400_000);

  it('simdeck run -n 4 --interactive deck.ts: every rank evaluates each line; completion and history', async () => {
    const t = Terminal.start('repl', `node ${cli} run -n 4 --interactive ${deck}`, { SIMDECK_HISTORY: '' });
    await t.waitFor(/^simdeck\[4\]> $/m);
    expect(t.screen()).toContain('deck ran on 4 ranks');
    expect(t.screen()).toContain('simdeck parallel prompt: 4 ranks after field.ts (its exports are deck.*)');
    t.line('world.allreduce(world.rank + 1)');
    await t.waitFor(/^\[3\] 10$/m);
    t.line('let y = world.rank * 10');
    await t.waitFor(/^\[3\] undefined$/m);
    t.line('y + deck.local[0]');
    let s = await t.waitFor(/^\[3\] 34$/m);
    expect(s).toMatch(/^\[0\] 1\n\[1\] 12\n\[2\] 23\n\[3\] 34$/m);
    t.keys('-l', 'world.allga');
    t.keys('Tab');
    t.keys('-l', '(deck.label)');
    t.keys('Enter');
    s = await t.waitFor(/^\[3\] \[ 'rank 0', 'rank 1', 'rank 2', 'rank 3' \]$/m);
    expect(s).toContain("simdeck[4]> world.allgather(deck.label)");
    t.keys('Up', 'Up', 'Enter'); // history: y + deck.local[0] again
    await t.waitFor(/^\[3\] 34$/m, 2);
    t.line('undefinedThing.x');
    await t.waitFor(/^\[2\] Uncaught ReferenceError: undefinedThing is not defined$/m);
    t.line('.exit');
    const screen = await t.waitFor(/^EXIT=0$/m);
    expect(screenLines(screen, 'deck ran on', 'simdeck[4]> .exit')).toEqual(docSession('interactive'));
  }, 300_000);
});

it('the parallel prompt reads a pipe too (shared memory, 3 ranks)', () => {
  const r = spawnSync(process.execPath, [cli, 'run', '-n', '3', '--interactive'], {
    cwd: root, encoding: 'utf8', input: 'world.allreduce(world.rank)\nworld.size\n', env: { ...process.env, SIMDECK_HISTORY: '' }, timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toBe('simdeck parallel prompt: 3 ranks; every rank evaluates each line; .exit to leave\n' +
    '[0] 3\n[1] 3\n[2] 3\n[0] 3\n[1] 3\n[2] 3\n');
});

for (const mpi of MPIS) {
  describeMpi(mpi, 'the parallel prompt', () => it('evaluates every line on 2 ranks (lines from a pipe)', () => {
    const r = simdeckWithInput(['run', '--transport', 'mpi', '--mpi', mpi, '-n', '2', '--interactive', deck], 'world.allreduce(deck.local[0])\nlabel\ndeck.label\n');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('deck ran on 2 ranks');
    expect(r.stdout).toMatch(/^\[0\] 3\n\[1\] 3$/m);
    expect(r.stdout).toMatch(/^\[0\] Uncaught ReferenceError: label is not defined\n\[1\] Uncaught ReferenceError: label is not defined$/m);
    expect(r.stdout).toMatch(/^\[0\] 'rank 0'\n\[1\] 'rank 1'$/m);
  }));
}

function simdeckWithInput(args: string[], input: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', input, env: { ...process.env, SIMDECK_HISTORY: '' }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
