// Live plots in real jobs: the reduced images and the PNG files LivePlots writes are the same
// bytes on 1, 2, 3 and 4 ranks (shared memory) and on Open MPI and MPICH; frames reach the
// dashboard's channel; a busy renderer makes the run skip frames, not wait.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linesOf, root, simdeck } from '../helpers/job.js';
import { describeMpi, runMpi } from '../mpi/helpers.js';

const deck = (name: string) => join(root, 'test', 'decks', 'graphics', name);
const fresh = () => mkdtempSync(join(tmpdir(), 'simdeck-plots-'));

/** Rank 0's HASH and FILE lines, and its OK lines, from a run of same.ts. */
function fingerprints(r: { status: number | null; stdout: string; stderr: string }, n: number) {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const lines = n === 1 ? r.stdout.trim().split('\n') : linesOf(r.stdout, 0);
  return {
    hashes: lines.filter((l) => l.startsWith('HASH ') || l.startsWith('FILE ')),
    ok: lines.filter((l) => l.startsWith('OK ')),
    stats: lines.find((l) => l.startsWith('STATS ')),
  };
}

describe('decomposition-independent plots (shared memory)', () => {
  it('the same reduced images and the same PNG bytes from 1, 2, 3 and 4 ranks', () => {
    const runs = [1, 2, 3, 4].map((n) => fingerprints(simdeck(['run', '-n', String(n), deck('same.ts'), fresh()]), n));
    const one = runs[0];
    expect(one.hashes.filter((l) => l.startsWith('HASH ')).length).toBe(10);
    expect(one.hashes.filter((l) => l.startsWith('FILE ')).map((l) => l.split(' ')[1])).toEqual([
      'diagnostics-000000.png', 'diagnostics-000010.png', 'field-000000.png', 'field-000005.png', 'field-000010.png', 'index.html',
      'row_77-000000.png', 'row_77-000005.png', 'row_77-000010.png',
    ]);
    expect(one.stats).toBe('STATS 8 frames 8 drawn 0 skipped 0 failed');
    for (const r of runs) {
      expect(r.hashes).toEqual(one.hashes);
      expect(r.ok).toEqual([
        'OK 2d-mean equals the serial pooling of the gathered field', 'OK 2d-min equals the serial pooling of the gathered field',
        'OK 2d-max equals the serial pooling of the gathered field', 'OK 2d-sample equals the serial pooling of the gathered field',
        'OK 2d-mean-4to1 equals the serial pooling of the gathered field', 'OK a full-resolution row is the field itself',
      ]);
    }
  });

  it('publishes every drawn frame to the dashboard channel, skips frames when the renderer is busy, writes the gallery', () => {
    const r = simdeck(['run', '-n', '2', deck('publish.ts'), fresh()]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(linesOf(r.stdout, 0).filter((l) => l.startsWith('OK ') || l.startsWith('BAD '))).toEqual([
      'OK frames were skipped, not waited for, and counted',
      'OK every drawn frame arrived on the dashboard channel as a PNG',
      'OK the published frame is the numbered file',
      'OK gallery with a frame scrubber and no network',
    ]);
  });
});

for (const mpi of ['openmpi', 'mpich'] as const) {
  describeMpi(mpi, 'decomposition-independent plots', () => {
    it('gives the shared-memory run\'s bytes on 3 ranks', () => {
      const shm = fingerprints(simdeck(['run', '-n', '1', deck('same.ts'), fresh()]), 1);
      const got = fingerprints(runMpi(mpi, ['-n', '3', deck('same.ts'), fresh()]), 3);
      expect(got.hashes).toEqual(shm.hashes);
      expect(got.ok.length).toBe(6);
    });
  });
}
