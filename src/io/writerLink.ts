/**
 * The helper's main thread's handle on its writing thread (writerThread.ts): hand it a dump
 * (its arrays transferred, not copied; they come back for reuse as soon as HDF5 has their data), a series row,
 * or the end; take its replies without blocking, or sleep until one arrives.
 */
import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { TypedArray } from '../comm/collectives.js';
import type { FileContent } from './dumpFile.js';
import type { IoErrorReport } from './errors.js';
import type { SeriesRow } from './series.js';
import type { WriterThreadData } from './writerThread.js';
import type { WriterStats } from './writer.js';
import { unboundThreads } from '../system/libc.js';

/** Main thread → writing thread. */
export type ToWriter =
  | { kind: 'dump'; seq: number; content: FileContent }
  | { kind: 'series'; name: string; row: SeriesRow }
  | { kind: 'finish'; lastStep: number }
  | { kind: 'reserve'; fieldBytes: number[] };

/** Writing thread → main thread. */
export type FromWriter =
  | { kind: 'ready'; error: IoErrorReport | null }
  /** A dump's arrays, given back once HDF5 has their data (the file is not complete yet). */
  | { kind: 'released'; seq: number; arrays: TypedArray[] }
  /** A dump written; `arrays` holds those not given back by 'released' before. */
  | { kind: 'written'; seq: number; path: string; bytes: number; ms: number; arrays: TypedArray[] }
  | { kind: 'failed'; seq: number; error: IoErrorReport; arrays: TypedArray[] }
  | { kind: 'finished'; stats: WriterStats; error: IoErrorReport | null }
  | { kind: 'reserved' }
  | { kind: 'crashed'; error: IoErrorReport };

/** A writing thread and the way to talk to it. */
export class WriterLink {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly wake = new Int32Array(new SharedArrayBuffer(4));

  constructor(data: Omit<WriterThreadData, 'wake' | 'port'>) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    // The thread replies on port2 (read here with receiveMessageOnPort, no event loop needed).
    this.worker = unboundThreads(() => new Worker(new URL('./writerThread.js', import.meta.url), {
      workerData: { ...data, wake: this.wake.buffer, port: port2 }, transferList: [port2],
    }));
    this.worker.unref();
  }

  /** Hands a complete dump to the thread; its arrays are transferred (unusable here until they come back). */
  dump(seq: number, content: FileContent): void {
    this.worker.postMessage({ kind: 'dump', seq, content } satisfies ToWriter, content.fields.map((f) => f.data.buffer as ArrayBuffer));
  }

  /** Hands a series row to the thread. */
  series(name: string, row: SeriesRow): void {
    this.worker.postMessage({ kind: 'series', name, row } satisfies ToWriter);
  }

  /** Asks the thread to make HDF5's heap ready for files of fields of these sizes (bytes); it replies 'reserved'. */
  reserve(fieldBytes: number[]): void {
    this.worker.postMessage({ kind: 'reserve', fieldBytes } satisfies ToWriter);
  }

  /** Asks the thread to append what is queued and archive the series. */
  finish(lastStep: number): void {
    this.worker.postMessage({ kind: 'finish', lastStep } satisfies ToWriter);
  }

  /** The replies that have arrived, without blocking. */
  poll(): FromWriter[] {
    const out: FromWriter[] = [];
    for (;;) {
      const m = receiveMessageOnPort(this.port);
      if (m === undefined) return out;
      out.push(m.message as FromWriter);
    }
  }

  /** Sleeps until a reply may have arrived, or `ms` pass (no CPU while sleeping). */
  sleep(ms: number, seen: number): void {
    Atomics.wait(this.wake, 0, seen, ms);
  }

  /** The wake counter now (pass it to sleep to miss no reply). */
  get ticks(): number {
    return Atomics.load(this.wake, 0);
  }
}
