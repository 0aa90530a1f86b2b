/**
 * Messages between rank 0 (the scheduler) and the other ranks of a pool, on the pool's own
 * communicator (a dup, so they never meet the deck's messages).
 *
 * A worker enters a farm call by asking for work (`want`); rank 0 answers each want with a batch;
 * the worker sends back the batch's results with its next want (results piggyback on requests,
 * and a worker keeps up to two batches so it never waits for rank 0 between them). When every task
 * has its final result rank 0 sends END; the worker answers DONE after its last message, so
 * nothing is left in flight for the next call.
 */

/** Worker → rank 0: results (possibly none) and how many more batches it wants. */
export const TAG_RESULTS = 1;
/** Rank 0 → worker: a batch of tasks. */
export const TAG_WORK = 2;
/** Rank 0 → worker: the call is over. */
export const TAG_END = 3;
/** Worker → rank 0: acknowledges END; its last message of the call. */
export const TAG_DONE = 4;

/** How many batches a worker holds at once (the one it runs and the next). */
export const WORKER_DEPTH = 2;

/** What a batch's tasks share: their function, how they run and their time limit. */
export interface BatchHead {
  key: string;
  mode: 'item' | 'args';
  isolate: boolean;
  /** Per-attempt time limit in ms (0: none). */
  timeoutMs: number;
  graceMs: number;
}

/** A batch of tasks of one head. */
export interface Batch extends BatchHead {
  seq: number[];
  index: number[];
  /** Journal ids, when they are not the index as a string. */
  id: string[] | null;
  attempt: number[];
  arg: unknown[];
}

/** One task's result: [seq, status, value, error, ms]. */
export type ResultTuple = [number, string, unknown, unknown, number];

/** Worker → rank 0. */
export interface ResultsMessage {
  r: ResultTuple[];
  want: number;
}
