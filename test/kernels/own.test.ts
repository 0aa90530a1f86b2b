// simdeck's own C kernels (src/kernels/own.ts): compiled once with the real cc into the kernel
// cache with the flags that keep their arithmetic the portable loops' own, loaded from the cache
// by later processes, and null with a reason — never an exception — when turned off, when the
// source is missing or when the compiler cannot run. Each case runs in a fresh Node process,
// since a process keeps what it found.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { describeIfAvailable } from '../helpers/needs.js';
import { freshDir, hasCc, root } from './helpers.js';

/** An own kernel source that ships with simdeck. */
const NAME = 'couple/maps';

interface Found { lib: boolean; path?: string; reason?: string }

/** ownKernelsStatus(name) in a fresh process with `env` added. */
function status(name: string, env: Record<string, string>): Found {
  const script = `const m = await import(${JSON.stringify(join(root, 'dist/src/kernels/own.js'))});
const s = m.ownKernelsStatus(${JSON.stringify(name)});
console.log(JSON.stringify({ lib: s.lib !== null, path: s.path, reason: s.reason }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim()) as Found;
}

/** A `cc` that logs its arguments for each compile (-c) to `log`, then runs the real cc. */
function loggingCc(dir: string): { cc: string; compiles: () => string[] } {
  const log = join(dir, 'cc.log'), cc = join(dir, 'cc-logging');
  writeFileSync(cc, `#!/bin/sh\ncase " $* " in *" -c "*) echo "$*" >> ${JSON.stringify(log)};; esac\nexec cc "$@"\n`);
  chmodSync(cc, 0o755);
  return { cc, compiles: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter((l) => l !== '') : []) };
}

describeIfAvailable('own kernels', { ok: hasCc, why: 'no cc on PATH' }, 'a C compiler (cc)', 'apt-get install gcc', () => {
  test('compiled once into the cache without -march=native or fused multiply-add, then loaded from it', () => {
    const dir = freshDir(), cache = join(dir, 'cache');
    const { cc, compiles } = loggingCc(dir);
    const env = { SIMDECK_CACHE_DIR: cache, SIMDECK_CC: cc, SIMDECK_CFLAGS: '-O0 -march=native' };
    const first = status(NAME, env);
    expect(first.reason).toBeUndefined();
    expect(first.lib).toBe(true);
    expect(first.path?.startsWith(cache)).toBe(true);
    const second = status(NAME, env);
    expect(second).toEqual(first);
    const lines = compiles();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('-ffp-contract=off');
    expect(lines[0]).not.toContain('-march=native'); // SIMDECK_CFLAGS is for decks' kernels, not simdeck's
  });

  test('null with the reason when turned off, when the compiler cannot run, or when there is no such source', () => {
    const cache = join(freshDir(), 'cache');
    for (const off of ['0', 'off', 'false']) {
      expect(status(NAME, { SIMDECK_CACHE_DIR: cache, SIMDECK_NATIVE: off })).toEqual({ lib: false, reason: 'SIMDECK_NATIVE turns native kernels off' });
    }
    const broken = status(NAME, { SIMDECK_CACHE_DIR: cache, SIMDECK_CC: '/bin/false' });
    expect(broken.lib).toBe(false);
    expect(broken.reason).toMatch(/cannot run the C compiler '\/bin\/false'/);
    expect(status('graphics/no-such-kernel', { SIMDECK_CACHE_DIR: cache })).toEqual({ lib: false, reason: 'source src/graphics/no-such-kernel.c not found beside simdeck' });
    expect(existsSync(cache)).toBe(false); // nothing was built
  });
});
