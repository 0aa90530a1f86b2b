// Read once, hand over: ranks other than the reader (the launcher on shared memory, world rank
// 0 under MPI) make at most a handful of file-system calls on the project's and the user's files
// to start, counted with strace per process (scripts/startup-strace.mjs).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeIfAvailable } from '../helpers/needs.js';
import { root } from '../helpers/job.js';
import { availability } from '../mpi/helpers.js';
// @ts-expect-error: a plain .mjs script without type declarations
import { traceJob, worstNonReader } from '../../scripts/startup-strace.mjs';

interface Job { ranks: { rank: number; path: number; top: string[] }[]; readerRank: number | null }

const strace = (() => {
  const r = spawnSync('strace', ['-V'], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true, why: '' } : { ok: false, why: 'strace is not installed' };
})();
const deck = join(root, 'test', 'bench', 'decks', 'hello.ts');

function check(job: Job, ranks: number): void {
  expect(job.ranks.map((r) => r.rank)).toEqual(Array.from({ length: ranks }, (_, k) => k));
  const worst = worstNonReader(job) as number;
  // What the ranks touched, should this fail: the eight most frequent calls of each.
  expect(worst, JSON.stringify(job.ranks.map((r) => [r.rank, r.path, r.top]))).toBeLessThanOrEqual(5);
}

describeIfAvailable('start-up file-system calls per rank', strace, 'strace', 'apt-get install strace', () => {
  it('shared memory, 4 ranks: at most 5 calls on project and user files on each rank', () => {
    check(traceJob({ transport: 'shm', ranks: 4, deck }) as Job, 4);
  }, 180_000);
  const openmpi = availability('openmpi');
  it.runIf(openmpi.ok || process.env.CI === 'true')('Open MPI, 4 ranks: at most 5 on every rank but the reader (world rank 0)', () => {
    const job = traceJob({ transport: 'mpi', mpi: 'openmpi', ranks: 4, deck }) as Job;
    expect(job.readerRank).toBe(0);
    check(job, 4);
  }, 240_000);
});
