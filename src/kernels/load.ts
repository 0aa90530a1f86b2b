/**
 * `loadKernels`: from a shared library or C/Fortran sources to checked, callable kernels and
 * live module data. Sources are compiled (once per machine, see build.ts), bindings are read
 * from the sources (C prototypes, Fortran interfaces) and amended by the user's declarations.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelToken } from '../runtime/kernelTrace.js';
import { type BuildOptions, buildKernels, isCSource, isFortranSource } from './build.js';
import { type KernelFunction, koffiTypes, makeKernelFunction } from './check.js';
import {
  type Bindings, type Declaration, type Declarations, type KernelDeclaration, type Signature, type Skipped, type VariableSpec,
  applyContracts, looksLikeFortran, validateLengths,
} from './declarations.js';
import { KernelDeclarationError, KernelLoadError, KernelSymbolError } from './errors.js';
import { parseExpr } from './expr.js';
import { LibraryData, type ModuleData } from './moduleData.js';
import { CParseError, parseCPrototype, parseCSource } from './parseC.js';
import { FortranParseError, parseFortranDeclaration, parseFortranSources } from './parseFortran.js';

/** Options of {@link loadKernels}: build options plus how bindings are read and checked. */
export interface LoadOptions extends BuildOptions {
  /**
   * Files to read bindings from besides the sources: C headers, or Fortran sources of a
   * prebuilt library.
   */
  readonly headers?: readonly (string | URL)[];
  /** Read bindings from the sources and headers (default true). With false only `declarations` are bound. */
  readonly parse?: boolean;
  /**
   * Check arguments before every call (default true, or `$SIMDECK_KERNEL_CHECKS=off` to switch
   * off for a whole job). Off, a wrong argument may crash the process; every kernel still has
   * `.unchecked` either way.
   */
  readonly checks?: boolean;
  /** Lengths of C pointer globals (`double *buf`), as expressions of integer globals: `{ buf: 'nbuf' }`. */
  readonly globals?: Readonly<Record<string, string | number>>;
  /** Throw a KernelDeclarationError listing what was skipped instead of reporting it in `$.skipped` (default false). */
  readonly strict?: boolean;
}

/** Facts and helpers of a loaded library, under the `$` property of the kernels object. */
export interface KernelLibrary {
  /** Absolute path of the shared library. */
  readonly path: string;
  /** `built`, `cached`, `waited` (sources) or `prebuilt` (a library was given). */
  readonly how: 'built' | 'cached' | 'waited' | 'prebuilt';
  /** Names of the bound kernels. */
  readonly kernels: readonly string[];
  /** What was read from source but not bound (or bound with a length left unchecked), with reasons. */
  readonly skipped: readonly Skipped[];
  /** The contract of each bound kernel. */
  readonly signatures: Readonly<Record<string, Signature>>;
  /** Names of Fortran modules with variables. */
  readonly modules: readonly string[];
  /** A Fortran module's variables as live properties. Throws KernelDataError for an unknown module. */
  module(name: string): ModuleData;
  /** The library's C globals as live properties. Throws KernelDataError if there are none. */
  readonly globals: ModuleData;
  /** The koffi library handle, for what simdeck does not cover. */
  readonly handle: LibraryHandle;
}

/**
 * The object {@link loadKernels} returns: one {@link KernelFunction} per kernel, by name, plus
 * `$` ({@link KernelLibrary}). Give `T` to type the kernels: `loadKernels<{ heat_step(...): void }>(...)`.
 */
export type Kernels<T = Record<string, KernelFunction>> = T & { readonly $: KernelLibrary };

type Target = string | URL | readonly (string | URL)[];

function toPath(p: string | URL): string {
  return p instanceof URL ? fileURLToPath(p) : resolve(p);
}

function isLibrary(p: string): boolean {
  return /\.(so(\.\d+)*|dylib|dll)$/.test(p);
}

function checksDefault(options: LoadOptions): boolean {
  if (options.checks !== undefined) return options.checks;
  const env = process.env.SIMDECK_KERNEL_CHECKS;
  return !(env !== undefined && /^(0|off|false|no)$/i.test(env.trim()));
}

/** One library opened per path per process: kernels and data views share it. */
const opened = new Map<string, { lib: LibraryHandle; data: LibraryData }>();

function openLibrary(path: string): { lib: LibraryHandle; data: LibraryData } {
  const known = opened.get(path);
  if (known !== undefined) return known;
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (e) {
    const why = (e as Error).message;
    const hint = !existsSync(path) && path.includes('/') ? ' (no such file)' : / undefined symbol/.test(why) ? ' (link the missing library with ldflags)' : '';
    throw new KernelLoadError(`cannot load kernel library ${path}: ${why}${hint}`, path);
  }
  const entry = { lib, data: new LibraryData(lib, path) };
  opened.set(path, entry);
  return entry;
}

