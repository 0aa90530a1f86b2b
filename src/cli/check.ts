/**
 * `simdeck check deck.ts [more.ts ...]`: type-checks decks as simdeck runs them, with the
 * TypeScript compiler of the project the command runs in.
 *
 * `simdeck run` strips types without checking them (esbuild). Checking needs `typescript` and
 * `@types/node` in the project (`npm install -D typescript @types/node`); the options are the
 * ones a deck needs — ES2022 with top-level await, package `exports` resolution (so `simdeck`,
 * `simdeck/kernels` and `simdeck/decomposition` resolve to the installed copy with its types),
 * strict, `.ts` extensions in imports allowed, every deck an ES module even in a project whose
 * package.json says "type": "commonjs" — whatever tsconfig.json the project has for
 * other code. The compiler's own messages are printed as they are; nothing is written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ArgumentError, DeckError } from '../errors.js';

/** The compiler options `simdeck check` uses (also what docs/getting-started.md shows for a tsconfig.json). */
export const DECK_COMPILER_OPTIONS = {
  target: 'ES2022',
  // Decks are ES modules whatever the project's package.json says (simdeck bundles them so),
  // and resolve packages by their `exports` as the bundler does.
  module: 'ESNext',
  moduleResolution: 'Bundler',
  strict: true,
  noEmit: true,
  allowImportingTsExtensions: true,
  skipLibCheck: true,
  types: ['node'],
} as const;

/** The `tsc` of the project at `dir` (its own typescript package), or null when it has none. */
function projectCompiler(dir: string): string | null {
  try {
    const require = createRequire(join(dir, 'package.json'));
    const pkgPath = require.resolve('typescript/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.tsc;
    return bin ? join(dirname(pkgPath), bin) : null;
  } catch {
    return null;
  }
}

/** Type-checks `decks`; resolves to tsc's exit status (0: no errors). Throws ArgumentError/DeckError before running tsc. */
export function checkDecks(decks: string[]): number {
  if (decks.length === 0) throw new ArgumentError('usage: simdeck check deck.ts [more.ts ...]');
  const files = decks.map((d) => {
    const abs = resolve(d);
    if (!existsSync(abs) || !statSync(abs).isFile()) throw new DeckError(`deck file not found: ${d} (looked for ${abs})`);
    return abs;
  });
  const cwd = process.cwd();
  const tsc = projectCompiler(cwd);
  if (tsc === null) {
    throw new ArgumentError('simdeck check uses the TypeScript compiler of your project, and there is none here: ' +
      'npm install -D typescript @types/node');
  }
  // A tsconfig of our own in a temporary directory, naming the decks by absolute path: the
  // project's tsconfig.json (for its other code) is neither read nor changed.
  const dir = mkdtempSync(join(tmpdir(), 'simdeck-check-'));
  try {
    const config = join(dir, 'tsconfig.json');
    writeFileSync(config, JSON.stringify({
      compilerOptions: { ...DECK_COMPILER_OPTIONS, typeRoots: [join(cwd, 'node_modules', '@types')] },
      files,
    }, null, 2));
    const r = spawnSync(process.execPath, [tsc, '-p', config, '--pretty', 'false'], { cwd, encoding: 'utf8' });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (output !== '') process.stdout.write(output.endsWith('\n') ? output : output + '\n');
    if (r.status === 0) process.stdout.write(`simdeck check: ${decks.join(', ')}: no type errors\n`);
    return r.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
