/**
 * The rank that writes files (a helper, or rank 0 of the workers without helpers): dumps and
 * checkpoints as whole HDF5 files, series appended, each finished file archived. One writer owns
 * each file: with several helpers, dump k goes to helper k mod helpers and a series always to
 * the same helper, so no two processes ever write one file (h5wasm takes no locks).
 */
import { join } from 'node:path';
import { Archiver, type ArchiveSettings } from './archive.js';
import { dumpFileName, writeContent, type FileContent, type StorageOptions } from './dumpFile.js';
import { pauseFor } from './faults.js';
import { SeriesWriter, type SeriesRow } from './series.js';
import type { ManifestEntry } from './manifest.js';
import { dropPagesOf, partialPath } from './atomicFile.js';

/** What one writer did, for the end-of-run report. */
export interface WriterStats {
  files: number;
  bytes: number;
  /** Milliseconds spent writing files (HDF5, fsync, rename). */
  writeMs: number;
  archived: number;
  archiveMs: number;
}

/** Writes the files of one output directory. Blocking calls throughout. */
export class FileWriter {
  readonly stats: WriterStats = { files: 0, bytes: 0, writeMs: 0, archived: 0, archiveMs: 0 };
  private readonly series: SeriesWriter;
  private readonly archiver: Archiver | null;
  private readonly seriesFiles = new Set<string>();

  /**
   * `dropPages`: each dump's pages leave the page cache once the file is synced (and archived),
   * for a helper that streams dumps nobody reads back through it (commitFile says why).
   */
  constructor(readonly dir: string, readonly storage: StorageOptions, archive: ArchiveSettings | null, private readonly dropPages = false) {
    this.series = new SeriesWriter(dir);
    this.archiver = archive === null ? null : new Archiver(dir, archive);
  }

  /** Saves the archive settings and completes what an earlier run left unarchived. Throws a typed IoError. */
  prepare(stepOf: (path: string) => { step: number; kind: string }): ManifestEntry[] {
    if (this.archiver === null) return [];
    this.archiver.prepare();
    return this.archiver.resume(stepOf);
  }

  /**
   * Writes a dump or checkpoint file, then archives it. Returns its path and size. Throws a
   * typed IoError (no partial file left). `fieldsDone` runs as soon as the fields' arrays are
   * no longer needed (before the file is closed and synced; see writeContent).
   */
  write(content: FileContent, fieldsDone?: () => void): { path: string; bytes: number; ms: number } {
    const path = join(this.dir, dumpFileName(content.name, content.step));
    // an archived file is read back once, by the archive copy: its pages go after that
    const r = writeContent(path, content, content.kind === 'checkpoint' ? {} : this.storage, pauseFor('write', partialPath(path)), fieldsDone, this.dropPages && this.archiver === null);
    this.stats.files++;
    this.stats.bytes += r.bytes;
    this.stats.writeMs += r.ms;
    if (this.archiver !== null) {
      this.archive(path, content.step, content.kind);
      if (this.dropPages) dropPagesOf(path);
    }
    return r;
  }

  /** Queues a row of a series; appended at the next flushSeries(). */
  addSeries(name: string, row: SeriesRow): void {
    this.series.add(name, row);
    this.seriesFiles.add(name);
  }

  /** Rows of series waiting to be appended. */
  get seriesWaiting(): number {
    return this.series.waiting;
  }

  /** Appends the queued series rows to their files. Throws a typed IoError. */
  flushSeries(): void {
    const t0 = performance.now();
    this.series.flush();
    this.stats.writeMs += performance.now() - t0;
  }

  /** At the end of the run: appends what is queued and archives the series files. Throws a typed IoError. */
  finish(lastStep: number): void {
    this.flushSeries();
    if (this.archiver === null) return;
    for (const name of this.seriesFiles) this.archive(join(this.dir, `${name}.h5`), lastStep, 'series');
  }

  private archive(path: string, step: number, kind: string): void {
    const t0 = performance.now();
    this.archiver!.archive(path, step, kind);
    this.stats.archived++;
    this.stats.archiveMs += performance.now() - t0;
  }
}

