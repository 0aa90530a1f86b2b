/**
 * Compiles C and Fortran sources into a shared library with the system compilers, caches the
 * result by content, and makes sure that N processes asking for the same library at the same
 * instant compile it once: the first takes a lock file (created with O_EXCL), compiles in a
 * private directory and renames the finished `.so` into place atomically; the others sleep until
 * it appears. A lock left by a dead process (same host, pid gone) is broken. A compiler error is
 * written next to the lock so the waiters report the same error instead of compiling again.
 *
 * The cache key is a SHA-256 of the sources (and the local headers / include files they name),
 * the flags, the compilers' `--version` output and the platform.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { KernelBuildError } from './errors.js';
import { processAlive } from '../system/processAlive.js';

/** How to compile kernel sources. Every field has a default. */
export interface BuildOptions {
  /** C compiler (default `$SIMDECK_CC`, then `cc`). */
  readonly cc?: string;
  /** Fortran compiler (default `$SIMDECK_FC`, then `gfortran`). */
  readonly fc?: string;
  /** C flags (default `$SIMDECK_CFLAGS` split on spaces, then `-O2`). `-fPIC` is always added. */
  readonly cflags?: readonly string[];
  /** Fortran flags (default `$SIMDECK_FFLAGS`, then `-O2`). `-fPIC` is always added. */
  readonly fflags?: readonly string[];
  /** Extra link flags, e.g. `['-lm']` (default none). `-shared` is always added. */
  readonly ldflags?: readonly string[];
  /** Cache directory (default `$SIMDECK_CACHE_DIR`, then `node_modules/.cache/simdeck/kernels` of the project). */
  readonly cacheDir?: string;
  /** How long to wait for another process's build before giving up, in ms (default 600000). */
  readonly lockTimeoutMs?: number;
}

/** The outcome of {@link buildKernels}. */
export interface BuildResult {
  /** Absolute path of the shared library. */
  readonly path: string;
  /** Hex SHA-256 of everything that determines the library. */
  readonly hash: string;
  /** `built`: this call compiled it; `cached`: it was there; `waited`: another process compiled it while this one waited. */
  readonly how: 'built' | 'cached' | 'waited';
}

const cExt = new Set(['.c']);
const fortranExt = new Set(['.f', '.for', '.ftn', '.f77', '.f90', '.f95', '.f03', '.f08', '.F', '.FOR', '.F90', '.F95', '.F03', '.F08']);
const SCHEMA = 'simdeck-kernels-1';

/** True if `file` is a Fortran source by its extension. */
export function isFortranSource(file: string): boolean {
  return fortranExt.has(extname(file));
}

/** True if `file` is a C source by its extension. */
export function isCSource(file: string): boolean {
  return cExt.has(extname(file));
}

function envFlags(name: string): string[] | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim().split(/\s+/);
}

/** The project directory: the nearest ancestor of the working directory with a package.json. */
function projectRoot(): string | null {
  let d = process.cwd();
  for (;;) {
    if (existsSync(join(d, 'package.json'))) return d;
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}

/** The cache directory `options` select (see {@link BuildOptions.cacheDir}). Never throws. */
export function cacheDirectory(options: BuildOptions = {}): string {
  if (options.cacheDir !== undefined) return resolve(options.cacheDir);
  const env = process.env.SIMDECK_CACHE_DIR;
  if (env !== undefined && env !== '') return resolve(env);
  const root = projectRoot();
  if (root !== null) return join(root, 'node_modules', '.cache', 'simdeck', 'kernels');
  let user = 'user';
  try { user = userInfo().username; } catch { /* no passwd entry */ }
  return join(tmpdir(), `simdeck-kernels-${user}`);
}

const versions = new Map<string, string>();

/** `compiler --version`, memoized. Throws KernelBuildError if the compiler cannot be run. */
function compilerVersion(compiler: string, language: 'C' | 'Fortran'): string {
  const known = versions.get(compiler);
  if (known !== undefined) return known;
  const r = spawnSync(compiler, ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    const hint = language === 'Fortran' ? ' (on Debian/Ubuntu: apt-get install gfortran)' : ' (on Debian/Ubuntu: apt-get install gcc)';
    throw new KernelBuildError(`cannot run the ${language} compiler '${compiler}': ${r.error?.message ?? r.stderr.trim()}${hint}`,
      r.stderr ?? '');
  }
  const v = r.stdout.trim();
  versions.set(compiler, v);
  return v;
}

/** Local files a source includes (`#include "x.h"`, Fortran `include 'x.inc'`), recursively. */
function localIncludes(file: string, seen: Set<string>): void {
  if (seen.has(file)) return;
  seen.add(file);
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return; }
  const re = /^\s*#\s*include\s*"([^"]+)"|^\s*include\s*['"]([^'"]+)['"]/gim;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const inc = resolve(dirname(file), m[1] ?? m[2] ?? '');
    if (existsSync(inc)) localIncludes(inc, seen);
  }
}

