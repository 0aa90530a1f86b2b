/**
 * Test helpers that launch real simdeck jobs (real processes, real shared memory) through the
 * built CLI, and inspect what they leave behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = join(root, 'dist', 'src', 'cli', 'main.js');

if (!existsSync(cli)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');

export interface JobResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `simdeck <args>` to completion. */
export function simdeck(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): JobResult {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 256 * 2 ** 20,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Writes deck files (name → source) into a fresh temp directory; returns the directory. */
export function writeDecks(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'simdeck-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Runs deck source `text` on `n` ranks. */
export function runDeck(text: string, n: number, extra: string[] = [], env: Record<string, string> = {}): JobResult {
  const dir = writeDecks({ 'deck.ts': text });
  return simdeck(['run', ...extra, '-n', String(n), join(dir, 'deck.ts')], env);
}

/** Starts `simdeck <args>` without waiting; output is collected on the returned object. */
export function startSimdeck(args: string[], env: Record<string, string> = {}): { child: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...env } });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => { out.stdout += d; });
  child.stderr!.on('data', (d) => { out.stderr += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return { child, out, exited };
}

/** Segments in /dev/shm made by the launcher with pid `pid` (or by any launcher). */
export function segmentsOf(pid?: number): string[] {
  return readdirSync('/dev/shm').filter((f) => (pid === undefined ? /^simdeck-\d+-/ : new RegExp(`^simdeck-${pid}-`)).test(f));
}

/** True while process `pid` exists. */
export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Waits until `cond()` holds or `ms` pass; returns whether it held. */
export async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

/** Lines of `text` that start with `[r] ` for rank r, without the prefix. */
export function linesOf(text: string, rank: number): string[] {
  const p = `[${rank}] `;
  return text.split('\n').filter((l) => l.startsWith(p)).map((l) => l.slice(p.length));
}