function readBindings(files: readonly string[]): Bindings {
  const out: Bindings = { kernels: [], variables: [], skipped: [] };
  const fortran = files.filter(isFortranSource);
  const c = files.filter((f) => !isFortranSource(f));
  for (const f of c) {
    const b = parseCSource(readFileSync(f, 'utf8'), f);
    for (const k of b.kernels) if (!out.kernels.some((x) => x.name === k.name)) out.kernels.push(k);
    out.variables.push(...b.variables.filter((v) => !out.variables.some((x) => x.name === v.name && x.module === null)));
    out.skipped.push(...b.skipped);
  }
  if (fortran.length > 0) {
    const b = parseFortranSources(fortran.map((f) => ({ text: readFileSync(f, 'utf8'), file: f })));
    for (const k of b.kernels) {
      if (out.kernels.some((x) => x.name === k.name)) {
        out.skipped.push({ name: k.name, what: 'kernel', reason: `a C function of the same name was read too; declare one under another name`, source: k.source });
      } else out.kernels.push(k);
    }
    out.variables.push(...b.variables);
    out.skipped.push(...b.skipped);
  }
  return out;
}

/** Turns one user declaration into a signature (a new one, or the parsed one amended). */
function declare(name: string, decl: Declaration, parsed: ReadonlyMap<string, Signature>): Signature {
  const d: KernelDeclaration = typeof decl === 'string' ? { proto: decl } : decl;
  if (typeof d !== 'object' || d === null) throw new KernelDeclarationError(`declaration of ${name} must be a prototype string or an object`, name);
  const text = d.c ?? d.fortran ?? d.proto;
  let sig: Signature;
  if (text === undefined) {
    const base = parsed.get(name);
    if (base === undefined) {
      throw new KernelDeclarationError(`${name}: nothing was read from source under this name, so its declaration needs a prototype ({ c: '...' } or { fortran: '...' })`, name);
    }
    sig = { ...base, params: base.params.map((p) => ({ ...p })) };
  } else {
    const fortran = d.fortran !== undefined || (d.c === undefined && looksLikeFortran(text));
    try {
      sig = fortran ? parseFortranDeclaration(text, d.module) : parseCPrototype(text, 'declaration');
    } catch (e) {
      if (e instanceof CParseError || e instanceof FortranParseError || e instanceof SyntaxError) {
        throw new KernelDeclarationError(`declaration of ${name}: ${e.message}`, name);
      }
      throw e;
    }
    if (!fortran && d.module !== undefined) throw new KernelDeclarationError(`${name}: 'module' applies to Fortran declarations`, name);
  }
  sig.name = name;
  if (d.symbol !== undefined) sig.symbol = d.symbol;
  if (d.args !== undefined) applyContracts(sig, d.args);
  else validateLengths(sig);
  return sig;
}

/**
 * Loads kernels: compiles `target` if it is C/Fortran source (cached; one process per machine
 * compiles, the others wait), opens the shared library, reads bindings from the sources (or
 * `options.headers`), applies `declarations` on top, and returns the kernels as checked functions
 * with module data under `$`.
 *
 * Blocking (compilation, dlopen). Throws KernelBuildError (compiler message), KernelLoadError
 * (library cannot be opened), KernelSymbolError (a declared kernel is not exported),
 * KernelDeclarationError (a declaration cannot be used; or with `strict`, something was skipped).
 * Parsed kernels that cannot be bound are listed in `$.skipped`, and calling one throws a
 * KernelDeclarationError with the reason.
 *
 * @example
 * const k = loadKernels('native-examples/heat2d/heat.c');
 * k.heat_step(nx, ny, u, unew, 0.1);
 */
