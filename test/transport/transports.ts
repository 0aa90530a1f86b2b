// The three transports the transport suites run on: shared memory (simdeck run), Open MPI and
// MPICH (simdeck run --transport mpi). An MPI that is missing skips outside CI and fails in CI.
import { describe } from 'vitest';
import { simdeck, type JobResult } from '../helpers/job.js';
import { describeMpi, runMpi } from '../mpi/helpers.js';

export const TRANSPORTS = ['shm', 'openmpi', 'mpich'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/** `describe` for one transport (see describeMpi for the MPI ones). */
export function describeOn(t: TransportName, name: string, body: () => void): void {
  if (t === 'shm') describe(`${name} on shm`, body);
  else describeMpi(t, name, body);
}

/** Runs `deck` with `args` on `n` ranks of transport `t`; also returns when the job ended. */
export function runOn(t: TransportName, n: number, deck: string, args: string[] = [], env: Record<string, string> = {}): JobResult & { end: number } {
  const r = t === 'shm' ? simdeck(['run', '-n', String(n), deck, ...args], env) : runMpi(t, ['-n', String(n), deck, ...args], env);
  return { ...r, end: Date.now() };
}

/** The `... at <ms>` time stamps a deck printed on lines matching `re`. */
export function stamps(stdout: string, re: RegExp): number[] {
  return stdout.split('\n').filter((l) => re.test(l)).map((l) => Number(/ at (\d+)$/.exec(l)?.[1]));
}
