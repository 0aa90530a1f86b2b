// Runs decks through the real launcher (dist/, so `npm run build` first, as `npm test` does).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './helpers.js';

export const launcher = join(root, 'dist', 'src', 'cli', 'main.js');

/** `simdeck run -n <n> <deck>`; throws if the launcher has not been built. */
export function runDeck(deck: string, n: number, env: Record<string, string> = {}, timeoutMs = 120_000): { status: number | null; signal: string | null; stdout: string; stderr: string; ms: number } {
  if (!existsSync(launcher) || !existsSync(join(root, 'dist', 'src', 'kernels', 'index.js'))) {
    throw new Error(`${launcher} or dist/src/kernels is missing: run \`npm run build\` first (npm test does)`);
  }
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [launcher, 'run', '-n', String(n), deck], {
    cwd: root, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}
