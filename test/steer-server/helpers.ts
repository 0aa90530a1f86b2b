// Shared by the steering-server tests: a steered job of the stand-in loop (test/decks/steer/harness.ts)
// with a private runtime directory, and describe() variants for suites that need chromium or tmux
// (skipped with a message outside CI, failing in CI when the tool is missing).
import { describeIfAvailable } from '../helpers/needs.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, startSimdeck, until } from '../helpers/job.js';

export const harness = join(root, 'test', 'decks', 'steer', 'harness.ts');

/** A running steered job. */
export interface SteeredJob {
  url: string;
  origin: string;
  port: number;
  token: string;
  ws: string;
  runtimeDir: string;
  env: Record<string, string>;
  out: { stdout: string; stderr: string };
  child: ReturnType<typeof startSimdeck>['child'];
  exited: ReturnType<typeof startSimdeck>['exited'];
}

const started: SteeredJob[] = [];

/** Kills the jobs a test started and left running (a failed test); use in afterEach. */
export function cleanupJobs(): void {
  for (const job of started.splice(0)) if (job.child.exitCode === null && job.child.signalCode === null) job.child.kill('SIGKILL');
}

/** Starts the harness on `n` ranks with steering on; resolves once rank 0 printed its URL. */
export async function startSteered(n: number, steps: number, msPerStep: number, extraEnv: Record<string, string> = {}, runArgs: string[] = [], deck = harness): Promise<SteeredJob> {
  const runtimeDir = mkdtempSync(join(tmpdir(), 'simdeck-xdg-'));
  // The real loop writes its command log to SIMDECK_STEER_LOG (default: the working directory).
  const env = { XDG_RUNTIME_DIR: runtimeDir, SIMDECK_STEER: '1', SIMDECK_STEER_LOG: join(runtimeDir, 'steer.jsonl'), ...extraEnv };
  const job = startSimdeck(['run', ...runArgs, '-n', String(n), deck, String(steps), String(msPerStep)], env);
  started.push({ child: job.child } as SteeredJob);
  // The harness prints `STEER url`; the real loop prints `steering: url` on rank 0.
  const url = /(?:STEER|steering:) (http\S+)/;
  const seen = await until(() => url.test(job.out.stdout) || job.child.exitCode !== null, 120_000);
  const m = url.exec(job.out.stdout);
  if (!seen || m === null) throw new Error(`the steered job did not start:\n${job.out.stdout}\n${job.out.stderr}`);
  const u = new URL(m[1]);
  const token = u.searchParams.get('token')!;
  return { url: m[1], origin: u.origin, port: Number(u.port), token, ws: `ws://${u.host}/ws?token=${token}`, runtimeDir, env, out: job.out, child: job.child, exited: job.exited };
}

/** Lines `[r] WORD ...` of a job's output, as [rank, rest] pairs. */
export function events(stdout: string, word: string): [number, string][] {
  const out: [number, string][] = [];
  for (const l of stdout.split('\n')) {
    const m = /^\[(\d+)\] (\S+) ?(.*)$/.exec(l);
    if (m && m[2] === word) out.push([Number(m[1]), m[3]]);
  }
  return out;
}

/** The job file of a runtime directory (there is one job per test directory). */
export function jobFileOf(runtimeDir: string, pidHint?: number): string | null {
  const dir = join(runtimeDir, 'simdeck');
  if (!existsSync(dir)) return null;
  const files = (spawnSync('ls', [dir], { encoding: 'utf8' }).stdout ?? '').split('\n').filter((f) => f.endsWith('.json'));
  const f = pidHint !== undefined && files.includes(`${pidHint}.json`) ? `${pidHint}.json` : files[0];
  return f ? join(dir, f) : null;
}

/** Reads a file, '' if it is missing. */
export function readOr(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** `describe` for suites needing a system tool: outside CI skipped with `install`, in CI a failing test. */
export function describeNeeding(available: boolean, what: string, install: string): (name: string, body: () => void) => void {
  return (name, body) => describeIfAvailable(name, { ok: available, why: `${what} is not installed` }, what, install, body);
}

export const hasChromium = existsSync('/usr/bin/chromium');
export const hasTmux = spawnSync('tmux', ['-V']).status === 0;
