// Shared by the kernel tests: fixture paths, compiler availability, a private cache directory.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { describe } from 'vitest';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');

/** Absolute path of a file under test/kernels/fixtures. */
export function fixture(name: string): string {
  return join(here, 'fixtures', name);
}

/** Absolute path of a file under native-examples. */
export function example(path: string): string {
  return join(root, 'native-examples', path);
}

/** A fresh empty directory. */
export function freshDir(prefix = 'simdeck-kernels-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const hasGfortran = spawnSync('gfortran', ['--version']).status === 0;
export const hasCc = spawnSync('cc', ['--version']).status === 0;

/**
 * `describe` for suites that compile Fortran. Without gfortran they are skipped with a message
 * outside CI; in CI (CI=true) they run anyway, and fail with the compiler-missing error.
 */
export const describeFortran: typeof describe = hasGfortran || process.env.CI === 'true'
  ? describe
  : (((name: string, ...rest: unknown[]) => {
    console.warn(`skipping "${name}": gfortran is not installed (apt-get install gfortran)`);
    return (describe.skip as unknown as (...a: unknown[]) => unknown)(`${name} [needs gfortran: apt-get install gfortran]`, ...rest);
  }) as unknown as typeof describe);

let bundled: string | null = null;
/**
 * src/kernels bundled into one ES module (esbuild), for child processes that cannot import
 * TypeScript. Lives under node_modules/.cache so that `koffi` resolves. Built once per run.
 */
export function kernelsBundle(): string {
  if (bundled !== null) return bundled;
  const out = join(root, 'node_modules', '.cache', 'simdeck-test', `kernels-${process.pid}.mjs`);
  buildSync({
    entryPoints: [join(root, 'src', 'kernels', 'index.ts')], bundle: true, platform: 'node', format: 'esm',
    external: ['koffi'], outfile: out, logLevel: 'error',
  });
  bundled = out;
  return out;
}
