// Fail-fast through the real launcher: a kernel that dereferences NULL on rank 1 ends the 2-rank
// job quickly, and the launcher's message names the rank, SIGSEGV and the kernel entered last.
import { expect, test } from 'vitest';
import { fixture, freshDir } from './helpers.js';
import { runDeck } from './launcher.js';

test('a segfault inside a kernel ends a 2-rank job naming the rank, SIGSEGV and the kernel', () => {
  // a fresh cache: both ranks load (and one compiles) crash.c inside the job
  const r = runDeck(fixture('crash_deck.ts'), 2, { SIMDECK_CACHE_DIR: freshDir() }, 60_000);
  const message = r.stdout + r.stderr;
  expect(r.signal).toBeNull();              // the launcher itself ended, it was not killed by the timeout
  expect(r.status).not.toBe(0);
  expect(message).toMatch(/rank 1/);
  expect(message).toMatch(/SIGSEGV/);
  expect(message).toMatch(/crash_null/);
  expect(r.ms).toBeLessThan(30_000);
});
