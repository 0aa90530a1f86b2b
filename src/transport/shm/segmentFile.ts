/**
 * A job's segment as a file of /dev/shm (where shm_open puts it), with Node's own file calls:
 * the launcher names and creates it, writes its header and removes it without loading koffi,
 * which it needs only to map the segment (segment.ts), later and only when it must.
 */
import { closeSync, constants, ftruncateSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H, HEADER_BYTES, MAGIC, segmentBytes, type SegmentOptions } from './layout.js';
import { processAlive } from '../../system/processAlive.js';

/** The name of a new job's segment: carries the launcher's pid so stale ones can be found (see {@link sweepStale}). */
export function newSegmentName(): string {
  return `/simdeck-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The file behind shared-memory object `name` (`/simdeck-...`). */
function fileOf(name: string): string {
  return `/dev/shm${name}`;
}

/**
 * Launcher: creates the segment `name` of a new job (as shm_open(O_CREAT | O_EXCL) and
 * ftruncate would) with its header written, for ranks to attach. Throws on system failure
 * (EEXIST included).
 */
export function createSegmentFile(name: string, opts: SegmentOptions): void {
  const fd = openSync(fileOf(name), constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    ftruncateSync(fd, segmentBytes(opts));
    const head = new Int32Array(HEADER_BYTES / 4);
    head[H.SIZE] = opts.size;
    head[H.RING_BYTES] = opts.ringBytes;
    head[H.SPIN] = opts.spin ? 1 : 0;
    head[H.CMA] = opts.cma ? 1 : 0;
    head[H.MAGIC] = MAGIC;
    writeSync(fd, head, 0, head.byteLength, 0);
  } finally {
    closeSync(fd);
  }
}

/** Removes the name of segment `name` (the memory lives on while mapped). Never throws. */
export function removeSegmentFile(name: string): void {
  rmSync(fileOf(name), { force: true });
}


/**
 * Removes segments in /dev/shm and job directories in the temp directory left by launchers
 * that no longer run (a SIGKILLed launcher). Returns the names removed. Never throws.
 */
export function sweepStale(): string[] {
  const removed: string[] = [];
  const places: Array<[string, (entry: string) => void]> = [
    ['/dev/shm', (entry) => rmSync(join('/dev/shm', entry), { force: true })],
    [tmpdir(), (entry) => rmSync(join(tmpdir(), entry), { recursive: true, force: true })],
  ];
  for (const [dir, remove] of places) {
    let entries: string[] = [];
    try { entries = readdirSync(dir); } catch { continue; }
    for (const entry of entries) {
      const m = /^simdeck-(\d+)-/.exec(entry);
      if (m === null || processAlive(Number(m[1]))) continue;
      try { remove(entry); removed.push(join(dir, entry)); } catch { /* someone else swept it */ }
    }
  }
  return removed;
}
