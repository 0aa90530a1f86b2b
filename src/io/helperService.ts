/**
 * What a helper rank runs instead of the deck. Its main thread takes a dump's blocks as soon
 * as every worker has sent its part (so the workers' buffers come back at once, and no pull
 * takes a core from a worker still packing its block), assembles each dump's whole
 * fields and hands complete dumps to its writing thread (writerThread.ts: HDF5, atomic files,
 * series, archive), which writes them while the main thread goes on receiving. Dumps received
 * but not yet written are bounded by `budget` bytes: past it the main thread stops receiving
 * and the workers feel the back-pressure. It serves until every worker has closed.
 *
 * A failure (full disk, forbidden directory, failed archive command) is not thrown here: it is
 * sent to the workers, which throw it as its typed error (that ends the job); meanwhile the
 * helper keeps taking messages, so no worker blocks on it, and writes nothing more.
 */
import type { Comm } from '../comm/comm.js';
import type { TypedArray } from '../comm/collectives.js';
import { Request } from '../comm/request.js';
import { blockElements, bytesPer, contiguousRun, globalElements, placeBlock, type BlockHeader } from './blocks.js';
import type { FileContent, WholeField } from './dumpFile.js';
import type { IoErrorReport } from './errors.js';
import { largeArray, touch, untouchedArray } from './memory.js';
import { TAG, type DumpMessage, type ToHelper, type ToWorker } from './protocol.js';
import type { WriterStats } from './writer.js';
import type { WriterLink } from './writerLink.js';

interface Assembly {
  fields: WholeField[];
  /** The workers whose headers have come, with them. */
  parts: [number, DumpMessage][];
}

/** How long the main thread sleeps between looks at the workers while its thread writes. */
const POLL_MS = 2;
/** Bytes of a spare array faulted in between two looks at the workers (one huge page). */
const GROW_STEP = 2 << 20;

/**
 * Serves the workers (ranks 0..workers-1 of `channel`) until each has closed, writing through
 * `link`. Blocking. Returns when every file is written and every worker has its last reply.
 */
