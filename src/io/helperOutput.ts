/**
 * Output with helper ranks: a dump's blocks are copied into this worker's send buffers and sent
 * to the helper that writes that file, which pulls them itself (on the shared-memory transport
 * with one process_vm_readv per block where the kernel allows it: no CPU of the worker's);
 * write() returns at once. Send buffers are kept and reused. prepare() makes SEND_DEPTH of them
 * per field, faulted in, and from then on write() never faults in fresh memory for those
 * fields: when every buffer of a shape is still waiting for its helper, it waits for the oldest
 * to be pulled. Fields not prepared get a new buffer whenever none is free (the first writes pay
 * for the memory, as prepare() would have; a helper still warming up pulls slowly, and waiting
 * for it would cost more). Past the byte budget of dumps in flight, write() waits for the
 * oldest dumps to leave. Both waits are the back-pressure the report shows. Replies from the
 * helpers (file written, or an error) are taken at every call; an error is thrown here, on the
 * worker, as its typed IoError.
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

/**
 * Send buffers prepare() makes per field of a shape in a dump: one a helper is pulling while the
 * next dump is packed into the other. More would only hold dumps a helper has not taken yet, at
 * the price of fresh memory.
 */
export const SEND_DEPTH = 2;

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
  /** Send buffers made per shape (class:elements), free or in flight, and for prepared shapes how many it may have (SEND_DEPTH per field of it in a dump). */
  private readonly made = new Map<string, number>();
  private readonly allowed = new Map<string, number>();
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
    this.allow(fields.map(([, a], i) => shapeKey(a.data, sizes[i])), false);
    // pack first, then send the header and the blocks: the helper, once it sees the header,
    // pulls the blocks at once instead of waiting while this rank packs
    const buffers = fields.map(([, a], i) => packBlock(a, this.buffer(a.data, sizes[i])));
    const flight: InFlight = { requests: [this.channel.isend(message, helper, TAG.CONTROL)], buffers, bytes };
    for (const buf of buffers) flight.requests.push(this.channel.isend(buf, helper, TAG.BLOCK));
    this.inFlight.push(flight);
    this.inFlightBytes += bytes;
  }

  protected reserve(fields: [string, DistributedArray<TypedArray>][]): void {
    this.takeReplies();
    // SEND_DEPTH send buffers per field, made now (ones already made count)
    const sizes = fields.map(([, a]) => blockElements(a.grid.size, a.grid.dof));
    const keys = fields.map(([, a], i) => shapeKey(a.data, sizes[i]));
    this.allow(keys, true);
    fields.forEach(([, a], i) => {
      while ((this.made.get(keys[i]) ?? 0) < this.allowed.get(keys[i])!) this.make(a.data, sizes[i]);
    });
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
    this.waitFor(() => this.inFlight.length === 0 || this.inFlightBytes + bytes <= this.options.buffer);
  }

  /** Retires the oldest dumps in flight, waiting for their sends (measured as back-pressure), until `enough`. */
  private waitFor(enough: () => boolean): void {
    const t0 = performance.now();
    while (!enough() && this.inFlight.length > 0) {
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

  /**
   * A send buffer of `n` elements of `like`'s class: a free one; else a new one (faulted in with
   * huge pages, memory.ts) unless the shape was prepared and has all it may have; else the
   * first to come back from the dumps in flight (waiting for the helper to pull it).
   */
  private buffer(like: TypedArray, n: number): TypedArray {
    const key = shapeKey(like, n);
    const fits = (b: TypedArray) => b.length === n && b.constructor === like.constructor;
    if (!this.free.some(fits)) {
      if ((this.made.get(key) ?? 0) < (this.allowed.get(key) ?? Infinity)) this.make(like, n);
      else this.waitFor(() => this.free.some(fits));
      if (!this.free.some(fits)) this.make(like, n);   // nothing of this shape was in flight
    }
    return this.free.splice(this.free.findIndex(fits), 1)[0];
  }

  /**
   * Raises the send buffers allowed per shape to SEND_DEPTH per field of it in a dump of these
   * shapes: for every shape when `prepared`, else only for shapes prepare() saw.
   */
  private allow(keys: string[], prepared: boolean): void {
    const count = new Map<string, number>();
    for (const k of keys) count.set(k, (count.get(k) ?? 0) + 1);
    for (const [k, c] of count) if (prepared || this.allowed.has(k)) this.allowed.set(k, Math.max(this.allowed.get(k) ?? 0, SEND_DEPTH * c));
  }

  /** Makes one more send buffer of `n` elements of `like`'s class, faulted in, onto the free list. */
  private make(like: TypedArray, n: number): void {
    const key = shapeKey(like, n);
    this.made.set(key, (this.made.get(key) ?? 0) + 1);
    this.free.push(largeArray(like.constructor.name, n));
  }
}

/** The key of a send buffer's shape: class and elements. */
function shapeKey(like: TypedArray, n: number): string {
  return `${like.constructor.name}:${n}`;
}