/** Fortran sources ordered so that a file defining a module comes before the files that use it. */
function moduleOrder(files: readonly string[]): string[] {
  const defines = new Map<string, string>();
  const uses = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8').toLowerCase();
    for (const m of text.matchAll(/^\s*module\s+(\w+)\s*$/gm)) if (m[1] !== 'procedure') defines.set(m[1] ?? '', f);
    uses.set(f, [...text.matchAll(/^\s*use\s*(?:,\s*\w+\s*::)?\s*(?:::)?\s*(\w+)/gm)].map((m) => m[1] ?? ''));
  }
  const out: string[] = [], state = new Map<string, number>();
  const visit = (f: string): void => {
    if (state.get(f) === 2 || state.get(f) === 1) return;
    state.set(f, 1);
    for (const u of uses.get(f) ?? []) {
      const d = defines.get(u);
      if (d !== undefined && d !== f) visit(d);
    }
    state.set(f, 2);
    out.push(f);
  };
  for (const f of files) visit(f);
  return out;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}


/** If the lock at `lock` belongs to a dead process on this host, removes it. True if removed. */
function breakStaleLock(lock: string): boolean {
  let content: string;
  try { content = readFileSync(lock, 'utf8'); } catch { return false; }
  const [pidText, host] = content.split('\n');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || processAlive(pid)) return false;
  // move it aside atomically; if what we moved is not what we judged stale, put it back
  const aside = `${lock}.stale-${process.pid}`;
  try { renameSync(lock, aside); } catch { return false; }
  let moved = '';
  try { moved = readFileSync(aside, 'utf8'); } catch { /* gone */ }
  if (moved !== content) {
    try { linkSync(aside, lock); } catch { /* a new lock exists: leave it */ }
  }
  try { unlinkSync(aside); } catch { /* gone */ }
  return moved === content;
}

/**
 * Compiles `sources` (C and/or Fortran) into one shared library, or returns the cached one.
 * Blocking: runs the compilers synchronously, or sleeps while another process compiles the same
 * library. Throws KernelBuildError with the compiler's message when compilation fails, when a
 * compiler is missing, or when the wait for another process exceeds `lockTimeoutMs`.
 */
