// Live plots in real jobs: the reduced images and the PNG files LivePlots writes are the same
// bytes on 1, 2, 3 and 4 ranks (shared memory) and on Open MPI and MPICH; frames reach the
// dashboard's channel; a busy renderer makes the run skip frames, not wait.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linesOf, root, simdeck } from '../helpers/job.js';
import { describeMpi, runMpi } from '../mpi/helpers.js';
import { colormapTable } from '../../src/graphics/colormaps.js';
import { layoutHeatmap } from '../../src/graphics/heatmapFigure.js';
import { decodePng } from '../../src/graphics/png.js';
import { ownKernelsEnabled } from '../../src/kernels/own.js';
import { saveImage } from './images.js';

const deck = (name: string) => join(root, 'test', 'decks', 'graphics', name);
const fresh = () => mkdtempSync(join(tmpdir(), 'simdeck-plots-'));
/** Per job: a shared 2-core machine under load can take a minute for a job that takes seconds when quiet. */
const SLOW = 300_000;
/** Where `cc` runs (and SIMDECK_NATIVE does not turn it off), the live 4:1 pooling must be native on every rank (under CI=true always: CI installs gcc). */
const NATIVE = (spawnSync('cc', ['--version']).status === 0 && ownKernelsEnabled()) || process.env.CI === 'true' ? 'NATIVE every rank' : 'NATIVE no rank';

/** Rank 0's HASH and FILE lines, and its OK lines, from a run of same.ts. */
function fingerprints(r: { status: number | null; stdout: string; stderr: string }, n: number) {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const lines = n === 1 ? r.stdout.trim().split('\n') : linesOf(r.stdout, 0);
  return {
    hashes: lines.filter((l) => l.startsWith('HASH ') || l.startsWith('FILE ')),
    ok: lines.filter((l) => l.startsWith('OK ')),
    stats: lines.find((l) => l.startsWith('STATS ')),
    native: lines.find((l) => l.startsWith('NATIVE ')),
  };
}

describe('decomposition-independent plots (shared memory)', () => {
  it('the same reduced images and the same PNG bytes from 1, 2, 3 and 4 ranks, with the 4:1 pooling in C and in JavaScript (SIMDECK_NATIVE=0)', () => {
    const runs = [1, 2, 3, 4].map((n) => fingerprints(simdeck(['run', '-n', String(n), deck('same.ts'), fresh()], {}, SLOW), n));
    const js = [1, 3].map((n) => fingerprints(simdeck(['run', '-n', String(n), deck('same.ts'), fresh()], { SIMDECK_NATIVE: '0' }, SLOW), n));
    const one = runs[0];
    expect(one.hashes.filter((l) => l.startsWith('HASH ')).length).toBe(10);
    expect(one.hashes.filter((l) => l.startsWith('FILE ')).map((l) => l.split(' ')[1])).toEqual([
      'diagnostics-000000.png', 'diagnostics-000010.png', 'field-000000.png', 'field-000005.png', 'field-000010.png',
      'field4-000000.png', 'field4-000005.png', 'field4-000010.png', 'index.html',
      'row_77-000000.png', 'row_77-000005.png', 'row_77-000010.png',
    ]);
    expect(one.stats).toBe('STATS 11 frames 11 drawn 0 skipped 0 failed');
    for (const r of runs) expect(r.native).toBe(NATIVE);
    for (const r of js) expect(r.native).toBe('NATIVE no rank');
    for (const r of [...runs, ...js]) {
      expect(r.hashes).toEqual(one.hashes);
      expect(r.ok).toEqual([
        'OK 2d-mean equals the serial pooling of the gathered field', 'OK 2d-min equals the serial pooling of the gathered field',
        'OK 2d-max equals the serial pooling of the gathered field', 'OK 2d-sample equals the serial pooling of the gathered field',
        'OK 2d-mean-4to1 equals the serial pooling of the gathered field',
        'OK 2d-mean and 2d-mean-4to1 in single precision are the double-precision images rounded, with their exact min and max',
        'OK a full-resolution row is the field itself',
      ]);
    }
  }, 4 * SLOW);

  it('publishes every drawn frame to the dashboard channel, skips frames when the renderer is busy, writes the gallery', () => {
    const r = simdeck(['run', '-n', '2', deck('publish.ts'), fresh()], {}, SLOW);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(linesOf(r.stdout, 0).filter((l) => l.startsWith('OK ') || l.startsWith('BAD '))).toEqual([
      'OK frames were skipped, not waited for, and counted',
      'OK every drawn frame arrived on the dashboard channel as a PNG',
      'OK the published frame is the numbered file',
      'OK gallery with a frame scrubber and no network',
    ]);
  }, SLOW);

  it('bad arguments throw ArgumentError on every rank before any message, and the plots go on working', () => {
    const r = simdeck(['run', '-n', '3', deck('errors.ts')], {}, SLOW);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(linesOf(r.stdout, 0)).toEqual([
      'a heat map of a 3-D region needs slice or project', 'unknown pooling', 'component out of range', 'region outside the grid',
      'slice past the end', 'unknown colour map', 'state without a step', 'bad cadence', 'bad queue', 'profile without axis',
      'series of non-numbers', 'density without extent', 'options changed between frames are checked at the drawing step',
      'a bad state between frames', 'closed plots refuse a call with the options checked before', 'between frames each plot draws at its own steps',
      'the plots still work after the errors',
    ].map((c) => `OK ${c}`));
  }, SLOW);
});

