/**
 * Time series of scalar diagnostics (energy, maximum, residual...): one HDF5 file per series,
 * `DIR/NAME.h5`, with a dataset `step` and one dataset per quantity, all one-dimensional along
 * an unlimited dimension (maxshape None, chunked), appended to as the run goes.
 *
 * Rows are batched on the writing rank and appended in one go: the file is copied to a partial
 * name, the rows appended there (resize + write_slice), and the copy committed (fsync, rename),
 * so a reader never sees a half-appended file. A restarted run first drops the rows of steps it
 * is about to compute again.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { commitFile, partialPath, removeQuietly } from './atomicFile.js';
import { FileFormatError, fileSystemError } from './errors.js';
import { h5call, openH5, type H5File } from './hdf5.js';

/** One row of a series: the step and a value per quantity. */
export interface SeriesRow {
  step: number;
  values: Record<string, number>;
}

/** Appends rows to the series files of one directory. One instance per writing rank. */
export class SeriesWriter {
  private readonly pending = new Map<string, SeriesRow[]>();
  private readonly touched = new Set<string>();

  constructor(private readonly dir: string) {}

  /** Queues a row of series `name`; written at the next flush. Local. */
  add(name: string, row: SeriesRow): void {
    let rows = this.pending.get(name);
    if (rows === undefined) this.pending.set(name, rows = []);
    rows.push(row);
  }

  /** Rows waiting to be written, over all series. */
  get waiting(): number {
    let n = 0;
    for (const r of this.pending.values()) n += r.length;
    return n;
  }

  /** Appends every queued row to its file. Blocking; throws a typed IoError and leaves the previous file as it was. */
  flush(): string[] {
    const written: string[] = [];
    for (const [name, rows] of this.pending) {
      if (rows.length === 0) continue;
      written.push(this.append(name, rows));
      this.pending.set(name, []);
    }
    return written;
  }

  private append(name: string, rows: SeriesRow[]): string {
    const path = join(this.dir, `${name}.h5`);
    const partial = partialPath(path);
    const columns = Object.keys(rows[0].values);
    let file: H5File | null = null;
    try {
      const exists = existsSync(path);
      if (exists) {
        try { copyFileSync(path, partial); } catch (e) {
          const err = e as NodeJS.ErrnoException;
          throw fileSystemError(err.code, 'appending to', path, err.message);
        }
      }
      file = openH5(partial, exists ? 'a' : 'w', '', path);
      const f = file;
      h5call('appending to', path, () => {
        if (!exists) {
          f.create_attribute('simdeck_kind', 'series');
          f.create_attribute('name', name);
          for (const c of ['step', ...columns]) {
            f.create_dataset({ name: c, data: c === 'step' ? new Int32Array(0) : new Float64Array(0), shape: [0], maxshape: [null], chunks: [1024] });
          }
        }
        let length = this.lengthOf(f, path, columns);
        if (!this.touched.has(name)) {
          // first rows of this run: drop rows of steps it computes again (a restart)
          const steps = (f.get('step') as unknown as { value: Int32Array }).value;
          let keep = steps.length;
          while (keep > 0 && steps[keep - 1] >= rows[0].step) keep--;
          if (keep !== length) {
            for (const c of ['step', ...columns]) this.dataset(f, c).resize([keep]);
            length = keep;
          }
        }
        const n = rows.length;
        const stepCol = Int32Array.from(rows, (r) => r.step);
        const grow = (c: string, data: Int32Array | Float64Array) => {
          const ds = this.dataset(f, c);
          ds.resize([length + n]);
          ds.write_slice([[length, length + n]], data);
        };
        grow('step', stepCol);
        for (const c of columns) grow(c, Float64Array.from(rows, (r) => r.values[c]));
      });
      file = null;
      h5call('appending to', path, () => f.close());
      commitFile(partial, path);
      this.touched.add(name);
    } catch (e) {
      if (file !== null) { try { file.close(); } catch { /* failing already */ } }
      removeQuietly(partial);
      throw e;
    }
    return path;
  }

  private dataset(f: H5File, c: string): { resize(s: number[]): number; write_slice(r: [number, number][], d: unknown): void; shape: number[] | null } {
    const ds = f.get(c);
    if (ds === null) throw new FileFormatError(`the series file ${f.filename} has no dataset '${c}': its quantities differ from this run's; write this series under another name or move the old file away`, f.filename);
    return ds as never;
  }

  private lengthOf(f: H5File, path: string, columns: string[]): number {
    const have = f.keys().filter((k) => k !== 'step').sort();
    if (have.join() !== [...columns].sort().join()) {
      throw new FileFormatError(`the series file ${path} holds the quantities ${have.join(', ')} but this run appends ${columns.join(', ')}: ` +
        'write this series under another name or move the old file away', path);
    }
    const n = this.dataset(f, 'step').shape?.[0] ?? 0;
    for (const c of columns) {
      if ((this.dataset(f, c).shape?.[0] ?? -1) !== n) throw new FileFormatError(`the series file ${path} has columns of different lengths; move it away`, path);
    }
    return n;
  }
}
