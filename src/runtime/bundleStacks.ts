/**
 * Stack traces of a rank bundle evaluated from memory (see rankBoot.ts): V8 names its frames
 * `simdeck-bundle`, and Node applies source maps only to modules loaded from files. This
 * formats stacks the way Node does with source maps on, mapping every frame of the bundle
 * through the bundle's inline source map to the original file, line and column (the deck's own
 * `.ts` lines; simdeck's and npm packages' `.js` files), and leaves out the bootstrap's frames.
 */
import { SourceMap } from 'node:module';
import { BUNDLE_FILENAME } from './bundleText.js';

const MARKER = '//# sourceMappingURL=data:application/json;base64,';


/** The source map inlined at the end of a bundle's text, or null. */
function inlineMap(text: string): SourceMap | null {
  const at = text.lastIndexOf(MARKER);
  if (at < 0) return null;
  try {
    return new SourceMap(JSON.parse(Buffer.from(text.slice(at + MARKER.length).trim(), 'base64').toString('utf8')));
  } catch {
    return null;
  }
}

function describeError(error: unknown): string {
  try {
    if (error instanceof Error || (typeof error === 'object' && error !== null)) return Error.prototype.toString.call(error);
    return String(error);
  } catch {
    return '<error>';
  }
}

/**
 * Installs Error.prepareStackTrace for frames of the bundle `text` (file name `simdeck-bundle`). Never throws; without a source map, frames name `simdeck-bundle` and its line.
 */
export function installBundleStacks(text: string): void {
  // Parsed on the first stack that needs it (parsing a bundle's map costs a rank ~10-40 ms at start).
  let parsed: SourceMap | null | undefined;
  const mapOf = () => (parsed === undefined ? (parsed = inlineMap(text)) : parsed);
  const frame = (f: NodeJS.CallSite): string | null => {
    const s = f.toString();
    const file = f.getFileName() ?? f.getScriptNameOrSourceURL?.() ?? '';
    if (/\[eval\d*\](-wrapper)?$/.test(file) || file === 'simdeck-boot') return null; // the bootstrap (node -e and its wrapper; under MPI from the environment)
    if (file !== BUNDLE_FILENAME) return s;
    const line = f.getLineNumber() ?? 0;
    const column = f.getColumnNumber() ?? 0;
    const here = `${file}:${line}:${column}`;
    const entry = mapOf()?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    const where = entry?.originalSource
      ? `${entry.originalSource.startsWith('file://') ? new URL(entry.originalSource).pathname : entry.originalSource}:${entry.originalLine! + 1}:${entry.originalColumn! + 1}`
      : `simdeck-bundle:${line}:${column}`;
    if (!entry?.originalSource) return s.includes(here) ? s.replace(here, where) : s;
    // As Node prints a source-mapped frame: `[async ][Type.]name (file:line:column)`, `<anonymous>` for no name.
    const name = f.getFunctionName();
    const type = f.getTypeName();
    const typed = name && !f.isToplevel() && type && type !== 'global' && type !== 'Object' ? `${type}.` : '';
    return `${f.isAsync() ? 'async ' : ''}${f.isConstructor() ? 'new ' : ''}${typed}${name || '<anonymous>'} (${where})`;
  };
  Error.prepareStackTrace = (error: unknown, frames: NodeJS.CallSite[]) => {
    const lines = [describeError(error)];
    // Under the deck's top level sit Node's microtask loop (after an await) or the bootstrap's
    // `node -e` evaluation; a module's top level has nothing under it: leave out internal frames below the bundle's.
    let lastBundle = -1;
    for (const f of frames) {
      const s = frame(f);
      if (s === null) continue;
      if (f.getFileName() === BUNDLE_FILENAME) lastBundle = lines.length;
      lines.push(`    at ${s}`);
    }
    if (lastBundle >= 0 && lines.slice(lastBundle + 1).every((l) => /(?:\(|at )node:internal\/[^)]*\)?$/.test(l))) lines.length = lastBundle + 1;
    return lines.join('\n');
  };
}
