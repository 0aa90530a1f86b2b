/**
 * Deck loading: the launcher reads a deck and its local modules once, transpiles TypeScript with
 * esbuild into a single ES module, and every rank imports that one file (no rank re-reads or
 * re-transpiles the sources: the "import does not scale" problem of pyMPI-era codes).
 *
 * npm packages stay external and are resolved as Node would from the deck's own directory;
 * `simdeck` itself always resolves to the copy running the job, so the deck and the runtime
 * share one `world`. `import.meta.url` (and `dirname`/`filename`) keep pointing at each
 * module's original file, so decks find files next to them.
 *
 * A deck whose sources have not changed since it last ran is not compiled again (see
 * bundleCache); esbuild is loaded only when a deck must be compiled.
 */
import type { Message, Metafile, Plugin } from 'esbuild';
import { existsSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readFile } from 'node:fs/promises';
import { DeckError } from '../errors.js';
import { cachedBundle, storeBundle } from './bundleCache.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src of the running simdeck (this file is dist/src/runtime/deckBundle.js). */
const distSrc = resolve(here, '..');
const packageRoot = resolve(distSrc, '..', '..');

/** Where `simdeck` and its subpath exports live in this copy (null for another specifier). Never throws. */
export function selfExport(spec: string): string | null {
  const map: Record<string, string> = {
    simdeck: join(distSrc, 'index.js'),
    'simdeck/kernels': join(distSrc, 'kernels', 'index.js'),
    'simdeck/decomposition': join(distSrc, '..', 'decomposition', 'index.js'),
  };
  for (const m of ['steer', 'graphics', 'io', 'farm', 'couple']) map[`simdeck/${m}`] = join(distSrc, m, 'index.js');
  return map[spec] ?? null;
}

/** `text` of the module at `path` with import.meta.url/dirname/filename naming that file (as literals). Never throws. */
export function originalMeta(text: string, path: string): string {
  if (!text.includes('import.meta.')) return text;
  return text
    .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(path).href))
    .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(dirname(path)))
    .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(path));
}

const externals: Plugin = {
  name: 'simdeck-externals',
  setup(b) {
    // Bare specifiers: node builtins stay as they are; packages resolve from the deck's directory.
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'simdeck-inner') return undefined;
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const self = selfExport(args.path);
      if (self !== null) return { path: self, external: true };
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'simdeck-inner' });
      if (r.errors.length > 0) return { errors: r.errors };
      if (!r.path || r.external) return { path: args.path, external: true }; // builtins
      return { path: r.path, external: true };
    });
    // Paths into this copy of simdeck (a deck importing '.../dist/src/index.js') stay external too.
    b.onResolve({ filter: /^[./]/ }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      if (target.startsWith(packageRoot + '/dist/')) return { path: target, external: true };
      return undefined;
    });
    // Local modules: keep import.meta.url/dirname/filename pointing at the original file.
    b.onLoad({ filter: /\.(m|c)?(t|j)sx?$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      let text = originalMeta(await readFile(args.path, 'utf8'), args.path);
      const ext = extname(args.path).slice(1);
      // A deck in a project whose package.json says "type": "commonjs" (npm init's default) is
      // still an ES module when it imports: without a marker esbuild would wrap it as CommonJS,
      // and its stacks would show the wrapper's frames. Appended, so no line moves.
      if (ext !== 'cjs' && ext !== 'cts' && /^\s*(?:import|export)[\s{*]/m.test(text)) text += '\nexport {};\n';
      const loader = ext.startsWith('t') || ext.endsWith('ts') || ext === 'mts' || ext === 'cts' ? (ext.endsWith('x') ? 'tsx' : 'ts') : (ext.endsWith('x') ? 'jsx' : 'js');
      return { contents: text, loader };
    });
  },
};

/**
 * The first line of every bundle: when the rank that imports it has marked it as its private
 * copy (`simdeck deck.ts` under an MPI launcher writes one per rank), the bundle deletes its own
 * directory as soon as it starts running, so a job ended by MPI_Abort — where no exit handler
 * runs — leaves no deck copy in the temp directory. Shared bundles (`simdeck run`) are left to
 * the launcher. On one line, so the source map stays exact.
 */
const SELF_CLEANING_BANNER =
  'import { rmSync as __simdeckRmSync } from "node:fs"; ' +
  'if (globalThis[Symbol.for("simdeck.privateBundle")] === import.meta.url) ' +
  '__simdeckRmSync(new URL(".", import.meta.url), { recursive: true, force: true });';

/** The source files a build read and the modules its bundle imports, from esbuild's metafile. */
function buildInputs(meta: Metafile): { inputs: string[]; externals: string[]; workingDir: string } {
  const externals = new Set<string>();
  for (const out of Object.values(meta.outputs)) for (const i of out.imports) if (i.external) externals.add(i.path);
  return { inputs: Object.keys(meta.inputs), externals: [...externals], workingDir: process.cwd() };
}

/** The DeckError for a failed esbuild build `e` (its messages with file:line:column). Never throws. */
export function compileError(e: unknown): DeckError {
  const failure = e as { errors?: Message[] };
  if (failure.errors && failure.errors.length > 0) return new DeckError(`the deck could not be compiled:\n${formatMessages(failure.errors)}`);
  return new DeckError(`the deck could not be compiled: ${(e as Error).message}`);
}

/** esbuild's errors as `file:line:column: text` with the line and a caret. Never throws. */
export function formatMessages(messages: Message[]): string {
  return messages.map((m) => {
    const at = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : '';
    const line = m.location?.lineText ? `\n    ${m.location.lineText}\n    ${' '.repeat(m.location.column)}^` : '';
    return `${at}${m.text}${line}`;
  }).join('\n');
}

/**
 * Transpiles and bundles the deck at `deckPath` into one ES module (with an inline source map,
 * so stacks name the deck's own files and lines) and returns its text, to be written to `outfile`. Blocks the launcher only.
 * Throws DeckError for a missing file or a syntax error (with file:line:column).
 */
export async function bundleDeck(deckPath: string, outfile: string): Promise<string> {
  const abs = resolve(deckPath);
  if (!existsSync(abs) || !statSync(abs).isFile()) {
    throw new DeckError(`deck file not found: ${deckPath} (looked for ${abs})`);
  }
  const cached = cachedBundle(abs, outfile);
  if (cached !== null) return cached;
  const { build } = await import('esbuild');
  try {
    const result = await build({
      entryPoints: [abs],
      bundle: true,
      write: false,
      outfile, // source-map paths are relative to where the bundle will live
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      banner: { js: SELF_CLEANING_BANNER },
      logLevel: 'silent',
      plugins: [externals],
      metafile: true,
    });
    const text = result.outputFiles[0].text;
    storeBundle(abs, outfile, text, buildInputs(result.metafile));
    return text;
  } catch (e) {
    throw compileError(e);
  }
}
