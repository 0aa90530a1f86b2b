/**
 * What became of a task: its final status (ok, or the cause of failure), its value or the remote
 * error, and every attempt (which rank, what happened, how long). Also the retry policy by
 * cause and the summary by cause that a farm call ends with.
 */
import { ArgumentError, describe } from '../errors.js';
import { CommandResult } from './commandResult.js';

/** Why a task failed: an exception, its time limit, its process died, or its command exited non-zero. */
export type FailureCause = 'error' | 'timeout' | 'crash' | 'exit';
/** A task's status: `ok`, or the cause of its failure. */
export type TaskStatus = 'ok' | FailureCause;
/** The causes of failure, in the order summaries list them. */
export const CAUSES: readonly FailureCause[] = ['error', 'timeout', 'crash', 'exit'];

/** An error as it travels back from the rank that ran the task. */
export interface RemoteError {
  name: string;
  message: string;
  /** The stack on the rank (or isolated child) that ran the task. */
  stack: string;
}

/** One attempt at a task. */
export interface Attempt {
  /** The rank of the pool's communicator that ran it. */
  rank: number;
  status: TaskStatus;
  /** Wall time of the attempt in milliseconds. */
  ms: number;
  /** For failures: the error's one-line message. */
  message?: string;
}

/** The final result of one task. */
export interface Outcome<T = unknown> {
  /** The task's position in the items (or its submission number). */
  index: number;
  /** The task's id in the journal (the index as a string unless an `id` function was given). */
  id: string;
  status: TaskStatus;
  /** The task's return value when ok (also kept for `exit`: the command's result). */
  value?: T;
  /** The failure, with the remote stack. */
  error?: RemoteError;
  /** Every attempt in order; the last one decided the status. Empty for a result read from the journal. */
  attempts: Attempt[];
  /** True when the result came from the journal of an earlier run (`resume`), not from running. */
  resumed?: boolean;
}

/** Counts by cause at the end of a farm call. */
export interface Summary {
  total: number;
  ok: number;
  error: number;
  timeout: number;
  crash: number;
  exit: number;
  /** Tasks taken from the journal of an earlier run. */
  resumed: number;
  /** Attempts that were retried (a task retried twice counts twice). */
  retries: number;
  /** Wall time of the call in seconds. */
  seconds: number;
}

/** Retries allowed per cause (0 when not given). */
export type RetryPolicy = Record<FailureCause, number>;

/** Checks and normalizes `retries`: a number for every cause, or a count per cause. Throws ArgumentError. */
export function retryPolicy(retries: unknown, what: string): RetryPolicy {
  const policy: RetryPolicy = { error: 0, timeout: 0, crash: 0, exit: 0 };
  if (retries === undefined) return policy;
  const check = (v: unknown, name: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1000) {
      throw new ArgumentError(`${what}: ${name} must be a whole number of retries from 0 to 1000, got ${describe(v)}`);
    }
    return v;
  };
  if (typeof retries === 'number') {
    for (const c of CAUSES) policy[c] = check(retries, 'retries');
    return policy;
  }
  if (typeof retries !== 'object' || retries === null || Array.isArray(retries)) {
    throw new ArgumentError(`${what}: retries must be a number or an object like { crash: 2, timeout: 1 }, got ${describe(retries)}`);
  }
  for (const [k, v] of Object.entries(retries)) {
    if (!(CAUSES as readonly string[]).includes(k)) {
      throw new ArgumentError(`${what}: retries has an unknown cause ${JSON.stringify(k)}; the causes are ${CAUSES.join(', ')}`);
    }
    policy[k as FailureCause] = check(v, `retries.${k}`);
  }
  return policy;
}

/** An error as data that can travel in a message. */
export function remoteError(e: unknown, where: string): RemoteError {
  if (e instanceof Error) {
    return { name: e.name, message: e.message, stack: `${e.stack ?? `${e.name}: ${e.message}`}\n    (ran on ${where})` };
  }
  return { name: 'Error', message: `a non-Error value was thrown: ${describe(e)}`, stack: `(thrown on ${where})` };
}

/**
 * The status of a task that returned `value`: a CommandResult that timed out is a `timeout`, one
 * killed by a signal a `crash`, one with a non-zero exit status an `exit`; anything else is `ok`.
 */
export function statusOfValue(value: unknown): TaskStatus {
  if (!(value instanceof CommandResult)) return 'ok';
  if (value.timedOut) return 'timeout';
  if (value.signal !== null) return 'crash';
  return value.code === 0 ? 'ok' : 'exit';
}

/** A fresh summary with every count at zero. */
export function emptySummary(): Summary {
  return { total: 0, ok: 0, error: 0, timeout: 0, crash: 0, exit: 0, resumed: 0, retries: 0, seconds: 0 };
}

/** One line for a summary: `100 tasks: 90 ok, 5 timeout, 5 error in 1.2 s (83 tasks/s)`. */
export function formatSummary(s: Summary): string {
  const parts = [`${s.ok} ok`];
  for (const c of CAUSES) if (s[c] > 0) parts.push(`${s[c]} ${c}`);
  let line = `${s.total} tasks: ${parts.join(', ')}`;
  if (s.resumed > 0) line += ` (${s.resumed} from the journal)`;
  if (s.retries > 0) line += `, ${s.retries} retried`;
  const run = s.total - s.resumed;
  line += ` in ${formatSeconds(s.seconds)}`;
  if (s.seconds > 0 && run > 0) line += ` (${formatRate(run / s.seconds)})`;
  return line;
}

/** A duration for people: `850 ms`, `12.3 s`, `4 min 10 s`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - 60 * m)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A rate for people: `83 tasks/s`, `0.5 tasks/s`. */
export function formatRate(perSecond: number): string {
  return `${perSecond >= 10 ? Math.round(perSecond) : perSecond.toFixed(1)} tasks/s`;
}
