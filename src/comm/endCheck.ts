/**
 * The end-of-deck collective check: a collective message that no call of this rank took means
 * the ranks disagreed (one called bcast where another called reduce, or a rank skipped a
 * collective) even if nothing hung. Called by the runtime when the deck returns.
 */
import { allComms } from './comm.js';
import { checking, mismatch } from './collectiveCheck.js';

/**
 * Throws CollectiveMismatchError for the first collective message left unreceived on any
 * communicator, or a collective another rank announced differently in a shared area.
 */
export function checkCollectivesAtEnd(): void {
  if (!checking) return;
  for (const comm of allComms()) {
    const odd = comm.natives(false)?.disagreement?.() ?? null; // native collectives leave no messages behind
    if (odd !== null) throw mismatch(comm.name, odd.tag, comm.rank, comm.history.at(odd.tag, comm.collectiveCount), odd.peer, odd.sig);
    const left = comm.transport.queued(comm.context + 1);
    if (left.length === 0) continue;
    const e = left[0];
    throw mismatch(comm.name, e.tag, comm.rank, comm.history.at(e.tag, comm.collectiveCount), comm.toLocal(e.source), e.signature);
  }
}
