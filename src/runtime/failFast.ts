/**
 * Fail fast on a rank: an uncaught exception or unhandled rejection prints `[rank r]`, the
 * message and the stack on stderr, sets the job's abort word (every other rank stops within a
 * fraction of a second) and exits non-zero. The launcher reports it and cleans up.
 *
 * Nothing a rank printed is lost: stdout and stderr are made synchronous first (see
 * {@link makeOutputSynchronous}), so every line written before a throw, a `process.exit(n)`,
 * a signal or an abort is already in the pipe, and lines appear while the rank blocks in a
 * simdeck call (whose waits never return to Node's event loop).
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

/**
 * Makes this process's stdout and stderr write synchronously when they are pipes (on Linux,
 * Node writes to pipes asynchronously: what is still queued when the process exits or is
 * killed is lost, and nothing queued moves while the deck's thread blocks). Terminals and files
 * are synchronous already. A write then blocks while the pipe is full, until the launcher reads.
 * Each stream is switched on its first access through `process.stdout` / `process.stderr`
 * (which is where Node creates it: a pipe's stream loads Node's net and stream modules, ~15 ms
 * of a rank's start-up, which a rank that prints nothing does not need), so call this before
 * anything writes (as the rank start-up does).
 */
export function makeOutputSynchronous(): void {
  const synchronous = (stream: NodeJS.WriteStream) => {
    const handle = (stream as unknown as { _handle?: { setBlocking?: (on: boolean) => number } })._handle;
    handle?.setBlocking?.(true);
    return stream;
  };
  for (const name of ['stdout', 'stderr'] as const) {
    const own = Object.getOwnPropertyDescriptor(process, name);
    const create = own?.get;
    if (create === undefined || own?.configurable !== true) { synchronous(process[name]); continue; }
    let stream: NodeJS.WriteStream | null = null;
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: own.enumerable,
      get: () => (stream ??= synchronous(create.call(process) as NodeJS.WriteStream)),
    });
  }
}

/** Installs the fail-fast handlers for this rank (and makes its output synchronous). `transport` is looked up lazily (the deck may fail before the world exists). */
export function installFailFast(rank: number, transport: () => Transport | null): void {
  makeOutputSynchronous();
  // An error raised deep in simdeck (a collective waiting in the transport) keeps the deck's
  // own frame, which Node's default of 10 frames would cut off.
  Error.stackTraceLimit = Math.max(Error.stackTraceLimit, 50);
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
