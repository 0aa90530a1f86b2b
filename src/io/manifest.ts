/**
 * The archive's manifest: one JSON line per finished file (`{"file", "step", "bytes", "sha256",
 * "kind"}`), appended (one write, O_APPEND, fsync) only after the file is complete in the
 * archive, so every line names a whole file. A line cut short by a crash is ignored on reading.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { fileSystemError } from './errors.js';

/** One manifest line. */
export interface ManifestEntry {
  /** The file's name (no directory). */
  file: string;
  step: number;
  bytes: number;
  sha256: string;
  /** 'dump', 'checkpoint' or 'series'. */
  kind: string;
}

/** The entries of the manifest at `path` (none when it does not exist). Blocking. */
export function readManifest(path: string): ManifestEntry[] {
  if (!existsSync(path)) return [];
  const out: ManifestEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as ManifestEntry;
      if (typeof e.file === 'string' && typeof e.sha256 === 'string') out.push(e);
    } catch { /* a line cut short by a crash */ }
  }
  return out;
}

/** Appends `entry` to the manifest at `path` and syncs it. Blocking; throws a typed IoError. */
export function appendManifest(path: string, entry: ManifestEntry): void {
  let fd = -1;
  try {
    let lead = '';
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      if (text.length > 0 && !text.endsWith('\n')) lead = '\n'; // after a line cut short
    }
    fd = openSync(path, 'a');
    writeSync(fd, lead + JSON.stringify(entry) + '\n');
    fsyncSync(fd);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw fileSystemError(err.code, 'appending to the manifest', path, err.message);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
