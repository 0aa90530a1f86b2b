// The launcher: decks in TypeScript with local and npm imports, bundled once per job; deck
// arguments; output modes; bad command lines and bad decks.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { linesOf, root, runDeck, simdeck, writeDecks } from '../helpers/job.js';

describe('simdeck run', () => {
  it('runs .ts decks with local .ts and npm imports from one bundle per job, with the deck\'s argv', () => {
    const deck = join(root, 'test', 'decks', 'imports', 'deck.ts');
    const r = simdeck(['run', '-n', '3', deck, 'one', '--two', '3']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (let k = 0; k < 3; k++) {
      const info = JSON.parse(linesOf(r.stdout, k)[0]);
      expect(info.rank).toBe(k);
      expect(info.roundTrip).toEqual({ nx: 8, ny: 4 });
      expect(info.argv).toEqual(['one', '--two', '3']);
      expect(info.whereAmI).toBe(pathToFileURL(join(root, 'test', 'decks', 'imports', 'lib', 'shape.ts')).href);
      expect(info.metaUrl).toBe(pathToFileURL(deck).href);
      // Each rank runs the launcher's single bundle from memory (test/runtime/startupFs.test.ts
      // counts its file-system calls); its frames map back to the deck's own lines.
      expect(info.frame).toMatch(/\/test\/decks\/imports\/deck\.ts:\d+:\d+/);
    }
  });

  it('reuses a compiled deck while its sources are unchanged, and compiles it again when one changes', () => {
    const cache = mkdtempSync(join(tmpdir(), 'simdeck-test-cache-'));
    const dir = writeDecks({
      'deck.ts': "import { world } from 'simdeck';\nimport { label } from './part.ts';\nconsole.log(label, world.rank);\n" +
        "if (world.rank === 1 && process.argv[2] === 'fail') throw new Error('from a cached deck');\n",
      'part.ts': "export const label = 'first';\n",
    });
    const run = (args: string[] = [], env: Record<string, string> = {}) =>
      simdeck(['run', '-n', '2', join(dir, 'deck.ts'), ...args], { SIMDECK_CACHE_DIR: cache, ...env });
    const mark = (from: string, to: string) => {
      const entries = readdirSync(join(cache, 'bundles')).filter((n) => n.endsWith('.js'));
      expect(entries).toHaveLength(1);
      const file = join(cache, 'bundles', entries[0]);
      writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));
    };
    try {
      expect(run().stdout).toContain('[0] first 0');
      // Mark the stored bundle: a run that prints the mark ran it without compiling the deck.
      // (the deck's string literal, quoted: simdeck's own code has other "first"s)
      mark('"first"', '"marked"');
      expect(run().stdout).toContain('[1] marked 1');
      // From a stored bundle, a failure still names the deck's own file and line.
      const failed = run(['fail']);
      expect(failed.status).toBe(1);
      expect(failed.stdout).toContain('[0] marked 0');
      expect(failed.stderr).toMatch(/\[rank 1\] +at .*deck\.ts:4:/);
      // A changed source is compiled again (its content, not its time stamp, decides).
      writeFileSync(join(dir, 'part.ts'), "export const label = 'second';\n");
      expect(run().stdout).toContain('[0] second 0');
      // SIMDECK_BUNDLE_CACHE=0: the stored bundle is not used.
      mark('"second"', '"marked"');
      expect(run([], { SIMDECK_BUNDLE_CACHE: '0' }).stdout).toContain('[0] second 0');
      expect(run().stdout).toContain('[0] marked 0');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('prefixes every line with its rank and never breaks lines of different ranks', () => {
    const r = runDeck(`
import { world } from 'simdeck';
const body = String(world.rank).repeat(3000);
for (let i = 0; i < 200; i++) {
  // half a line, then the rest: the launcher must join them
  process.stdout.write(body.slice(0, 1234));
  process.stdout.write(body.slice(1234) + ' #' + i + '\\n');
}
process.stderr.write('err from ' + world.rank + '\\n');
`, 3);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(600);
    for (const line of lines) {
      const m = /^\[(\d)\] (\d+) #(\d+)$/.exec(line);
      expect(m).not.toBeNull();
      expect(m![2]).toBe(m![1].repeat(3000));
    }
    for (let k = 0; k < 3; k++) expect(r.stderr).toContain(`[${k}] err from ${k}`);
  });

  it('--output rank0 shows rank 0\'s stdout only (stderr of all); --output raw adds no prefix', () => {
    const deck = `import { world } from 'simdeck';\nconsole.log('out ' + world.rank);\nconsole.error('err ' + world.rank);\n`;
    const r0 = runDeck(deck, 3, ['--output', 'rank0']);
    expect(r0.status).toBe(0);
    expect(r0.stdout).toBe('out 0\n');
    for (let k = 0; k < 3; k++) expect(r0.stderr).toContain(`[${k}] err ${k}`);
    const raw = runDeck(deck, 2, ['--output=raw']);
    expect(raw.stdout.split('\n').sort().join(',')).toBe(',out 0,out 1');
    expect(raw.stderr.split('\n').sort().join(',')).toBe(',err 0,err 1');
  });

  it('rejects bad command lines with a message that says what to change', () => {
    const hello = join(root, 'native-examples', 'hello', 'deck.ts');
    const cases: Array<[string[], RegExp]> = [
      [['run', '-n', '0', hello], /-n needs a whole number of ranks of at least 1, got "0"/],
      [['run', '-n', 'two', hello], /-n needs a whole number of ranks/],
      [['run', hello], /say how many ranks run .* with -n N/],
      [['run', '-n', '2'], /no deck given/],
      [['run', '--bogus', '-n', '2', hello], /unknown option --bogus/],
      [['run', '--output', 'loud', '-n', '2', hello], /--output must be prefixed, rank0 or raw/],
      [['run', '--hang-timeout', '-1', '-n', '2', hello], /--hang-timeout needs a positive number of seconds/],
      [['run', '-n', '2', join(root, 'no', 'such', 'deck.ts')], /deck file not found: .*no\/such\/deck\.ts/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [args, message] of cases) {
      const r = simdeck(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const envCases: Array<[Record<string, string>, RegExp]> = [
      [{ SIMDECK_HANG_TIMEOUT: 'soon' }, /SIMDECK_HANG_TIMEOUT must be a positive number of seconds, got "soon"/],
      [{ SIMDECK_OUTPUT: 'loud' }, /SIMDECK_OUTPUT must be prefixed, rank0 or raw/],
      [{ SIMDECK_WAIT: 'fast' }, /SIMDECK_WAIT must be auto, spin or block/],
      [{ SIMDECK_BIND: 'tight' }, /SIMDECK_BIND must be auto, none or 0/],
    ];
    for (const [env, message] of envCases) {
      const r = simdeck(['run', '-n', '2', hello], env);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('simdeck run --help prints the usage and starts nothing; a --help after the deck is the deck\'s', () => {
    const hello = join(root, 'native-examples', 'hello', 'deck.ts');
    for (const args of [['run', '--help'], ['run', '-n', '2', '-h']]) {
      const r = simdeck(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/usage: simdeck run .*-n N deck\.ts/);
      expect(r.stdout).not.toMatch(/hello from rank/);
    }
    const deckArg = simdeck(['run', '-n', '1', hello, '--help']);
    expect(deckArg.status).toBe(0);
    expect(deckArg.stdout).toMatch(/hello from rank 0 of 1/);
  });

  it('reports a deck with a syntax error by file, line and column, and starts no rank', () => {
    const dir = writeDecks({
      'deck.ts': `import { world } from 'simdeck';\nimport { helper } from './helper.ts';\nconsole.log(world.rank, helper);\n`,
      'helper.ts': `export const helper = 1;\nexport function broken( {\n  return 2;\n}\n`,
    });
    const r = simdeck(['run', '-n', '2', join(dir, 'deck.ts')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/DeckError: the deck could not be compiled:\n.*helper\.ts:3:\d+: /);
    expect(r.stdout).toBe('');
  });

  it('binds each rank to a core of its own when every rank has one (SIMDECK_BIND=none: not)', () => {
    const cpus = availableParallelism();
    // each rank's main thread: the CPUs it may run on (Cpus_allowed_list of /proc/thread-self/status)
    const deck = `import { world } from 'simdeck';\nimport { readFileSync } from 'node:fs';\n` +
      `const l = readFileSync('/proc/thread-self/status', 'utf8').split('\\n').find((x) => x.startsWith('Cpus_allowed_list:'));\n` +
      `console.log('cpus', world.rank, l.split(':')[1].trim());\n`;
    const allowed = (r: ReturnType<typeof runDeck>) => {
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter((l) => l.includes('cpus ')).map((l) => l.split(' ').pop()!).sort();
    };
    const free = allowed(runDeck(deck, 2, [], { SIMDECK_BIND: 'none' }));
    expect(free[0]).toBe(free[1]);
    const bound = allowed(runDeck(deck, 2));
    if (cpus >= 2) {
      // one CPU each, not the same one
      expect(bound.every((c) => /^\d+$/.test(c))).toBe(true);
      expect(bound[0]).not.toBe(bound[1]);
    } else expect(bound).toEqual(free);
    // more ranks than cores: no binding
    expect(new Set(allowed(runDeck(deck, cpus + 1))).size).toBe(1);
    if (cpus < 2) return;
    // threads started through unboundThreads (simdeck's render, writer, farm and steering threads)
    // may run on every CPU the thread had before it was bound; others inherit its one CPU
    const script = `import { bindThreadToCpu, unboundThreads } from ${JSON.stringify(pathToFileURL(join(root, 'dist', 'src', 'system', 'libc.js')).href)};
import { Worker } from 'node:worker_threads';
const code = "require('node:worker_threads').parentPort.postMessage(require('node:fs').readFileSync('/proc/thread-self/status', 'utf8').split('Cpus_allowed_list:')[1].trim().split(String.fromCharCode(10))[0])";
const cpusOf = async (w) => { const m = await new Promise((r) => w.once('message', r)); await w.terminate(); return m; };
const before = await cpusOf(new Worker(code, { eval: true, execArgv: [] }));
const cpu = bindThreadToCpu(1, 2);
console.log(JSON.stringify({ before, cpu, plain: await cpusOf(new Worker(code, { eval: true, execArgv: [] })), unbound: await cpusOf(unboundThreads(() => new Worker(code, { eval: true, execArgv: [] }))), after: await cpusOf(new Worker(code, { eval: true, execArgv: [] })) }));
`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.plain).toBe(String(o.cpu));
    expect(o.after).toBe(String(o.cpu));
    expect(o.unbound).toBe(o.before);
    expect(o.before).not.toBe(String(o.cpu));
  });

  it('simdeck info names the usable transports', () => {
    const r = simdeck(['info']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/shm: usable/);
  });
});
