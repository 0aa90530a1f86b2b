/**
 * The side of a farm call on every rank but 0: ask for work, run each batch, send its results
 * back with the next request, until rank 0 says the call is over.
 */
import type { Comm } from '../comm/comm.js';
import { ANY_TAG } from '../comm/constants.js';
import type { Request } from '../comm/request.js';
import { Status } from '../comm/status.js';
import type { TaskContext } from './execute.js';
import type { Summary } from './outcome.js';
import { TAG_DONE, TAG_END, TAG_RESULTS, WORKER_DEPTH, type Batch, type ResultsMessage, type ResultTuple } from './protocol.js';
import { runAssigned } from './runAssigned.js';

/** Results of a long batch are sent back at least this often, so ordered results do not wait for the whole batch. */
const FLUSH_MS = 50;

/** Serves one farm call on a rank other than 0. Blocks until rank 0 ends the call; returns rank 0's summary. Collective with rank 0's side. */
export function serveCall(comm: Comm, shared: () => { value: unknown; version: number }): Summary {
  const where = `rank ${comm.rank}`;
  let pending: Request | null = comm.isend({ r: [], want: WORKER_DEPTH } satisfies ResultsMessage, 0, TAG_RESULTS);
  const status = new Status();
  let summary: Summary;
  const send = (msg: ResultsMessage) => {
    pending?.wait();
    pending = comm.isend(msg, 0, TAG_RESULTS);
  };
  for (;;) {
    const b = comm.recv(0, ANY_TAG, status) as Batch | Summary;
    if (status.tag === TAG_END) { summary = b as Summary; break; }
    const batch = b as Batch;
    const { value, version } = shared();
    let results: ResultTuple[] = [];
    let lastFlush = performance.now();
    for (let i = 0; i < batch.seq.length; i++) {
      const ctx: TaskContext = {
        rank: comm.rank, index: batch.index[i], id: batch.id?.[i] ?? String(batch.index[i]), attempt: batch.attempt[i], shared: value,
      };
      const r = runAssigned(batch, batch.arg[i], ctx, version, where);
      results.push([batch.seq[i], r.status, r.value, r.error ?? null, r.ms]);
      if (i + 1 < batch.seq.length && performance.now() - lastFlush > FLUSH_MS) {
        send({ r: results, want: 0 });
        results = [];
        lastFlush = performance.now();
      }
    }
    send({ r: results, want: 1 });
  }
  pending?.wait();
  comm.send(null, 0, TAG_DONE);
  return summary!;
}
