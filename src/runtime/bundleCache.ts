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
 * Beside a rank bundle the launcher may keep V8's code cache of it (`<key>.v8`, made by a rank
 * after running the bundle, see rankBoot.ts): the SHA-256 of the exact bundle text it was made
 * from, then V8's data. It is used only with that text; V8 itself rejects data of another V8
 * version or other flags.
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
  /** Rank bundles: whether the bundle may reach TLS (see rankBundle.ts mayUseTls); true when not told. */
  mayUseTls?: boolean;
  /** Rank bundles: whether V8's code cache may be used with it (see rankBundle.ts); false when not told. */
  codeCacheable?: boolean;
}

/** What `<key>.json` holds; the bundle's text is `<key>.js` beside it (read only when the entry is valid). */
interface Entry {
  format: 4;
  inputs: [path: string, sha256: string, size: number, mtimeMs: number][];
  externals: string[];
  mayUseTls: boolean;
  codeCacheable: boolean;
}

/** A valid cache entry: the bundle's text, what its build found, and where the entry lives. */
export interface CachedBundle {
  text: Buffer;
  mayUseTls: boolean;
  codeCacheable: boolean;
  /** The entry's `.json` file (names its code cache, see readCodeCache). */
  entry: string;
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
  return cachedBundleEntry(deck, outfile)?.text.toString('utf8') ?? null;
}

/** As cachedBundle, with the text as bytes (as it goes down a pipe) and what the entry records. Never throws. */
export function cachedBundleEntry(deck: string, outfile: string): CachedBundle | null {
  if (!enabled() || !trusted(bundleCacheDir())) return null;
  const file = entryPath(deck, outfile);
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(file, 'utf8')) as Entry;
  } catch {
    return null;
  }
  if (entry.format !== 4 || !Array.isArray(entry.inputs) || !Array.isArray(entry.externals)) return null;
  for (const [path, sum, size, mtimeMs] of entry.inputs) if (!unchanged(path, sum, size, mtimeMs)) return null;
  for (const ext of entry.externals) if (!existsSync(ext)) return null;
  try {
    return { text: readFileSync(textPath(file)), mayUseTls: entry.mayUseTls !== false, codeCacheable: entry.codeCacheable === true, entry: file };
  } catch {
    return null;
  }
}

/**
 * The V8 code cache kept for the bundle `text` of the entry `entry` (see cachedBundleEntry), or
 * null when there is none made from exactly this text. Never throws.
 */
export function readCodeCache(entry: string, text: Buffer): Buffer | null {
  try {
    const data = readFileSync(codeCachePath(entry));
    if (data.length <= 32 || !data.subarray(0, 32).equals(createHash('sha256').update(text).digest())) return null;
    return data.subarray(32);
  } catch {
    return null;
  }
}

/** Keeps V8's code cache `data` of the bundle `text` beside the entry `entry`. Never throws (a cache not written is made again). */
export function storeCodeCache(entry: string, text: Buffer, data: Buffer): void {
  if (!enabled()) return;
  try {
    if (!trusted(dirname(entry))) return;
    const path = codeCachePath(entry);
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, Buffer.concat([createHash('sha256').update(text).digest(), data]));
    renameSync(temporary, path);
  } catch {
    /* not kept */
  }
}

function codeCachePath(entryFile: string): string {
  return entryFile.replace(/\.json$/, '.v8');
}

function textPath(entryFile: string): string {
  return entryFile.replace(/\.json$/, '.js');
}

/** Stores the bundle `text` of `deck` for `outfile`, made from `build`'s inputs; returns the entry's `.json` file, or null when not stored. Never throws. */
export function storeBundle(deck: string, outfile: string, text: string, build: BuildInputs): string | null {
  if (!enabled()) return null;
  try {
    const inputs: Entry['inputs'] = [];
    for (const input of build.inputs) {
      const path = isAbsolute(input) ? input : resolve(build.workingDir, input);
      const st = statSync(path, { throwIfNoEntry: false });
      const sum = sha256Of(path);
      if (sum === null || st === undefined) return null; // not a plain file (a virtual module): do not cache
      inputs.push([path, sum, st.size, st.mtimeMs]);
    }
    const entry: Entry = { format: 4, inputs, externals: build.externals.filter((e) => isAbsolute(e)),
      mayUseTls: build.mayUseTls !== false, codeCacheable: build.codeCacheable === true,
    };
    const dir = bundleCacheDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trusted(dir)) return null;
    prune(dir);
    const file = entryPath(deck, outfile);
    rmSync(codeCachePath(file), { force: true }); // made from the text replaced here (and checked against it anyway)
    // The text first: an entry is only read once its .json exists, and then its .js is complete.
    for (const [path, content] of [[textPath(file), text], [file, JSON.stringify(entry)]]) {
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, content);
      renameSync(temporary, path);
    }
    return file;
  } catch {
    return null; // an unwritable cache only means compiling next time too
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
    rmSync(join(dir, codeCachePath(n)), { force: true });
  }
}

