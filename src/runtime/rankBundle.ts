/**
 * Read once, hand to every rank: the reader (the launcher on shared memory, world rank 0 under
 * MPI) compiles one self-contained ES module per deck — the rank's start-up code, the deck and
 * its local imports, simdeck itself and its pure-JS npm dependencies — and the ranks evaluate it
 * from memory (see rankBoot.ts), so a rank other than the reader does not search, stat or read
 * the project's or the user's files to start.
 *
 * What stays out of the bundle and is loaded from disk only when a deck uses it: native addons
 * other than koffi's and msgpackr-extract's (resvg; a deck's npm package that loads one of its
 * own, found by its package.json: gypfile, bindings, node-gyp-build...), big or event-loop packages loaded lazily by
 * simdeck (h5wasm, ws), and the files worker threads run (steering server, HDF5 writer, renderer,
 * farm helpers: each worker loads its own file when it starts). koffi's and msgpackr-extract's
 * native `.node` files are opened by absolute path (one `openat` each), found here by the reader.
 *
 * `import.meta.url`, `dirname` and `filename` keep naming each module's original file, so decks
 * and simdeck find files next to them. Stacks name the original files and lines: the bundle has
 * an inline source map with absolute paths, which bundleStacks.ts applies.
 *
 * Bundles are cached like deck bundles (bundleCache.ts), keyed by deck, kind and simdeck copy.
 */
import type { Metafile, Plugin } from 'esbuild';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DeckError } from '../errors.js';
import { cachedBundleEntry, storeBundle, type CachedBundle } from './bundleCache.js';
import { compileError, originalMeta, selfExport } from './deckBundle.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src of the running simdeck (this file is dist/src/runtime/rankBundle.js). */
const distSrc = resolve(here, '..');
const packageRoot = resolve(distSrc, '..', '..');
/** simdeck's import() of modules named at run time, replaced in bundles (see the plugin). */
const dynamicImportJs = join(distSrc, 'system', 'dynamicImport.js');

/** Which start-up code the bundle begins with. */
export type RankKind = 'shm' | 'mpi';

/** Packages left out of the bundle (loaded from disk, by absolute URL, when first used). */
const LAZY_PACKAGES = /^(h5wasm|ws|@resvg\/|esbuild|typescript|playwright-core)(\/|$)/;

/** The `.node` file a package's loader picked, found by loading it here (in the reader) and looking in require's cache. */
function nativeAddon(pkg: string, from: string, match: RegExp): string | null {
  try {
    const req = createRequire(from);
    req(pkg);
    return Object.keys(req.cache).find((k) => k.endsWith('.node') && match.test(k)) ?? null;
  } catch {
    return null;
  }
}

/** The absolute path of koffi's native module as this process loaded it (for the MPI bootstrap); null when not found. */
export function koffiAddon(): string | null {
  return nativeAddon('koffi', join(packageRoot, 'package.json'), /koffi/);
}

/** Packages whose native module simdeck loads itself by absolute path (see the plugin). */
const HANDLED_NATIVE = new Set(['koffi', 'msgpackr', 'msgpackr-extract']);
/** Dependencies that mean "this package finds and loads a native addon at run time". */
const NATIVE_LOADERS = ['bindings', 'node-gyp-build', 'node-gyp-build-optional-packages', 'prebuild-install', '@mapbox/node-pre-gyp', 'node-addon-api', 'nan'];
const nativeCache = new Map<string, boolean>();

/**
 * Whether the npm package holding `file` loads a native addon of its own (it then stays on disk,
 * loaded by Node when the deck imports it, since its loader searches the package's directory).
 */
function loadsNativeAddon(file: string): boolean {
  const m = /^(.*\/node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(file);
  if (m === null || HANDLED_NATIVE.has(m[2])) return false;
  let answer = nativeCache.get(m[1]);
  if (answer === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(join(m[1], 'package.json'), 'utf8')) as Record<string, unknown>;
      const deps = { ...(pkg.dependencies as object ?? {}), ...(pkg.optionalDependencies as object ?? {}) };
      answer = pkg.gypfile === true || existsSync(join(m[1], 'binding.gyp')) || NATIVE_LOADERS.some((d) => d in deps);
    } catch {
      answer = false;
    }
    nativeCache.set(m[1], answer);
  }
  return answer;
}

const NATIVE_NS = 'simdeck-native';
const BUILTIN_NS = 'simdeck-builtin';
const ON_DISK_NS = 'simdeck-on-disk';

