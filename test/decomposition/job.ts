// Launching decomposition jobs for the tests.
import { simdeck, type JobResult } from '../helpers/job.js';

/** Runs `simdeck args` (a decomposition job). */
export function runJob(args: string[], extraEnv: Record<string, string> = {}): JobResult {
  return simdeck(args, extraEnv);
}
