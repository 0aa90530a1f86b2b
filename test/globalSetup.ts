/**
 * Vitest global set-up: every temporary file of the run (the tests' own directories, the jobs'
 * and ranks', Open MPI's session directories, the kernel and bundle caches) goes under one fresh
 * directory, named by TMPDIR for every test worker and every process it starts, and removed when
 * the run ends, so that a test run leaves nothing in /tmp however its tests end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'simdeck-tests-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
