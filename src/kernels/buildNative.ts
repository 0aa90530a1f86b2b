/**
 * `npm run build:native`: compiles every C and Fortran source under native-examples/ ahead of
 * time into the kernel cache, exactly as `loadKernels(source)` would (one library per source,
 * default flags), so that decks start without compiling. Prints one line per library and exits
 * with status 1 if any build fails, printing the compiler's message.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, type BuildResult, buildKernels, isCSource, isFortranSource } from './build.js';
import { KernelBuildError } from './errors.js';

/** Sources under `dir` (recursively), sorted. Never throws for a missing directory (returns []). */
export function nativeSources(dir: string): string[] {
  let entries: string[];
  try { entries = readdirSync(dir); } catch { return []; }
  const out: string[] = [];
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...nativeSources(p));
    else if (isCSource(p) || isFortranSource(p)) out.push(p);
  }
  return out;
}

/**
 * Builds every source under `examplesDir` as its own library. Blocking. Returns one entry per
 * source, with the build result or the error; never throws.
 */
export function buildNativeExamples(examplesDir: string, options: BuildOptions = {}): { source: string; result?: BuildResult; error?: Error }[] {
  return nativeSources(examplesDir).map((source) => {
    try {
      return { source, result: buildKernels([source], options) };
    } catch (e) {
      return { source, error: e as Error };
    }
  });
}

function main(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const dir = join(root, 'native-examples');
  const results = buildNativeExamples(dir);
  let failed = 0;
  for (const r of results) {
    const name = relative(root, r.source);
    if (r.result !== undefined) console.log(`${name} -> ${relative(root, r.result.path)} (${r.result.how})`);
    else {
      failed++;
      console.error(`${name}: ${r.error instanceof KernelBuildError ? r.error.message : String(r.error)}`);
    }
  }
  if (results.length === 0) console.log(`no C or Fortran sources under ${relative(root, dir) || dir}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
