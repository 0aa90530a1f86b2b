import { defineConfig } from 'vitest/config';

// Multi-rank tests launch real jobs of real processes; on a 2-core machine they are run one
// file at a time so that jobs do not oversubscribe each other's cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // one temporary directory per run, removed at its end (test/globalSetup.ts)
    globalSetup: ['test/globalSetup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
