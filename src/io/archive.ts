/**
 * Archiving finished files: once a dump is complete, it is copied or moved into an archive
 * directory (complete or not at all: partial name, fsync, rename), or handed to the user's
 * command (compress, transfer...) with a timeout; then a manifest line records it. The
 * settings are saved in the output directory (`.simdeck-archive.json`), so that after a crash
 * `simdeck archive --resume DIR`, or the next run, completes what the manifest lacks.
 * Time-series files grow during a run: they are archived (always copied) when their run
 * closes; a later line of the manifest for the same file supersedes an earlier one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ArgumentError, describe } from '../errors.js';
import { commitFile, copyAtomically, ensureWritableDir, isPartial, partialPath, removeQuietly, sha256File, syncDir } from './atomicFile.js';
import { ArchiveError, FileFormatError, MissingFileError, fileSystemError } from './errors.js';
import { pauseFor } from './faults.js';
import { appendManifest, readManifest, type ManifestEntry } from './manifest.js';

/** Where finished files go. Give `dir` (copy or move there) or `command` (run on each file). */
export interface ArchiveOptions {
  /** The archive directory (created if needed). */
  dir?: string;
  /** With `dir`: 'copy' (default; the file stays in the output directory) or 'move'. */
  mode?: 'copy' | 'move';
  /**
   * A command run on each finished file instead: an array of arguments where '{file}' stands
   * for the file's path (run without a shell), or a shell command line that gets it as "$1".
   */
  command?: string | readonly string[];
  /** Seconds the command may take before it is killed and the archive fails (default 600). */
  timeout?: number;
}

/** The checked settings, as saved in the output directory. */
export interface ArchiveSettings {
  dir: string | null;
  mode: 'copy' | 'move';
  command: string | string[] | null;
  timeout: number;
}

/** The file in the output directory that keeps the archive settings for resuming. */
export const SETTINGS_FILE = '.simdeck-archive.json';

/** Checks archive options (before any side effect). Throws ArgumentError saying what to change. */
export function checkArchiveOptions(a: unknown, what: string): ArchiveSettings | null {
  if (a === undefined || a === null || a === false) return null;
  if (typeof a === 'string') a = { dir: a };
  if (typeof a !== 'object') throw new ArgumentError(`${what}: archive must be a directory or { dir, mode } or { command, timeout }, got ${describe(a)}`);
  const o = a as ArchiveOptions;
  for (const k of Object.keys(o)) if (!['dir', 'mode', 'command', 'timeout'].includes(k)) throw new ArgumentError(`${what}: unknown archive option '${k}'; the options are dir, mode, command, timeout`);
  if ((o.dir === undefined) === (o.command === undefined)) throw new ArgumentError(`${what}: archive needs exactly one of dir (copy or move files there) and command (run on each file)`);
  if (o.dir !== undefined && (typeof o.dir !== 'string' || o.dir === '')) throw new ArgumentError(`${what}: archive.dir must be a directory path, got ${describe(o.dir)}`);
  const mode = o.mode ?? 'copy';
  if (mode !== 'copy' && mode !== 'move') throw new ArgumentError(`${what}: archive.mode must be 'copy' or 'move', got ${describe(o.mode)}`);
  const c = o.command;
  if (c !== undefined && !(typeof c === 'string' && c.trim() !== '') && !(Array.isArray(c) && c.length > 0 && c.every((x) => typeof x === 'string'))) {
    throw new ArgumentError(`${what}: archive.command must be a shell command line (the file is "$1") or an array of arguments with '{file}', got ${describe(c)}`);
  }
  const timeout = o.timeout ?? 600;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new ArgumentError(`${what}: archive.timeout must be a positive number of seconds, got ${describe(o.timeout)}`);
  return { dir: o.dir === undefined ? null : resolve(o.dir), mode, command: c === undefined ? null : typeof c === 'string' ? c : [...c], timeout };
}

/** Archives the finished files of one output directory and keeps its manifest. One per writing rank. */
export class Archiver {
  /** Files archived and bytes, for the report. */
  files = 0;
  bytes = 0;
  ms = 0;
  readonly manifestPath: string;

  constructor(readonly outputDir: string, readonly settings: ArchiveSettings) {
    this.manifestPath = join(settings.dir ?? outputDir, 'manifest.jsonl');
  }

  /** Checks the archive directory and saves the settings beside the dumps. Blocking; throws a typed IoError. */
  prepare(): void {
    if (this.settings.dir !== null) ensureWritableDir(this.settings.dir, 'archive');
    const path = join(this.outputDir, SETTINGS_FILE);
    const text = JSON.stringify(this.settings) + '\n';
    if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
    const partial = partialPath(path);
    try {
      writeFileSync(partial, text);
      commitFile(partial, path);
    } catch (e) {
      removeQuietly(partial);
      const err = e as NodeJS.ErrnoException;
      throw err.code ? fileSystemError(err.code, 'saving the archive settings in', path, err.message) : e;
    }
  }

