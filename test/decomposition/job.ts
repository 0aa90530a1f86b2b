// Launching decomposition jobs for the tests.
import { simdeck, type JobResult } from '../helpers/job.js';

// KNOWN BUG in src/comm/collectives.ts (reported with issue 6): while a rank waits in a collective,
// Coll.checkQueued runs progress() itself every 4096 polls; that progress can take the awaited
// message and the next collective's message together, and checkQueued then reports the next one
// as a mismatch ("rank 0 called dup() but rank 1 called nothing yet (it has not reached that
// collective)") although every rank makes the same calls. SIMDECK_COLLECTIVE_CHECK=0 does not
// avoid it. Until it is fixed, a job that fails with exactly that message is run again (up to
// three times), and the retry is printed; any other failure fails the test at once.
const FALSE_MISMATCH = /CollectiveMismatchError: collective mismatch on \S+ at collective #(\d+) \(this rank is at #(\d+)\): rank \d+ called [^\n]* but rank \d+ called nothing yet \(it has not reached that collective\)/;

/** Runs `simdeck args`, again when it failed only with the known false collective mismatch. */
export function runJob(args: string[], extraEnv: Record<string, string> = {}): JobResult {
  let r = simdeck(args, extraEnv);
  for (let retry = 1; retry <= 3 && r.status !== 0 && isFalseMismatch(r.stderr); retry++) {
    console.warn(`retrying \`simdeck ${args.join(' ')}\` (known src bug, false collective mismatch): ${FALSE_MISMATCH.exec(r.stderr)![0].slice(0, 160)}`);
    r = simdeck(args, extraEnv);
  }
  return r;
}

function isFalseMismatch(stderr: string): boolean {
  const m = FALSE_MISMATCH.exec(stderr);
  return m !== null && Number(m[1]) === Number(m[2]) + 1;   // the very next collective, queued early
}