/** The virtual modules of the bundle: its entry, and the native-addon loader. */
function entrySource(kind: RankKind, deck: string): string {
  const start = join(distSrc, 'runtime', kind === 'shm' ? 'rankStart.js' : 'mpiRankStart.js');
  return `import { rankDone } from ${JSON.stringify(start)};\nimport ${JSON.stringify(deck)};\nawait rankDone();\n`;
}

const NATIVE_LOADER = `
const cache = globalThis[Symbol.for('simdeck.native')] ??= new Map();
export function loadNative(path) {
  let exports = cache.get(path);
  if (exports === undefined) { const m = { exports: {} }; process.dlopen(m, path); exports = m.exports; cache.set(path, exports); }
  return exports;
}`;

function plugin(kind: RankKind, deck: string): Plugin {
  const koffiNode = koffiAddon();
  const msgpackrDir = (() => { try { return dirname(createRequire(join(packageRoot, 'package.json')).resolve('msgpackr/package.json')); } catch { return null; } })();
  const extractNode = msgpackrDir === null ? null : nativeAddon('msgpackr-extract', join(msgpackrDir, 'package.json'), /msgpackr-extract/);
  return {
    name: 'simdeck-rank-bundle',
    setup(b) {
      b.onResolve({ filter: /^simdeck-rank-entry$/ }, () => ({ path: 'entry', namespace: 'simdeck-entry' }));
      b.onLoad({ filter: /.*/, namespace: 'simdeck-entry' }, () => ({ contents: entrySource(kind, deck), loader: 'js', resolveDir: dirname(deck) }));
      b.onResolve({ filter: /^simdeck-native-loader$/ }, () => ({ path: 'loader', namespace: NATIVE_NS }));
      b.onLoad({ filter: /^loader$/, namespace: NATIVE_NS }, () => ({ contents: NATIVE_LOADER, loader: 'js' }));
      // msgpackr's optional accelerator: its native file by absolute path, or nothing.
      b.onResolve({ filter: /^msgpackr-extract$/ }, () => ({ path: 'extract', namespace: NATIVE_NS }));
      b.onLoad({ filter: /^extract$/, namespace: NATIVE_NS }, () => ({
        contents: extractNode === null
          ? 'module.exports = null;'
          : `module.exports = require('simdeck-native-loader').loadNative(${JSON.stringify(extractNode)});`,
        loader: 'js',
      }));
      // Node's builtins: taken from the running Node (the bundle is a script, not a module: no import statements).
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.pluginData === 'simdeck-inner' || !isBuiltin(args.path)) return undefined;
        const name = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
        return { path: name, namespace: BUILTIN_NS };
      });
      b.onLoad({ filter: /.*/, namespace: BUILTIN_NS }, (args) => ({
        contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`, loader: 'js',
      }));
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'simdeck-inner') return undefined;
        const self = selfExport(args.path);
        if (self !== null) return { path: self };
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'simdeck-inner' });
        if (r.errors.length > 0) return { errors: r.errors };
        if (!r.path || r.external) return { path: args.path, external: true };
        const native = r.path.endsWith('.node') || loadsNativeAddon(r.path);
        // Imported when first used (import()): left to Node, by absolute URL, read from disk only then.
        if (args.kind === 'dynamic-import' && (LAZY_PACKAGES.test(args.path) || native)) return { path: pathToFileURL(r.path).href, external: true };
        // A package with a native addon of its own, imported or required: Node's require loads it from its directory.
        if (native) return { path: r.path, namespace: ON_DISK_NS };
        return { path: r.path };
      });
      b.onLoad({ filter: /.*/, namespace: ON_DISK_NS }, (args) => ({
        contents: `module.exports = process.getBuiltinModule('node:module').createRequire(${JSON.stringify(args.path)})(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
      b.onLoad({ filter: /\.(m|c)?(t|j)sx?$/ }, async (args) => {
        // simdeck's import() of a module named at run time: the bootstrap's import function (see asScript).
        if (args.path === dynamicImportJs) {
          return { contents: `export function dynamicImport(url) { return ${IMPORT_PARAM}(url); }\n`, loader: 'js' };
        }
        let text = await readFile(args.path, 'utf8');
        // koffi looks for its native module in several places: one absolute path instead.
        if (koffiNode !== null && /[/\\]koffi[/\\]src[/\\]koffi[/\\]src[/\\]static\.c?js$/.test(args.path)) {
          const cjs = args.path.endsWith('.cjs');
          const body = `loadNative(${JSON.stringify(koffiNode)})`;
          return {
            contents: cjs
              ? `const { loadNative } = require('simdeck-native-loader'); module.exports = { loadStatic: () => ${body} };`
              : `import { loadNative } from 'simdeck-native-loader'; export function loadStatic() { return ${body}; }`,
            loader: 'js',
            resolveDir: dirname(args.path),
          };
        }
        // simdeck's own frames name its dist/*.js files, as when it runs from them (no chaining to src/*.ts).
        if (args.path.startsWith(distSrc + '/') || args.path.startsWith(resolve(distSrc, '..', 'decomposition') + '/')) {
          text = text.replace(/^\/\/# sourceMappingURL=\S+\s*$/m, '');
        }
        // simdeck loads msgpackr on the first object message through require: bundle it (lazily evaluated) instead.
        text = text.replace(/\bcreateRequire\(import\.meta\.url\)\('msgpackr'\)/g, "require('msgpackr')");
        text = originalMeta(text, args.path);
        // CommonJS modules of npm packages that look for files beside them: their own __dirname/__filename.
        if (args.path.includes('/node_modules/') && /\b__(dirname|filename)\b/.test(text)) {
          text = `var __dirname = ${JSON.stringify(dirname(args.path))}, __filename = ${JSON.stringify(args.path)};` + text;
        }
        const ext = extname(args.path).slice(1);
        const isLocal = !args.path.includes('/node_modules/') && !args.path.startsWith(packageRoot + '/dist/');
        if (isLocal && ext !== 'cjs' && ext !== 'cts' && /^\s*(?:import|export)[\s{*]/m.test(text)) text += '\nexport {};\n';
        const loader = ext === 'ts' || ext === 'mts' || ext === 'cts' ? 'ts' : ext === 'tsx' ? 'tsx' : ext === 'jsx' ? 'jsx' : 'js';
        return { contents: text, loader };
      });
    },
  };
}

/** Rewrites the inline source map's sources to absolute paths (the bundle has no file to be relative to). */
function absoluteSourceMap(text: string, outfile: string): string {
  const marker = '//# sourceMappingURL=data:application/json;base64,';
  const at = text.lastIndexOf(marker);
  if (at < 0) return text;
  const map = JSON.parse(Buffer.from(text.slice(at + marker.length).trim(), 'base64').toString('utf8')) as { sources: string[] };
  map.sources = map.sources.map((s) => (s.includes(':') && !s.startsWith('/') ? s : resolve(dirname(outfile), s)));
  return text.slice(0, at) + marker + Buffer.from(JSON.stringify(map)).toString('base64') + '\n';
}

/**
 * The name of the bundle function's one parameter: the bootstrap's `(url) => import(url)`, which
 * the bundle's import() calls of externals (by absolute URL) are rewritten to (see asScript).
 */
export const IMPORT_PARAM = '__simdeckImport';

/**
 * The bundle as the body of an async function (its top-level awaits stay valid), so that ranks
 * compile it with vm.Script: evaluating a module from a `data:` URL costs Node ~100 ms of URL
 * parsing per megabyte. Strict, as the modules were. The opening goes on the first line, so no line moves.
 * esbuild leaves no import or export statement: builtins and packages are bundled as CommonJS
 * parts, and externals are reached by import(). Those of the `externals` esbuild made (absolute
 * file URLs) call the bootstrap's import function instead, passed as {@link IMPORT_PARAM}: a
 * script compiled from V8's code cache on Node 20 has lost its import() loader ("A dynamic
 * import callback was not specified"), the bootstrap's own has not. A bundle that still has an
 * import() of its own (a deck's computed `import(name)`) is not run from a code cache (see
 * {@link codeCacheable}).
 */
function asScript(text: string, externals: string[]): string {
  for (const url of externals) text = text.split(`import(${JSON.stringify(url)})`).join(`${IMPORT_PARAM}(${JSON.stringify(url)})`);
  return `(async function (${IMPORT_PARAM}) {"use strict";${text}\n})`;
}

const MAP_MARKER = '//# sourceMappingURL=data:application/json;base64,';

/** The bundle's code without its inline source map. */
function codeOf(text: string): string {
  const at = text.lastIndexOf(MAP_MARKER);
  return at < 0 ? text : text.slice(0, at);
}

/** True when nothing in `code` calls import() (rankBoot then may compile it from V8's code cache). */
function codeCacheable(code: string): boolean {
  return !/\bimport\s*\(/.test(code);
}

/**
 * Whether a bundle may make a TLS connection, so that its ranks need the certificates of
 * NODE_EXTRA_CA_CERTS, which Node 20 reads at process start (~90 ms of a rank's start-up with
 * the ~140 certificates of a system bundle, TLS used or not): true when its code names the tls,
 * https or http2 modules or worker_threads (a worker's file is not in the bundle) as a string
 * (every builtin import is `process.getBuiltinModule("node:...")` in a bundle), or the fetch,
 * WebSocket or EventSource globals, or imports anything from disk (externals). Code made from
 * strings at run time (eval, `new Function`) is not seen; SIMDECK_RANK_CA=1 gives every rank
 * the certificates.
 */
function mayUseTls(code: string, externals: number): boolean {
  return externals > 0 || /["'](?:node:)?(?:tls|https|http2|worker_threads)["']|\b(?:fetch|WebSocket|EventSource)\b/.test(code);
}

function buildInputs(meta: Metafile): { inputs: string[]; externals: string[]; workingDir: string } {
  const externals = new Set<string>();
  for (const out of Object.values(meta.outputs)) {
    for (const i of out.imports) if (i.external && i.path.startsWith('file:')) externals.add(fileURLToPath(i.path));
  }
  // Virtual modules (the entry, the native loader) are made here from the key's parts.
  return { inputs: Object.keys(meta.inputs).filter((p) => !/^[\w-]+:/.test(p)), externals: [...externals], workingDir: process.cwd() };
}

/** A rank bundle, as the launcher hands it out. */
export interface RankBundle extends Omit<CachedBundle, 'entry'> {
  /** Its bundle cache entry (names its V8 code cache), or null when it is not cached. */
  entry: string | null;
}

function checkedDeck(kind: RankKind, deckPath: string): { abs: string; outfile: string } {
  if (kind !== 'shm' && kind !== 'mpi') throw new DeckError(`rank bundle kind must be shm or mpi, got ${JSON.stringify(kind)}`);
  const abs = resolve(deckPath);
  if (!existsSync(abs) || !statSync(abs).isFile()) {
    throw new DeckError(`deck file not found: ${deckPath} (looked for ${abs})`);
  }
  // Not a file anyone writes: it names the cache entry and anchors the source map's relative paths.
  return { abs, outfile: join(distSrc, 'runtime', `rank-${kind}.bundle.mjs`) };
}

/**
 * The cached rank bundle of the deck at `deckPath` for ranks of `kind`, or null when the cache
 * has none that is still valid (see bundleCache.ts). Blocks the caller (a few stats and two
 * reads). Throws DeckError for a missing deck.
 */
export function cachedRankBundle(kind: RankKind, deckPath: string): RankBundle | null {
  const { abs, outfile } = checkedDeck(kind, deckPath);
  return cachedBundleEntry(abs, outfile);
}

/**
 * Compiles the self-contained rank bundle of the deck at `deckPath` for ranks of `kind` (or
 * takes it from the cache). Blocks the reader only (the launcher, or world rank 0); cached
 * between runs. Throws DeckError for a missing deck or one that does not compile (with
 * file:line:column).
 */
export async function buildRankBundle(kind: RankKind, deckPath: string): Promise<RankBundle> {
  const { abs, outfile } = checkedDeck(kind, deckPath);
  const cached = cachedBundleEntry(abs, outfile);
  if (cached !== null) return cached;
  const { build } = await import('esbuild');
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build({
      entryPoints: ['simdeck-rank-entry'],
      bundle: true,
      write: false,
      outfile,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
      plugins: [plugin(kind, abs)],
      metafile: true,
    });
  } catch (e) {
    throw compileError(e);
  }
  const inputs = buildInputs(result.metafile!);
  // Everything the bundle leaves to Node: file URLs (lazy and native packages) and what esbuild could not resolve.
  const external = new Set<string>();
  for (const out of Object.values(result.metafile!.outputs)) for (const i of out.imports) if (i.external) external.add(i.path);
  const text = asScript(absoluteSourceMap(result.outputFiles![0].text, outfile), [...external].filter((p) => p.startsWith('file:')));
  const code = codeOf(text);
  const flags = { mayUseTls: mayUseTls(code, external.size), codeCacheable: codeCacheable(code) };
  const entry = storeBundle(abs, outfile, text, { ...inputs, ...flags });
  return { text: Buffer.from(text), ...flags, entry };
}

/**
 * Compiles the self-contained rank bundle of the deck at `deckPath` for ranks of `kind` and
 * returns its text (an ES module with an inline source map), as {@link buildRankBundle}.
 * Throws DeckError for a missing deck or one that does not compile (with file:line:column).
 */
export async function bundleRank(kind: RankKind, deckPath: string): Promise<string> {
  return (await buildRankBundle(kind, deckPath)).text.toString('utf8');
}