  /** Archives the finished file `path` (step `step`, kind `kind`) and records it. Blocking; throws a typed IoError (ArchiveError for a failed command). */
  archive(path: string, step: number, kind: string): ManifestEntry {
    const t0 = performance.now();
    if (!existsSync(path)) throw new MissingFileError(`archiving ${path}: the file is gone; was it moved by hand?`, path);
    const file = basename(path);
    const entry: ManifestEntry = { file, step, bytes: statSync(path).size, sha256: sha256File(path), kind };
    const s = this.settings;
    if (s.dir !== null) {
      const target = join(s.dir, file);
      const pause = pauseFor('archive', partialPath(target));
      if (s.mode === 'move' && kind !== 'series' && pause === undefined && this.tryRename(path, target)) {
        syncDir(s.dir);
      } else {
        copyAtomically(path, target, pause);
        if (s.mode === 'move' && kind !== 'series') { unlinkSync(path); syncDir(this.outputDir); }
      }
    } else {
      this.runCommand(path);
    }
    appendManifest(this.manifestPath, entry);
    this.files++;
    this.bytes += entry.bytes;
    this.ms += performance.now() - t0;
    return entry;
  }

  private tryRename(from: string, to: string): boolean {
    try {
      renameSync(from, to);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EXDEV') return false; // another file system: copy
      const err = e as NodeJS.ErrnoException;
      throw fileSystemError(err.code, 'moving into the archive:', to, err.message);
    }
  }

  private runCommand(path: string): void {
    const c = this.settings.command!;
    const argv = typeof c === 'string' ? ['/bin/sh', '-c', c, 'sh', path] : c.map((x) => x.split('{file}').join(path));
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: this.settings.timeout * 1000, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'] });
    const shown = typeof c === 'string' ? c : c.join(' ');
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
      throw new ArchiveError(`archive command \`${shown}\` on ${path} took more than ${this.settings.timeout} s and was killed; raise archive.timeout or make the command faster`, path);
    }
    if (r.error) throw new ArchiveError(`archive command \`${shown}\` could not start: ${r.error.message}; check the command`, path);
    if (r.status !== 0) {
      const err = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
      throw new ArchiveError(`archive command \`${shown}\` on ${path} failed with ${r.status === null ? `signal ${r.signal}` : `status ${r.status}`}${err ? `: ${err}` : ''}`, path);
    }
  }

  /**
   * Completes the archive after a crash: records files the archive holds but the manifest
   * lacks, and archives finished files of the output directory the manifest lacks. `stepOf`
   * reads a file's step and kind. Blocking; returns the entries added.
   */
  resume(stepOf: (path: string) => { step: number; kind: string }): ManifestEntry[] {
    const added: ManifestEntry[] = [];
    const known = new Map(readManifest(this.manifestPath).map((e) => [e.file, e]));
    const s = this.settings;
    if (s.dir !== null) {
      for (const f of listFinished(s.dir)) {
        if (known.has(f)) continue;
        const p = join(s.dir, f);
        const { step, kind } = stepOf(p);
        const e: ManifestEntry = { file: f, step, bytes: statSync(p).size, sha256: sha256File(p), kind };
        appendManifest(this.manifestPath, e);
        known.set(f, e);
        added.push(e);
      }
    }
    for (const f of listFinished(this.outputDir)) {
      const p = join(this.outputDir, f);
      const k = known.get(f);
      if (k !== undefined) {
        // already archived; a move that stopped before removing the source finishes here
        if (s.dir !== null && s.mode === 'move' && k.kind !== 'series' && k.sha256 === sha256File(p)) { unlinkSync(p); syncDir(this.outputDir); }
        continue;
      }
      const { step, kind } = stepOf(p);
      added.push(this.archive(p, step, kind));
    }
    return added;
  }
}

/** Finished simdeck files (`*.h5`, not partial) in `dir`, sorted. */
export function listFinished(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.h5') && !isPartial(f)).sort();
}

/** The archive settings saved in output directory `dir`. Throws MissingFileError / FileFormatError. */
export function loadArchiveSettings(dir: string): ArchiveSettings {
  const path = join(dir, SETTINGS_FILE);
  if (!existsSync(path)) throw new MissingFileError(`${dir} has no ${SETTINGS_FILE}: it is not the output directory of a run that archived (give the directory passed as startOutput's dir)`, path);
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as ArchiveSettings;
    if (typeof s !== 'object' || s === null || !('mode' in s)) throw new Error('not an object');
    return s;
  } catch (e) {
    throw new FileFormatError(`${path} is damaged (${(e as Error).message}); remove it and archive by hand`, path);
  }
}
