/**
 * Output with helper ranks: a dump's blocks are copied into this worker's buffers and sent to
 * the helper that writes that file; write() returns at once while the buffers (a fixed budget
 * of bytes) last, and otherwise waits for the oldest dumps to leave — that wait is the
 * back-pressure the report shows. Replies from the helpers (file written, or an error) are
 * taken at every call; an error is thrown here, on the worker, as its typed IoError.
 */
import type { Comm } from '../comm/comm.js';
import type { TypedArray } from '../comm/collectives.js';
import { ANY_SOURCE } from '../comm/constants.js';
import type { Request } from '../comm/request.js';
import type { DistributedArray } from '../../decomposition/index.js';
import { blockElements, bytesPer, headerOf, packBlock } from './blocks.js';
import { largeArray } from './memory.js';
import type { DumpInfo, LoopState } from './dumpFile.js';
import { errorFromReport } from './errors.js';
import type { CheckedOptions } from './options.js';
import { Output } from './output.js';
import { TAG, helperOfDump, helperOfSeries, type DumpMessage, type ToHelper, type ToWorker } from './protocol.js';
import type { WriterStats } from './writer.js';

interface InFlight {
  requests: Request<undefined>[];
  buffers: TypedArray[];
  bytes: number;
}

/** The workers' side of the output service with helper ranks. */
export class HelperOutput extends Output {
  private seq = 0;
  private readonly inFlight: InFlight[] = [];
  private inFlightBytes = 0;
  private readonly free: TypedArray[] = [];
  private replied = 0;
  /** 'prepared' replies received (Output.prepare). */
  private prepared = 0;
  private readonly controls: Request<undefined>[] = [];

  /** @internal Use startOutput. */
  constructor(comm: Comm, options: CheckedOptions,
    /** The service's communicator: workers are its ranks 0..W-1, helpers W..W+H-1. */
    private readonly channel: Comm) {
    super(comm, options);
  }

  protected submit(kind: 'dump' | 'checkpoint', name: string, step: number, fields: [string, DistributedArray<TypedArray>][], info: DumpInfo, state: LoopState | undefined): void {
    this.takeReplies();
    const sizes = fields.map(([, a]) => blockElements(a.grid.size, a.grid.dof));
    const bytes = fields.reduce((s, [, a], i) => s + sizes[i] * bytesPer(a.data.constructor.name), 0);
    this.makeRoom(bytes);
    const seq = this.seq++;
    const helper = this.comm.size + helperOfDump(seq, this.helpers);
    const message: DumpMessage = {
      kind: 'dump', seq, file: kind, name, step, info, ...(state ? { state } : {}),
      blocks: fields.map(([n, a]) => headerOf(n, a)),
    };
    const flight: InFlight = { requests: [this.channel.isend(message, helper, TAG.CONTROL)], buffers: [], bytes };
    fields.forEach(([, a], i) => {
      const buf = this.buffer(a.data, sizes[i]);
      packBlock(a, buf);
      flight.buffers.push(buf);
      flight.requests.push(this.channel.isend(buf, helper, TAG.BLOCK));
    });
    this.inFlight.push(flight);
    this.inFlightBytes += bytes;
  }

  protected reserve(fields: [string, DistributedArray<TypedArray>][]): void {
    this.takeReplies();
    // one free send buffer per field (a free one already there counts once)
    const claimed = new Set<TypedArray>();
    for (const [, a] of fields) {
      const n = blockElements(a.grid.size, a.grid.dof);
      let b = this.free.find((x) => !claimed.has(x) && x.length === n && x.constructor === a.data.constructor);
      if (b === undefined) this.free.push(b = largeArray(a.data.constructor.name, n));
      claimed.add(b);
    }
    const blocks = fields.map(([n, a]) => headerOf(n, a));
    for (let h = 0; h < this.helpers; h++) this.channel.send({ kind: 'prepare', blocks } satisfies ToHelper, this.comm.size + h, TAG.CONTROL);
    const target = this.prepared + this.helpers;
    while (this.prepared < target) this.handle(this.channel.recv(ANY_SOURCE, TAG.REPLY) as ToWorker);
  }

