/**
 * simdeck/farm: hand many independent tasks — deck functions or external programs — to the ranks
 * of a job and get every result back exactly once: dynamic load balancing with adaptive batches,
 * time limits, failures classified by cause (error, timeout, crash, exit) with retries on another
 * rank, isolated child processes for native code that may crash, a JSON-lines journal to resume
 * from, and progress on the terminal and in the steering dashboard. See docs/farm.md.
 */
export { Pool, TaskHandle, type MapOptions, type IMapOptions, type TaskOptions, type ItemFunction } from './pool.js';
export { task } from './registry.js';
export { run, type RunOptions } from './command.js';
export { CommandResult } from './commandResult.js';
export { taskContext, type TaskContext } from './execute.js';
export { readJournal, type JournalRecord } from './journal.js';
export {
  CAUSES, formatSummary, type Attempt, type FailureCause, type Outcome, type RemoteError, type Summary, type TaskStatus,
} from './outcome.js';
export type { ProgressMode } from './progress.js';
export { CommandError, FarmFunctionError, FarmUsageError, RemoteTaskError, TaskFailedError } from './errors.js';