export function serveWorkers(channel: Comm, workers: number, helper: number, link: WriterLink, budget: number): void {
  let failed: IoErrorReport | null = null;
  const pending = new Map<number, Assembly>();
  const blockBuffers = new Map<string, TypedArray>();
  const spare: TypedArray[] = [];
  const sends: Request<undefined>[] = [];
  const stats: WriterStats = { files: 0, bytes: 0, writeMs: 0, archived: 0, archiveMs: 0 };
  let lastStep = 0;
  let queuedBytes = 0;
  let outstanding = 0;
  let finished: (FromFinish) | null = null;
  /**
   * The whole array being made ahead of the next dump (faulted in GROW_STEP bytes at a time
   * between looks at the workers, so a block that arrives is pulled at once into warm memory),
   * and the shapes still to make.
   */
  let growing: { data: TypedArray; touched: number } | null = null;
  const toGrow: BlockHeader[] = [];
  /** Output.prepare: prepare messages taken per worker, and rounds sent to the writing thread but not yet reserved. */
  const prepares = new Array<number>(workers).fill(0);
  let prepareRounds = 0;
  const toAll = (m: ToWorker) => {
    for (let w = 0; w < workers; w++) sends.push(channel.isend(m, w, TAG.REPLY));
    if (sends.length > 4 * workers) for (let i = sends.length - 1; i >= 0; i--) if (sends[i].test()) sends.splice(i, 1);
  };
  const recycle = (arrays: TypedArray[]) => {
    for (const a of arrays) { queuedBytes -= a.byteLength; spare.push(a); }
    while (spare.length > 8) spare.shift();
  };
  const replies = () => {
    for (const r of link.poll()) {
      switch (r.kind) {
        case 'ready': if (r.error !== null) failed ??= r.error; break;
        case 'released': recycle(r.arrays); break;
        case 'written':
          outstanding--;
          recycle(r.arrays);
          stats.files++; stats.bytes += r.bytes; stats.writeMs += r.ms;
          toAll({ kind: 'written', seq: r.seq, path: r.path, bytes: r.bytes, ms: r.ms });
          break;
        case 'failed':
          failed ??= r.error;
          if (r.seq < 0) break; // a series append
          outstanding--;
          recycle(r.arrays);
          toAll({ kind: 'failed', seq: r.seq, error: failed });
          break;
        case 'reserved': outstanding--; toAll({ kind: 'prepared', helper }); break;
        case 'finished': finished = r; break;
        case 'crashed': failed ??= r.error; outstanding = 0; finished = { kind: 'finished', stats, error: r.error }; break;
      }
    }
  };

  const listens: (Request<unknown> | null)[] = [];
  for (let w = 0; w < workers; w++) listens.push(channel.irecv(w, TAG.CONTROL));
  let open = workers;
  const take = (w: number, m: ToHelper) => {
    if (m.kind === 'close') {
      listens[w] = null;
      open--;
      lastStep = Math.max(lastStep, m.lastStep);
      return;
    }
    listens[w] = channel.irecv(w, TAG.CONTROL);
    if (m.kind === 'series') {
      if (failed === null) link.series(m.name, m.row);
      return;
    }
    if (m.kind === 'prepare') {
      prepare(w, m.blocks);
      return;
    }
    // a dump: its blocks are pulled once every worker's header has come, that is once every
    // worker has left write() for it (each sends its header after packing): a pull takes a core
    // for a few ms per block, which a worker still packing would wait for. Dumps complete in
    // order, so each worker's blocks are taken in the order it sent them.
    let a = pending.get(m.seq);
    if (a === undefined) pending.set(m.seq, a = { fields: [], parts: [] });
    a.parts.push([w, m]);
    if (a.parts.length < workers) return;
    for (const [src, part] of a.parts) pullBlocks(a, src, part.blocks);
    pending.delete(m.seq);
    if (failed !== null) {
      recycle(a.fields.map((f) => f.data));
      toAll({ kind: 'failed', seq: m.seq, error: failed });
      return;
    }
    const content: FileContent = { kind: m.file, name: m.name, step: m.step, info: m.info, fields: a.fields, ...(m.state ? { state: m.state } : {}) };
    link.dump(m.seq, content);
    outstanding++;
    ahead(m.blocks);
  };

  /** Takes worker `w`'s blocks of dump `a` (headers `blocks`) into the dump's whole fields. */
  function pullBlocks(a: Assembly, w: number, blocks: BlockHeader[]): void {
    blocks.forEach((h, i) => {
      let f = a.fields[i];
      if (f === undefined) {
        const n = globalElements(h);
        const at = spare.findIndex((x) => x.length === n && x.constructor.name === h.type);
        let data: TypedArray;
        if (at >= 0) data = spare.splice(at, 1)[0];
        else if (growing !== null && growing.data.length === n && growing.data.constructor.name === h.type) { data = growing.data; growing = null; }
        else data = largeArray(h.type, n);
        queuedBytes += data.byteLength;
        f = a.fields[i] = { header: h, data };
      }
      // a block that is one run of the whole field (whole rows) lands in place: no second copy
      const run = contiguousRun(h);
      if (run !== null) {
        channel.recvInto(f.data.subarray(run[0], run[0] + run[1]), w, TAG.BLOCK);
        return;
      }
      const buf = blockBuffer(w, h);
      channel.recvInto(buf, w, TAG.BLOCK);
      placeBlock(f.data, h, buf);
    });
  }

  /** Queues one spare whole array per field of these shapes to be made before the next dump needs it (within the budget). */
  function ahead(blocks: BlockHeader[]): void {
    for (const h of blocks) {
      const n = globalElements(h);
      const same = (x: { length: number; constructor: { name: string } }) => x.length === n && x.constructor.name === h.type;
      if (spare.some(same) || (growing !== null && same(growing.data)) || toGrow.some((g) => globalElements(g) === n && g.type === h.type)) continue;
      toGrow.push(h);
    }
  }

  /** Faults in the next piece of the array being made ahead; false when there is nothing to make. */
  function grow(): boolean {
    if (growing === null) {
      const h = toGrow.shift();
      if (h === undefined) return false;
      const bytes = globalElements(h) * bytesPer(h.type);
      if (queuedBytes + bytes > budget) { toGrow.length = 0; return false; }
      growing = { data: untouchedArray(h.type, globalElements(h)), touched: 0 };
    }
    const g = growing;
    const all = new Uint8Array(g.data.buffer, g.data.byteOffset, g.data.byteLength);
    const to = Math.min(all.length, g.touched + GROW_STEP);
    touch(all.subarray(g.touched, to));
    g.touched = to;
    if (to === all.length) { spare.push(g.data); growing = null; }
    return true;
  }

  /** The buffer a strided block of worker `w` lands in before it is placed (kept per worker and field). */
  function blockBuffer(w: number, h: BlockHeader): TypedArray {
    const key = `${w}:${h.name}:${h.type}:${blockElements(h.size, h.dof)}`;
    let buf = blockBuffers.get(key);
    if (buf === undefined) blockBuffers.set(key, buf = largeArray(h.type, blockElements(h.size, h.dof)));
    return buf;
  }

  /**
   * Output.prepare from worker `w`: its strided blocks' buffers now; once every worker has
   * sent this round, two whole arrays per field (one being written, one being assembled) and
   * HDF5's heap in the writing thread, which replies 'reserved' (then the workers hear 'prepared').
   */
  function prepare(w: number, blocks: BlockHeader[]): void {
    for (const h of blocks) if (contiguousRun(h) === null) blockBuffer(w, h);
    prepares[w]++;
    if (Math.min(...prepares) <= prepareRounds) return;
    prepareRounds++;
    for (const h of blocks) {
      const n = globalElements(h);
      const have = spare.filter((x) => x.length === n && x.constructor.name === h.type).length;
      for (let k = have; k < 2; k++) spare.push(largeArray(h.type, n));
    }
    link.reserve(blocks.map((h) => globalElements(h) * bytesPer(h.type)));
    outstanding++;   // until 'reserved': keeps the loop looking at the thread's replies
  }

  while (open > 0 || outstanding > 0) {
    replies();
    const live = listens.filter((r): r is Request<unknown> => r !== null);
    const receiving = live.length > 0 && queuedBytes < budget;
    if (receiving) {
      const arrived = live.findIndex((r) => r.test());
      if (arrived >= 0) { take(listens.indexOf(live[arrived]), live[arrived].value as ToHelper); continue; }
      if (grow()) continue;
      if (outstanding === 0) {
        // nothing being written: sleep in the transport until a worker sends
        const { index, value } = Request.waitAny(live);
        take(listens.indexOf(live[index]), value as ToHelper);
        continue;
      }
    }
    if (outstanding === 0 && !receiving) continue;
    const seen = link.ticks;
    replies();
    link.sleep(POLL_MS, seen);
  }
  if (failed === null) {
    link.finish(lastStep);
    while (finished === null) { const seen = link.ticks; replies(); if (finished === null) link.sleep(50, seen); }
  }
  const f = finished as FromFinish | null;
  const error = failed ?? f?.error ?? null;
  toAll({ kind: 'closed', helper, stats: f?.stats ?? stats, error });
  Request.waitAll(sends);
}

type FromFinish = { kind: 'finished'; stats: WriterStats; error: IoErrorReport | null };