  protected submitSeries(name: string, row: { step: number; values: Record<string, number> }): void {
    this.takeReplies();
    const m: ToHelper = { kind: 'series', name, row };
    this.controls.push(this.channel.isend(m, this.comm.size + helperOfSeries(name, this.helpers), TAG.CONTROL));
    for (let i = this.controls.length - 1; i >= 0; i--) if (this.controls[i].test()) this.controls.splice(i, 1);
  }

  protected drain(): void {
    this.releaseSent(true);
    while (this.replied < this.seq) this.handle(this.channel.recv(ANY_SOURCE, TAG.REPLY) as ToWorker);
  }

  protected finish(): WriterStats {
    this.drain();
    for (const r of this.controls) r.wait();
    for (let h = 0; h < this.helpers; h++) this.channel.send({ kind: 'close', lastStep: this.lastStep } satisfies ToHelper, this.comm.size + h, TAG.CONTROL);
    const total: WriterStats = { files: 0, bytes: 0, writeMs: 0, archived: 0, archiveMs: 0 };
    let closed = 0;
    let error: ToWorker & { kind: 'closed' } | null = null;
    while (closed < this.helpers) {
      const m = this.channel.recv(ANY_SOURCE, TAG.REPLY) as ToWorker;
      if (m.kind !== 'closed') { this.handle(m); continue; }
      closed++;
      if (m.error !== null) error ??= m;
      total.files += m.stats.files;
      total.bytes += m.stats.bytes;
      total.writeMs += m.stats.writeMs;
      total.archived += m.stats.archived;
      total.archiveMs += m.stats.archiveMs;
    }
    if (error !== null) throw errorFromReport(error.error!, `helper ${error.helper}: `);
    return total;
  }

  /** Takes the helpers' replies that have arrived, without blocking; throws a reported failure. */
  private takeReplies(): void {
    while (this.channel.iprobe(ANY_SOURCE, TAG.REPLY)) this.handle(this.channel.recv(ANY_SOURCE, TAG.REPLY) as ToWorker);
  }

  private handle(m: ToWorker): void {
    if (m.kind === 'failed') throw errorFromReport(m.error);
    if (m.kind === 'written') { this.replied++; this.written++; }
    if (m.kind === 'prepared') this.prepared++;
  }

  /** Waits (measured) until `bytes` more fit the budget, or nothing is in flight. */
  private makeRoom(bytes: number): void {
    this.releaseSent(false);
    if (this.inFlight.length === 0 || this.inFlightBytes + bytes <= this.options.buffer) return;
    const t0 = performance.now();
    while (this.inFlight.length > 0 && this.inFlightBytes + bytes > this.options.buffer) {
      const oldest = this.inFlight.shift()!;
      for (const r of oldest.requests) r.wait();
      this.retire(oldest);
      this.takeReplies();
    }
    const waited = performance.now() - t0;
    this.waitMs += waited;
    this.maxWaitMs = Math.max(this.maxWaitMs, waited);
  }

  /** Returns the buffers of dumps whose sends completed (all of them, waiting, when `all`). */
  private releaseSent(all: boolean): void {
    while (this.inFlight.length > 0) {
      const f = this.inFlight[0];
      if (all) for (const r of f.requests) r.wait();
      else if (!f.requests.every((r) => r.test())) return;
      this.inFlight.shift();
      this.retire(f);
    }
  }

  private retire(f: InFlight): void {
    this.inFlightBytes -= f.bytes;
    for (const b of f.buffers) this.free.push(b);   // kept for reuse: fresh pages are slow to fault in
  }

  /** A buffer of `n` elements of `like`'s class: a free one when one fits, else a new one faulted in with huge pages (memory.ts). */
  private buffer(like: TypedArray, n: number): TypedArray {
    const at = this.free.findIndex((b) => b.length === n && b.constructor === like.constructor);
    return at >= 0 ? this.free.splice(at, 1)[0] : largeArray(like.constructor.name, n);
  }
}
