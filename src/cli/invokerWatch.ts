/**
 * Ending a job when whoever started `simdeck run` goes away.
 *
 * `npx simdeck run ...` is three processes: npm, a `sh -c` and the Node process running the
 * launcher. Killing npm (what a user, a batch system or a test harness sees and kills) does not
 * reach the launcher: npm passes SIGTERM on to the shell, which dies without passing it further,
 * and a SIGKILL is passed on to nobody. So when npm started it, the launcher watches its parent
 * and that npm process, and ends the job as if interrupted when either is gone. Both are noted
 * when the `simdeck` command starts, so a caller killed early is still noticed. A launcher not
 * started by npm watches nothing: `nohup simdeck run ... &` or `(simdeck run ... &)` from a shell
 * that then exits must keep running, and signals reach it directly.
 */
import { readFileSync } from 'node:fs';
import { parentOf, running } from './procfs.js';

/** How often the launcher looks (ms). */
const PERIOD_MS = 100;

function commandLine(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' '); } catch { return ''; }
}

/** The npm (npx, npm exec, npm run) process this one descends from within three generations, or null. */
function npmAncestor(): number | null {
  if (process.env.npm_command === undefined && process.env.npm_execpath === undefined) return null;
  let pid = process.ppid;
  for (let depth = 0; depth < 3 && pid > 1; depth++) {
    if (/^npm( |$)|\/npm-cli\.js |\/npx-cli\.js /.test(commandLine(pid))) return pid;
    pid = parentOf(pid);
  }
  return null;
}

/** Who started this process through npm, noted when the `simdeck` command starts (main.ts imports this module first). */
const npmInvoker = process.platform === 'linux' ? npmAncestor() : null;
const invoker = npmInvoker === null ? null : { parent: process.ppid, npm: npmInvoker };

/**
 * Calls `onGone(what)` once when the npm process that started this one exits, or this process's
 * parent under it does (nothing when npm did not start it). Does not keep the event loop alive;
 * returns a function that stops watching. Never throws.
 */
export function watchInvoker(onGone: (what: string) => void): () => void {
  if (invoker === null) return () => {};
  const { parent, npm } = invoker;
  const timer = setInterval(() => {
    let what: string | null = null;
    if (process.ppid !== parent) what = `its parent process ${parent} ended`;
    else if (!running(npm)) what = `the npm process ${npm} that started it ended`;
    if (what !== null) {
      clearInterval(timer);
      onGone(what);
    }
  }, PERIOD_MS);
  timer.unref();
  return () => clearInterval(timer);
}
