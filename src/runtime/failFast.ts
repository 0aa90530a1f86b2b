/**
 * Fail fast on a rank: an uncaught exception or unhandled rejection prints `[rank r]`, the
 * message and the stack on stderr, sets the job's abort word (every other rank stops within a
 * fraction of a second) and exits non-zero. The launcher reports it and cleans up.
 */
import { JobAbortedError } from '../errors.js';
import { Abort } from '../transport/shm/segment.js';
import type { Transport } from '../transport/transport.js';
import { EXIT_ABORTED } from './jobEnv.js';

/** Formats an error (or any thrown value) with every line prefixed `[rank r] `. */
export function formatRankError(rank: number, error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : `uncaught value: ${String(error)}`;
  return text.split('\n').map((line) => `[rank ${rank}] ${line}`).join('\n') + '\n';
}

/** Installs the fail-fast handlers for this rank. `transport` is looked up lazily (the deck may fail before the world exists). */
export function installFailFast(rank: number, transport: () => Transport | null): void {
  let failing = false;
  const fail = (error: unknown) => {
    if (failing) process.exit(1);
    failing = true;
    if (error instanceof JobAbortedError) process.exit(EXIT_ABORTED);
    process.stderr.write(formatRankError(rank, error));
    try {
      transport()?.abort(Abort.ERROR, 'rank failed');
    } catch { /* abort() throws by design */ }
    process.exit(1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}