export function buildKernels(sources: readonly string[], options: BuildOptions = {}): BuildResult {
  if (sources.length === 0) throw new KernelBuildError('no sources to build');
  const files = sources.map((s) => resolve(s));
  for (const f of files) {
    if (!existsSync(f)) throw new KernelBuildError(`source file not found: ${f}`);
    if (!isCSource(f) && !isFortranSource(f)) throw new KernelBuildError(`${f}: not a C (.c) or Fortran (.f90, .f, ...) source`);
  }
  const cFiles = files.filter(isCSource);
  const fFiles = moduleOrder(files.filter(isFortranSource));
  const cc = options.cc ?? process.env.SIMDECK_CC ?? 'cc';
  const fc = options.fc ?? process.env.SIMDECK_FC ?? 'gfortran';
  const cflags = [...(options.cflags ?? envFlags('SIMDECK_CFLAGS') ?? ['-O2'])];
  const fflags = [...(options.fflags ?? envFlags('SIMDECK_FFLAGS') ?? ['-O2'])];
  const ldflags = [...(options.ldflags ?? [])];

  const h = createHash('sha256');
  h.update(`${SCHEMA}\n${process.platform}-${process.arch}\n`);
  if (cFiles.length > 0) h.update(`cc ${cc}\n${compilerVersion(cc, 'C')}\ncflags ${cflags.join(' ')}\n`);
  if (fFiles.length > 0) h.update(`fc ${fc}\n${compilerVersion(fc, 'Fortran')}\nfflags ${fflags.join(' ')}\n`);
  h.update(`ldflags ${ldflags.join(' ')}\n`);
  for (const f of [...cFiles, ...fFiles]) {
    const deps = new Set<string>();
    localIncludes(f, deps);
    for (const d of deps) {
      h.update(`file ${d === f ? basename(f) : d}\n`);
      h.update(readFileSync(d));
    }
  }
  const hash = h.digest('hex');
  const dir = cacheDirectory(options);
  const stem = basename(files[0] ?? 'kernels').replace(/\.[^.]+$/, '').replace(/[^\w.-]/g, '_');
  const out = join(dir, `${stem}-${hash.slice(0, 20)}.so`);
  if (existsSync(out)) return { path: out, hash, how: 'cached' };
  try { mkdirSync(dir, { recursive: true }); } catch (e) {
    throw new KernelBuildError(`cannot create the kernel cache directory ${dir}: ${(e as Error).message} (set SIMDECK_CACHE_DIR)`);
  }
  const lock = `${out}.lock`, errFile = `${out}.err`;
  const timeout = options.lockTimeoutMs ?? 600_000;
  const start = Date.now();
  let waited = false, pause = 5;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new KernelBuildError(`cannot create lock ${lock}: ${(e as Error).message}`);
      // someone else is building: sleep until the library (or their error) appears
      waited = true;
      if (existsSync(out)) return { path: out, hash, how: 'waited' };
      const err = readError(errFile, start);
      if (err !== null) throw new KernelBuildError(err.message, err.output);
      if (breakStaleLock(lock)) continue;
      if (Date.now() - start > timeout) {
        throw new KernelBuildError(`waited ${Math.round(timeout / 1000)} s for another process to build ${out} (lock ${lock}); remove the lock if no build is running`);
      }
      sleep(pause);
      pause = Math.min(pause * 2, 100);
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n${hostname()}\n${new Date().toISOString()}\n`);
    } finally {
      closeSync(fd);
    }
    try {
      if (existsSync(out)) return { path: out, hash, how: waited ? 'waited' : 'cached' };
      if (waited) {
        const err = readError(errFile, start);
        if (err !== null) throw new KernelBuildError(err.message, err.output);
      }
      try { unlinkSync(errFile); } catch { /* none */ }
      compile({ cFiles, fFiles, cc, fc, cflags, fflags, ldflags, out, errFile });
      return { path: out, hash, how: 'built' };
    } finally {
      try { unlinkSync(lock); } catch { /* already gone */ }
    }
  }
}

function readError(errFile: string, since: number): { message: string; output: string } | null {
  try {
    if (statSync(errFile).mtimeMs < since - 1000) return null;
    const e = JSON.parse(readFileSync(errFile, 'utf8')) as { message: string; output: string };
    return e;
  } catch {
    return null;
  }
}

interface CompileJob {
  cFiles: string[]; fFiles: string[]; cc: string; fc: string;
  cflags: string[]; fflags: string[]; ldflags: string[]; out: string; errFile: string;
}

function compile(job: CompileJob): void {
  const work = `${job.out}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const run = (cmd: string, args: string[], what: string): void => {
    try {
      execFileSync(cmd, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      const output = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || err.message;
      const message = `${what} failed:\n${cmd} ${args.join(' ')}\n${output}`;
      try {
        const fd = openSync(`${job.errFile}.tmp-${process.pid}`, 'w');
        writeSync(fd, JSON.stringify({ message, output }));
        closeSync(fd);
        renameSync(`${job.errFile}.tmp-${process.pid}`, job.errFile);
      } catch { /* best effort */ }
      throw new KernelBuildError(message, output);
    }
  };
  try {
    const objects: string[] = [];
    job.cFiles.forEach((f, i) => {
      const o = join(work, `c${i}-${basename(f)}.o`);
      run(job.cc, [...job.cflags, '-fPIC', '-c', f, '-o', o], `compiling ${f}`);
      objects.push(o);
    });
    job.fFiles.forEach((f, i) => {
      const o = join(work, `f${i}-${basename(f)}.o`);
      run(job.fc, [...job.fflags, '-fPIC', '-J', work, '-c', f, '-o', o], `compiling ${f}`);
      objects.push(o);
    });
    const linker = job.fFiles.length > 0 ? job.fc : job.cc;
    const flags = job.fFiles.length > 0 ? job.fflags : job.cflags;
    const tmp = join(work, 'lib.so');
    run(linker, [...flags, '-shared', '-o', tmp, ...objects, ...job.ldflags], `linking ${job.out}`);
    renameSync(tmp, job.out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
