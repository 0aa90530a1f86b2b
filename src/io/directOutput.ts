/**
 * Output without helper ranks: rank 0 of the workers gathers each field (DistributedArray
 * gather) and writes the file itself while the other workers wait in the gather; the same
 * files, atomic writes, series and archive as with helpers. A failure is thrown on rank 0,
 * which ends the job.
 */
import type { Comm } from '../comm/comm.js';
import type { TypedArray } from '../comm/collectives.js';
import type { DistributedArray } from '../../decomposition/index.js';
import { globalElements, headerOf } from './blocks.js';
import { reserveFor, type DumpInfo, type LoopState, type WholeField } from './dumpFile.js';
import type { CheckedOptions } from './options.js';
import { Output } from './output.js';
import type { FileWriter, WriterStats } from './writer.js';

/** Series rows kept on rank 0 before they are appended (also appended after every dump). */
const SERIES_BATCH = 64;

/** The output service when the workers write themselves. */
export class DirectOutput extends Output {
  /** @internal Use startOutput. `writer` exists on rank 0 only. */
  constructor(comm: Comm, options: CheckedOptions, private readonly writer: FileWriter | null) {
    super(comm, options);
  }

  protected submit(kind: 'dump' | 'checkpoint', name: string, step: number, fields: [string, DistributedArray<TypedArray>][], info: DumpInfo, state: LoopState | undefined): void {
    const whole: WholeField[] = [];
    for (const [n, a] of fields) {
      const data = a.gather(0);
      if (data !== null) whole.push({ header: headerOf(n, a), data });
    }
    if (this.writer === null) return;
    this.writer.write({ kind, name, step, info, fields: whole, ...(state ? { state } : {}) });
    this.written++;
    if (this.writer.seriesWaiting > 0) this.writer.flushSeries();
  }

  protected reserve(fields: [string, DistributedArray<TypedArray>][]): void {
    if (this.writer === null) return;
    reserveFor(fields.map(([, a]) => globalElements({ shape: a.grid.shape, dof: a.grid.dof }) * a.data.BYTES_PER_ELEMENT));
  }

  protected submitSeries(name: string, row: { step: number; values: Record<string, number> }): void {
    if (this.writer === null) return;
    this.writer.addSeries(name, row);
    if (this.writer.seriesWaiting >= SERIES_BATCH) this.writer.flushSeries();
  }

  protected drain(): void {
    this.writer?.flushSeries();
  }

  protected finish(): WriterStats {
    this.writer?.finish(this.lastStep);
    return this.comm.bcast(this.writer?.stats ?? null, 0) as WriterStats;
  }
}
