// Using simdeck from your own project, as a user does: the package is packed (`npm pack`) and
// installed into a new project in a temporary directory (`npm init -y`, so "type": "commonjs" as
// npm makes it), and also installed from a folder path. There a deck that imports `simdeck`,
// `simdeck/kernels` (with a real C kernel) and `simdeck/decomposition` and a local module runs
// on 2 ranks; a rank's error has a stack that points at the user's own files and lines, with no
// bundler frames; `simdeck check` type-checks decks with the project's TypeScript. `npm install`
// may print no warning but the install-scripts notice the README explains.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECK_COMPILER_OPTIONS } from '../../src/cli/check.js';
import { root } from '../helpers/job.js';

/** Packages whose install scripts the README explains (npm 11 lists them; npm 12 asks to approve them). */
const EXPLAINED_SCRIPTS = ['simdeck', 'esbuild', 'koffi', 'msgpackr-extract'];

const work = mkdtempSync(join(tmpdir(), 'simdeck-pkg-'));
const INSTALL_TIMEOUT = 300_000;

function sh(cmd: string, args: string[], cwd: string, timeout = INSTALL_TIMEOUT) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', all: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** A new project in `dir` as `npm init -y` makes it. */
function newProject(name: string): string {
  const dir = join(work, name);
  spawnSync('mkdir', ['-p', dir]);
  expect(sh('npm', ['init', '-y'], dir).status).toBe(0);
  return dir;
}

/** The `npm warn` lines of an install that the README does not explain. */
function unexplainedWarnings(output: string): string[] {
  return output.split('\n').filter((l) => /^npm warn/.test(l)).filter((l) => {
    const listed = /^npm warn install-scripts\s+(@?[^@\s]+)@\S+ \(/.exec(l);
    if (listed) return !EXPLAINED_SCRIPTS.includes(listed[1]);
    return !/^npm warn install-scripts(\s|$)/.test(l) || /blocked/.test(l);
  });
}

const DECK_FILES: Record<string, string> = {
  'lib.ts': [
    "import { world } from 'simdeck';",
    'export function density(cell: number): number {',
    '  const rho = 1 - cell * 0.3;',
    "  if (rho < 0) throw new Error(`negative density on rank ${world.rank}`);",
    '  return rho;',
    '}',
    '',
  ].join('\n'),
  'twice.c': 'double twice(double x) { return 2 * x; }\n',
  'deck.ts': [
    "import { world, Op } from 'simdeck';",
    "import { loadKernels } from 'simdeck/kernels';",
    "import { Grid } from 'simdeck/decomposition';",
    "import { density } from './lib.ts';",
    "const k = loadKernels(new URL('./twice.c', import.meta.url).pathname, { twice: 'double twice(double x)' });",
    'const grid = new Grid(world, { shape: [6, 4], ghosts: 1 });',
    'const u = grid.zeros(Float64Array);',
    'u.data.fill(k.twice(world.rank + 1));',
    'const total = world.allreduce(k.twice(world.rank), Op.SUM);',
    "if (world.rank === 0) console.log(`OK total ${total} cells ${grid.shape.join('x')}`);",
    "if (process.argv[2] === 'fail') density(world.rank === 1 ? 5 : 0);",
    'world.barrier();',
    '',
  ].join('\n'),
  'bad.ts': [
    "import { world } from 'simdeck';",
    'const size: string = world.size;',
    'console.log(size);',
    '',
  ].join('\n'),
};

let tarball = '';

describe('simdeck installed into a new project', () => {
  beforeAll(() => {
    // dist/ is built before the tests run (npm test builds first); --ignore-scripts keeps it as it is.
    const packed = sh('npm', ['pack', '--ignore-scripts', '--pack-destination', work], root);
    expect(packed.status, packed.all).toBe(0);
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe('from a packed tarball', () => {
    let dir = '';
    beforeAll(() => {
      dir = newProject('from-tarball');
      for (const [name, text] of Object.entries(DECK_FILES)) writeFileSync(join(dir, name), text);
    });

    it('installs with no warning the README does not explain', () => {
      const r = sh('npm', ['install', '--prefer-offline', tarball], dir);
      expect(r.status, r.all).toBe(0);
      expect(unexplainedWarnings(r.all)).toEqual([]);
    });

    it('runs a deck that imports simdeck, simdeck/kernels, simdeck/decomposition and a local module', () => {
      const r = sh('npx', ['simdeck', 'run', '-n', '2', 'deck.ts'], dir, 180_000);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('[0] OK total 2 cells 6x4');
    });

    it("reports a rank's error with a stack of the user's own files and lines", () => {
      const r = sh('npx', ['simdeck', 'run', '-n', '2', 'deck.ts', 'fail'], dir, 180_000);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('[rank 1] Error: negative density on rank 1');
      expect(r.stderr).toContain(`[rank 1]     at density (${join(dir, 'lib.ts')}:4:22)`);
      expect(r.stderr).toContain(`(${join(dir, 'deck.ts')}:11:33)`);
      expect(r.stderr).not.toMatch(/__require|__commonJS|deck\d\.mjs|\/simdeck-\d+-/);
    });

    it('type-checks decks with `simdeck check` and the project\'s TypeScript', () => {
      // The compiler and Node's types, as a user adds them (npm install -D typescript @types/node);
      // taken from this checkout's node_modules so that the test needs no network.
      const dev = sh('npm', ['install', '--prefer-offline', '--save-dev',
        join(root, 'node_modules', 'typescript'), join(root, 'node_modules', '@types', 'node')], dir);
      expect(dev.status, dev.all).toBe(0);
      const good = sh('npx', ['simdeck', 'check', 'deck.ts', 'lib.ts'], dir, 180_000);
      expect(good.all).toContain('simdeck check: deck.ts, lib.ts: no type errors');
      expect(good.status).toBe(0);
      const bad = sh('npx', ['simdeck', 'check', 'bad.ts'], dir, 180_000);
      expect(bad.status).not.toBe(0);
      expect(bad.all).toMatch(/bad\.ts\(2,7\): error TS2322: Type 'number' is not assignable to type 'string'/);
    });
  });

  it('the tsconfig docs/getting-started.md shows for decks has the options simdeck check uses', () => {
    const page = readFileSync(join(root, 'docs', 'getting-started.md'), 'utf8');
    const section = page.slice(page.indexOf('### Type-checking decks'));
    const json = /```json\n([\s\S]*?)```/.exec(section)![1];
    expect(JSON.parse(json).compilerOptions).toEqual(DECK_COMPILER_OPTIONS);
  });

  describe('from a folder path', () => {
    it('installs and runs the deck', () => {
      const dir = newProject('from-folder');
      for (const [name, text] of Object.entries(DECK_FILES)) writeFileSync(join(dir, name), text);
      const r = sh('npm', ['install', '--prefer-offline', root], dir);
      expect(r.status, r.all).toBe(0);
      expect(unexplainedWarnings(r.all)).toEqual([]);
      const run = sh('npx', ['simdeck', 'run', '-n', '2', 'deck.ts'], dir, 180_000);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('[0] OK total 2 cells 6x4');
    });
  });
});
