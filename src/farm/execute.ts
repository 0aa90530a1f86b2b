/**
 * Runs one task in this process (a rank, or an isolated child) and reports what happened as
 * data that can travel: status, value or remote error, wall time.
 */
import { CommandResult } from './commandResult.js';
import { lookup, missingMessage } from './registry.js';
import { remoteError, statusOfValue, type RemoteError, type TaskStatus } from './outcome.js';

/** What a task function gets as its second argument (map) or from taskContext() (submit). */
export interface TaskContext {
  /** The rank of the pool's communicator running the task. */
  rank: number;
  /** The task's position in the items (or submission number). */
  index: number;
  /** The task's journal id. */
  id: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
  /** The pool's shared read-only data (see Pool.share). */
  shared: unknown;
}

/** How a task ran: `missing` when this process does not know its function. */
export interface Execution {
  status: TaskStatus | 'missing';
  value?: unknown;
  error?: RemoteError;
  ms: number;
}

let current: TaskContext | null = null;

/** The context of the task running now on this rank (null outside a task). For `submit` functions, which get only their own arguments. */
export function taskContext(): TaskContext | null {
  return current;
}

/** Runs the task function registered as `key` on `arg` (`item`: fn(arg, ctx); `args`: fn(...arg)). Never throws. */
export function executeTask(key: string, mode: 'item' | 'args', arg: unknown, ctx: TaskContext, where: string): Execution {
  const fn = lookup(key);
  if (fn === undefined) return { status: 'missing', error: { name: 'FarmFunctionError', message: missingMessage(key, where), stack: '' }, ms: 0 };
  const started = performance.now();
  const outer = current;
  current = ctx;
  try {
    const value = mode === 'item' ? fn(arg, ctx) : fn(...(arg as unknown[]));
    const ms = performance.now() - started;
    if (value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function') {
      return { status: 'error', error: { name: 'TypeError', message: 'the task function returned a Promise: task functions run on the deck\'s synchronous thread and must return their result directly', stack: '' }, ms };
    }
    const status = statusOfValue(value);
    if (status === 'ok') return { status, value, ms };
    const result = value as CommandResult;
    const tail = result.stderr.trimEnd().split('\n').slice(-5).join('\n');
    return {
      status, value: plainCommand(result), ms,
      error: { name: 'CommandFailed', message: `${result.toString()}${tail ? `; stderr ends:\n${tail}` : ''}`, stack: `(ran on ${where})` },
    };
  } catch (e) {
    return { status: 'error', error: remoteError(e, where), ms: performance.now() - started };
  } finally {
    current = outer;
  }
}

/** A CommandResult as a plain object (what arrives on rank 0 after a message). */
function plainCommand(r: CommandResult): Record<string, unknown> {
  return { command: r.command, code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: r.ms, timedOut: r.timedOut };
}
