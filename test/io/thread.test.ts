// A helper's writing thread must never join the job: under MPI a second thread calling into
// MPI crashes the rank (seen with MPICH's UCX). Nothing writerThread imports may reach
// simdeck's entry, the runtime, the communicators or the transports.
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { root } from '../helpers/job.js';

it('the writing thread imports nothing that creates or uses the world', () => {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^;'"]*from\s*['"](\.[^'"]+)['"]/gm)) walk(resolve(dirname(file), m[1]));
  };
  walk(join(root, 'dist', 'src', 'io', 'writerThread.js'));
  const reached = [...seen].map((f) => relative(join(root, 'dist'), f));
  expect(reached).toContain('src/io/hdf5.js');
  expect(reached.filter((f) => /^src\/(index|runtime\/|comm\/|transport\/)|^decomposition\/index/.test(f))).toEqual([]);
});
