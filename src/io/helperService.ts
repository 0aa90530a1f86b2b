/**
 * What a helper rank runs instead of the deck: it takes the workers' blocks, assembles each
 * dump's whole fields, writes them (FileWriter: HDF5, atomic, archived), appends series, and
 * replies to every worker; it serves until every worker has closed, then the process ends.
 *
 * A failure (full disk, forbidden directory, failed archive command) is not thrown here: it is
 * sent to the workers, which throw it as its typed error (that ends the job); meanwhile the
 * helper keeps taking messages, so no worker blocks on it, and writes nothing more.
 */
import type { Comm } from '../comm/comm.js';
import type { TypedArray } from '../comm/collectives.js';
import { Request } from '../comm/request.js';
import { globalElements, newArray, placeBlock, blockElements } from './blocks.js';
import type { FileContent, WholeField } from './dumpFile.js';
import { reportOf, type IoErrorReport } from './errors.js';
import { TAG, type DumpMessage, type ToHelper, type ToWorker } from './protocol.js';
import type { FileWriter } from './writer.js';

/** Series rows kept before they are appended (also appended after every dump and at the end). */
const SERIES_BATCH = 64;

interface Assembly {
  message: DumpMessage;
  fields: WholeField[];
  arrived: number;
}

/**
 * Serves the workers (ranks 0..workers-1 of `channel`) until each has closed. Blocking.
 * `failure` is an error met before serving (it is reported to the workers); `budget` bounds
 * the bytes of complete dumps waiting to be written. Returns when done.
 */
export function serveWorkers(channel: Comm, workers: number, helper: number, writer: FileWriter, failure: IoErrorReport | null, budget: number): void {
  let failed = failure;
  const pending = new Map<number, Assembly>();
  const blockBuffers = new Map<string, TypedArray>();
  const spare: TypedArray[] = [];
  const sends: Request<undefined>[] = [];
  let lastStep = 0;
  const toAll = (m: ToWorker) => {
    for (let w = 0; w < workers; w++) sends.push(channel.isend(m, w, TAG.REPLY));
    // completed sends are dropped as we go (their buffers are small objects)
    if (sends.length > 4 * workers) for (let i = sends.length - 1; i >= 0; i--) if (sends[i].test()) sends.splice(i, 1);
  };
  const fail = (e: unknown) => { failed ??= reportOf(e); };

  // Messages are taken as soon as they arrive (which frees the workers' buffers at once) and
  // complete dumps queue here; a dump is written when nothing else is waiting. Receiving stops
  // while the queue holds `budget` bytes, so the helper's memory is bounded too.
  const ready: Assembly[] = [];
  let readyBytes = 0;
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
      if (failed !== null) return;
      writer.addSeries(m.name, m.row);
      if (writer.seriesWaiting >= SERIES_BATCH) { try { writer.flushSeries(); } catch (e) { fail(e); } }
      return;
    }
    // a dump: take this worker's blocks now (they follow the header from the same worker)
    let a = pending.get(m.seq);
    if (a === undefined) {
      a = { message: m, fields: [], arrived: 0 };
      pending.set(m.seq, a);
    }
    m.blocks.forEach((h, i) => {
      const key = `${w}:${i}:${h.type}:${blockElements(h.size, h.dof)}`;
      let buf = blockBuffers.get(key);
      if (buf === undefined) blockBuffers.set(key, buf = newArray(h.type, blockElements(h.size, h.dof)));
      channel.recvInto(buf, w, TAG.BLOCK);
      if (failed !== null) return;
      let f = a!.fields[i];
      if (f === undefined) {
        const n = globalElements(h);
        const at = spare.findIndex((x) => x.length === n && x.constructor.name === h.type);
        const data = at >= 0 ? spare.splice(at, 1)[0] : newArray(h.type, n);
        f = a!.fields[i] = { header: h, data };
      }
      placeBlock(f.data, h, buf);
    });
    if (++a.arrived < workers) return;
    pending.delete(m.seq);
    ready.push(a);
    readyBytes += a.fields.reduce((x, f) => x + f.data.byteLength, 0);
  };
  const writeOne = () => {
    const a = ready.shift()!;
    const m = a.message;
    readyBytes -= a.fields.reduce((x, f) => x + f.data.byteLength, 0);
    if (failed === null) {
      try {
        const content: FileContent = { kind: m.file, name: m.name, step: m.step, info: m.info, fields: a.fields, ...(m.state ? { state: m.state } : {}) };
        const r = writer.write(content);
        toAll({ kind: 'written', seq: m.seq, path: r.path, bytes: r.bytes, ms: r.ms });
        if (writer.seriesWaiting > 0) writer.flushSeries();
      } catch (e) {
        fail(e);
      }
    }
    if (failed !== null) toAll({ kind: 'failed', seq: m.seq, error: failed });
    for (const f of a.fields) spare.push(f.data);
    while (spare.length > 4) spare.shift();
  };
  while (open > 0 || ready.length > 0) {
    const live = listens.filter((r): r is Request<unknown> => r !== null);
    if (live.length > 0 && readyBytes < budget) {
      // take whatever has arrived, without waiting
      const arrived = live.findIndex((r) => r.test());
      if (arrived >= 0) { take(listens.indexOf(live[arrived]), live[arrived].value as ToHelper); continue; }
    }
    if (ready.length > 0) { writeOne(); continue; }
    const { index, value } = Request.waitAny(live);
    take(listens.indexOf(live[index]), value as ToHelper);
  }
  if (failed === null) { try { writer.finish(lastStep); } catch (e) { fail(e); } }
  toAll({ kind: 'closed', helper, stats: writer.stats, error: failed });
  Request.waitAll(sends);
}