for (const mpi of ['openmpi', 'mpich'] as const) {
  describeMpi(mpi, 'decomposition-independent plots', () => {
    it('gives the shared-memory run\'s bytes on 3 ranks', () => {
      const shm = fingerprints(simdeck(['run', '-n', '1', deck('same.ts'), fresh()], {}, SLOW), 1);
      const got = fingerprints(runMpi(mpi, ['-n', '3', deck('same.ts'), fresh()], {}, SLOW), 3);
      expect(got.hashes).toEqual(shm.hashes);
      expect(got.ok.length).toBe(7);
    }, 2 * SLOW);
  });
}

describe('the guide\'s example deck (native-examples/heat2d/plots.ts)', () => {
  it('writes every frame, the gallery, and a temperature map that is hot in the middle and cold at the corners', () => {
    const dir = fresh();
    const r = simdeck(['run', '-n', '2', join(root, 'native-examples', 'heat2d', 'plots.ts'), dir], {}, SLOW);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = linesOf(r.stdout, 0);
    expect(out[0]).toBe('heat2d 512x512 on 2 ranks, 400 steps: 13 frames made, 13 drawn, 0 skipped');
    expect(out[1]).toBe(`gallery: ${dir}/index.html`);
    expect(out[2]).toMatch(/^graphics on the critical path: \d+\.\d ms per frame$/);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['centre_line-000000.png', 'centre_line-000100.png', 'centre_line-000200.png', 'centre_line-000300.png', 'centre_line-000400.png',
      'diagnostics-000000.png', 'diagnostics-000200.png', 'diagnostics-000400.png', 'index.html',
      'temperature-000000.png', 'temperature-000100.png', 'temperature-000200.png', 'temperature-000300.png', 'temperature-000400.png']);
    const png = new Uint8Array(readFileSync(join(dir, 'temperature-000400.png')));
    const img = decodePng(png);
    const fig = layoutHeatmap({ values: new Float64Array(256 * 256), nx: 256, ny: 256 }, { title: 't', label: 'T', unit: 'K', extent: [0, 1, 0, 1], xlabel: 'x', ylabel: 'y', range: [0, 1] });
    const at = (fx: number, fy: number) => { const x = fig.geometry.plot.x + Math.floor(fx * fig.geometry.plot.w), y = fig.geometry.plot.y + Math.floor(fy * fig.geometry.plot.h); const o = (y * img.width + x) * img.channels; return [img.pixels[o], img.pixels[o + 1], img.pixels[o + 2]]; };
    const magma = colormapTable('magma');
    expect(at(0.5, 0.5)).toEqual([magma[765], magma[766], magma[767]]); // the centre is still at the top of the scale
    expect(at(0.05, 0.05)).toEqual([magma[0], magma[1], magma[2]]);     // a corner never warmed
    for (const f of ['temperature-000400.png', 'centre_line-000400.png', 'diagnostics-000400.png']) saveImage(`heat2d-${f.replace(/-0+(\d)/, '-$1')}`, new Uint8Array(readFileSync(join(dir, f))));
  }, SLOW);
});