export function loadKernels<T = Record<string, KernelFunction>>(target: Target, declarations?: Declarations | null, options: LoadOptions = {}): Kernels<T> {
  const list = (typeof target === 'string' || target instanceof URL ? [target] : [...target]);
  if (list.length === 0) throw new KernelLoadError('loadKernels needs a library or at least one source file', '');
  const paths = list.map((p) => (typeof p === 'string' && !p.includes('/') && isLibrary(p) && !existsSync(p) ? p : toPath(p)));
  const libs = paths.filter(isLibrary);
  const sources = paths.filter((p) => !isLibrary(p));
  if (libs.length > 1 || (libs.length === 1 && sources.length > 0)) {
    throw new KernelLoadError(`loadKernels takes one library or a list of sources, got ${paths.join(', ')}`, paths.join(', '));
  }
  for (const s of sources) {
    if (!isCSource(s) && !isFortranSource(s)) throw new KernelLoadError(`${s}: not a shared library (.so), C (.c) or Fortran (.f90, .f, ...) source`, s);
    if (!existsSync(s)) throw new KernelLoadError(`kernel source not found: ${s}`, s);
  }
  let path: string, how: KernelLibrary['how'];
  if (libs.length === 1) {
    path = libs[0] as string;
    how = 'prebuilt';
  } else {
    const r = buildKernels(sources, options);
    path = r.path;
    how = r.how;
  }
  const { lib, data } = openLibrary(path);
  if (how === 'prebuilt' && (options.headers ?? []).length === 0 && Object.keys(declarations ?? {}).length === 0) {
    throw new KernelDeclarationError(`${path}: a library has no source to read bindings from; give declarations or options.headers`, '');
  }

  const headerFiles = (options.headers ?? []).map(toPath);
  for (const h of headerFiles) if (!existsSync(h)) throw new KernelLoadError(`header not found: ${h}`, h);
  const bindings: Bindings = options.parse === false ? { kernels: [], variables: [], skipped: [] } : readBindings([...sources, ...headerFiles]);
  const skipped: Skipped[] = [...bindings.skipped];
  const parsed = new Map(bindings.kernels.map((k) => [k.name, k]));
  const final = new Map<string, { sig: Signature; declared: boolean }>();
  for (const k of bindings.kernels) final.set(k.name, { sig: k, declared: false });
  for (const [name, decl] of Object.entries(declarations ?? {})) {
    final.set(name, { sig: declare(name, decl, parsed), declared: true });
    // a declaration supersedes what was skipped under that name
    for (let i = skipped.length - 1; i >= 0; i--) if (skipped[i]?.name === name && skipped[i]?.what === 'kernel') skipped.splice(i, 1);
  }

  const checks = checksDefault(options);
  const kernels = Object.create(null) as Record<string, unknown>;
  const signatures: Record<string, Signature> = {};
  for (const [name, { sig, declared }] of final) {
    const types = koffiTypes(sig);
    let raw: (...args: unknown[]) => unknown;
    try {
      raw = lib.func(sig.symbol, types.result, types.params) as (...args: unknown[]) => unknown;
    } catch (e) {
      const message = `${name}: symbol '${sig.symbol}' is not exported by ${path}` +
        (sig.language === 'fortran' ? ' (gfortran names external procedures name_, module procedures __module_MOD_name, bind(C) ones by their label)' : '') +
        ` [${(e as Error).message}]`;
      if (declared) throw new KernelSymbolError(message, sig.symbol, path);
      skipped.push({ name, what: 'kernel', reason: message, source: sig.source });
      continue;
    }
    const fn = makeKernelFunction(sig, raw, kernelToken(name), data);
    kernels[name] = checks ? fn : fn.unchecked;
    signatures[name] = sig;
  }

  // module variables and C globals
  const globalsLength = options.globals ?? {};
  for (const v of bindings.variables) {
    let spec: VariableSpec = v;
    if (v.storage === 'cpointer' && globalsLength[v.name] !== undefined) {
      const len = globalsLength[v.name] as string | number;
      try {
        spec = { ...v, length: typeof len === 'number' ? { k: 'num', v: len } : parseExpr(len) };
      } catch (e) {
        throw new KernelDeclarationError(`globals.${v.name}: ${(e as Error).message}`, v.name);
      }
    }
    const why = data.add(spec);
    if (why !== null) skipped.push({ name: v.module === null ? v.name : `${v.module}.${v.name}`, what: 'variable', reason: why, source: v.source });
  }

  // calling something that was skipped says why
  for (const s of skipped) {
    if (s.what !== 'kernel' || s.name in kernels) continue;
    const reason = s.reason;
    kernels[s.name] = () => {
      throw new KernelDeclarationError(`${s.name} was not bound (${s.source}): ${reason}`, s.name);
    };
  }
  if (options.strict === true) {
    const bad = skipped;
    if (bad.length > 0) {
      throw new KernelDeclarationError(`could not bind everything in ${sources.join(', ') || path}:\n${bad.map((s) => `  ${s.name} (${s.source}): ${s.reason}`).join('\n')}`, bad[0]?.name ?? '');
    }
  }

  const info: KernelLibrary = {
    path,
    how,
    kernels: Object.keys(signatures),
    skipped,
    signatures,
    modules: data.modules().filter((m) => m !== ''),
    module: (name: string) => data.module(name.toLowerCase()),
    get globals() { return data.module(null); },
    handle: lib,
  };
  Object.defineProperty(kernels, '$', { value: info, enumerable: false });
  return kernels as Kernels<T>;
}
