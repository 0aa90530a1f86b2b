/**
 * Compiled deck bundles kept between jobs, so that running an unchanged deck again skips
 * esbuild (loading and running it is about 40 ms of a 2-rank job's start-up here).
 *
 * An entry is keyed by the deck's path, the directory the bundle will live under (its source
 * map's paths are relative to it), the running copy of simdeck and the Node version. It holds
 * the bundle (`<key>.js`) and the SHA-256, size and time stamp of every source file esbuild read
 * to make it (`<key>.json`); it is used only while every one of those files still has that
 * content (a file whose size and time stamp are unchanged is not read again; another is hashed)
 * and every module the bundle imports by absolute path still exists. Both files are written to a
 * temporary name and renamed, the text first, so a job never reads half an entry. A cache that
 * cannot be read or written only means compiling again.
 *
 * Where: `$SIMDECK_CACHE_DIR/bundles`, else `simdeck-bundles-<user>` in the temp directory.
 * The directory is used only if it belongs to this user and nobody else may write to it (a
 * bundle is code this user will run). `SIMDECK_BUNDLE_CACHE=0` turns the cache off.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What esbuild's metafile says about a build (the parts the cache needs). */
export interface BuildInputs {
  /** Paths of the source files read, relative to `workingDir` or absolute. */
  inputs: string[];
  /** Modules the bundle imports and leaves external (absolute paths, or builtins). */
  externals: string[];
  workingDir: string;
}

/** What `<key>.json` holds; the bundle's text is `<key>.js` beside it (read only when the entry is valid). */
interface Entry {
  format: 3;
  inputs: [path: string, sha256: string, size: number, mtimeMs: number][];
  externals: string[];
}

/** Entries kept at most; past that, storing a new one removes the oldest half. */
const MAX_ENTRIES = 256;

/** Identity of the running copy of simdeck: a rebuild changes this file's modification time. */
const runtimeId = (() => {
  const self = fileURLToPath(import.meta.url);
  try { return `${self}@${statSync(self).mtimeMs}`; } catch { return self; }
})();

function enabled(): boolean {
  return process.env.SIMDECK_BUNDLE_CACHE !== '0';
}

/** The directory bundles are cached in (see the module comment). Never throws. */
export function bundleCacheDir(): string {
  const env = process.env.SIMDECK_CACHE_DIR;
  if (env !== undefined && env !== '') return join(resolve(env), 'bundles');
  let user = 'user';
  try { user = userInfo().username; } catch { /* no passwd entry */ }
  return join(tmpdir(), `simdeck-bundles-${user}`);
}

/** True when `path` still has the content recorded: same size and time stamp, else the same SHA-256. */
function unchanged(path: string, sum: string, size: number, mtimeMs: number): boolean {
  try {
    const st = statSync(path);
    if (st.size === size && st.mtimeMs === mtimeMs) return true;
  } catch {
    return false;
  }
  return sha256Of(path) === sum;
}

function entryPath(deck: string, outfile: string): string {
  const key = createHash('sha256')
    .update(JSON.stringify([deck, dirname(dirname(outfile)), basename(outfile), runtimeId, process.version]))
    .digest('hex')
    .slice(0, 40);
  return join(bundleCacheDir(), `${key}.json`);
}

function sha256Of(path: string): string | null {
  try { return createHash('sha256').update(readFileSync(path)).digest('hex'); } catch { return null; }
}

/** True when `dir` belongs to this user and neither its group nor others may write to it. */
function trusted(dir: string): boolean {
  try {
    const st = statSync(dir);
    return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The cached bundle of `deck` (an absolute path) for `outfile`, or null when there is none that is still valid. Never throws. */
export function cachedBundle(deck: string, outfile: string): string | null {
  if (!enabled() || !trusted(bundleCacheDir())) return null;
  const file = entryPath(deck, outfile);
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(file, 'utf8')) as Entry;
  } catch {
    return null;
  }
  if (entry.format !== 3 || !Array.isArray(entry.inputs) || !Array.isArray(entry.externals)) return null;
  for (const [path, sum, size, mtimeMs] of entry.inputs) if (!unchanged(path, sum, size, mtimeMs)) return null;
  for (const ext of entry.externals) if (!existsSync(ext)) return null;
  try {
    return readFileSync(textPath(file), 'utf8');
  } catch {
    return null;
  }
}

function textPath(entryFile: string): string {
  return entryFile.replace(/\.json$/, '.js');
}

/** Stores the bundle `text` of `deck` for `outfile`, made from `build`'s inputs. Never throws. */
export function storeBundle(deck: string, outfile: string, text: string, build: BuildInputs): void {
  if (!enabled()) return;
  try {
    const inputs: Entry['inputs'] = [];
    for (const input of build.inputs) {
      const path = isAbsolute(input) ? input : resolve(build.workingDir, input);
      const st = statSync(path, { throwIfNoEntry: false });
      const sum = sha256Of(path);
      if (sum === null || st === undefined) return; // not a plain file (a virtual module): do not cache
      inputs.push([path, sum, st.size, st.mtimeMs]);
    }
    const entry: Entry = { format: 3, inputs, externals: build.externals.filter((e) => isAbsolute(e)) };
    const dir = bundleCacheDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trusted(dir)) return;
    prune(dir);
    const file = entryPath(deck, outfile);
    // The text first: an entry is only read once its .json exists, and then its .js is complete.
    for (const [path, content] of [[textPath(file), text], [file, JSON.stringify(entry)]]) {
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, content);
      renameSync(temporary, path);
    }
  } catch {
    /* an unwritable cache only means compiling next time too */
  }
}

/** Keeps the cache at most MAX_ENTRIES entries, removing the least recently written half when full. */
function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length < MAX_ENTRIES) return;
  const aged = names.map((n) => {
    try { return { n, t: statSync(join(dir, n)).mtimeMs }; } catch { return { n, t: 0 }; }
  }).sort((a, b) => a.t - b.t);
  for (const { n } of aged.slice(0, aged.length - MAX_ENTRIES / 2)) {
    rmSync(join(dir, n), { force: true });
    rmSync(join(dir, textPath(n)), { force: true });
  }
}

