/**
 * The writing thread of a helper rank: it owns the FileWriter (HDF5 through h5wasm, series,
 * archive) and writes the dumps the helper's main thread hands it, so that the main thread
 * keeps taking the workers' blocks while a file is being written (the workers' buffers come
 * back at once). Replies go back on the port; the shared `wake` word is bumped and notified
 * after each, so the main thread can sleep until one arrives.
 *
 * This thread must never join the job: nothing it imports may reach simdeck's entry
 * (src/index.ts creates the world; under MPI a second thread calling MPI crashes the rank).
 * test/io/thread.test.ts checks its imports.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ArchiveSettings } from './archive.js';
import { warmPageCache } from './atomicFile.js';
import { readKindAndStep, reserveFor, type FileContent, type StorageOptions } from './dumpFile.js';
import { reportOf } from './errors.js';
import { loadHdf5 } from './hdf5.js';
import type { SeriesRow } from './series.js';
import { FileWriter } from './writer.js';
import type { FromWriter, ToWriter } from './writerLink.js';

/** What the thread is started with. */
export interface WriterThreadData {
  dir: string;
  storage: StorageOptions;
  archive: ArchiveSettings | null;
  /** Whether this helper completes an earlier run's archive first. */
  first: boolean;
  wake: SharedArrayBuffer;
  /** Where replies go. */
  port: MessagePort;
}

const data = workerData as WriterThreadData;
const wake = new Int32Array(data.wake);
const port = data.port;
/** Series rows kept before they are appended (also appended after every dump and at the end). */
const SERIES_BATCH = 64;

function reply(m: FromWriter, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
  Atomics.add(wake, 0, 1);
  Atomics.notify(wake, 0);
}

// The pause of the fault tests writes with writeSync: a thread's process.stderr is flushed by the
// main thread's event loop, which a helper's main thread never runs.
process.stderr.write = ((chunk: string | Uint8Array) => {
  if (typeof chunk === 'string') writeSync(2, chunk); else writeSync(2, chunk);
  return true;
}) as typeof process.stderr.write;

// An unexpected failure of the thread reaches the main thread as a reply (it never runs its
// event loop, so the Worker's 'error' event would go unseen).
process.on('uncaughtException', (e) => reply({ kind: 'crashed', error: reportOf(e) }));
process.on('unhandledRejection', (e) => reply({ kind: 'crashed', error: reportOf(e) }));

let writer: FileWriter | null = null;
/** The first failure: once a write failed, nothing more is written (the job is ending). */
let failure: ReturnType<typeof reportOf> | null = null;
try {
  await loadHdf5();
  // a helper streams dumps nobody reads back through it: their pages leave the page cache once synced
  writer = new FileWriter(data.dir, data.storage, data.archive, true);
  if (data.first) writer.prepare(readKindAndStep);
  reply({ kind: 'ready', error: null });
} catch (e) {
  failure = reportOf(e);
  reply({ kind: 'ready', error: failure });
}

parentPort!.on('message', (m: ToWriter) => {
  const w = writer!;
  switch (m.kind) {
    case 'dump': {
      const content: FileContent = m.content;
      // the arrays go back once (for reuse by the main thread): as soon as HDF5 has the data,
      // before the file is closed and synced, or with the reply when that never happened
      let arrays = content.fields.map((f) => f.data);
      const giveBack = () => {
        const a = arrays;
        arrays = [];
        return [a, a.map((x) => x.buffer as ArrayBuffer)] as const;
      };
      if (failure !== null) {
        const [a, b] = giveBack();
        reply({ kind: 'failed', seq: m.seq, error: failure, arrays: a }, b);
        return;
      }
      try {
        const r = w.write(content, () => { const [a, b] = giveBack(); reply({ kind: 'released', seq: m.seq, arrays: a }, b); });
        if (w.seriesWaiting > 0) w.flushSeries();
        const [a, b] = giveBack();
        reply({ kind: 'written', seq: m.seq, path: r.path, bytes: r.bytes, ms: r.ms, arrays: a }, b);
      } catch (e) {
        failure = reportOf(e);
        const [a, b] = giveBack();
        reply({ kind: 'failed', seq: m.seq, error: failure, arrays: a }, b);
      }
      return;
    }
    case 'series':
      if (failure !== null) return;
      try {
        w.addSeries(m.name, m.row as SeriesRow);
        if (w.seriesWaiting >= SERIES_BATCH) w.flushSeries();
      } catch (e) {
        failure = reportOf(e);
        reply({ kind: 'failed', seq: -1, error: failure, arrays: [] });
      }
      return;
    case 'reserve':
      reserveFor(m.fieldBytes);
      // the page cache a dump's file takes (this writer drops each file's pages once synced, and
      // the next file reuses them; the first would otherwise take fresh ones)
      warmPageCache(data.dir, m.fieldBytes.reduce((s, b) => s + b, 0));
      reply({ kind: 'reserved' });
      return;
    case 'finish':
      try {
        w.finish(m.lastStep);
        reply({ kind: 'finished', stats: w.stats, error: null });
      } catch (e) {
        reply({ kind: 'finished', stats: w.stats, error: reportOf(e) });
      }
  }
});
