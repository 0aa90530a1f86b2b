/** Reading other processes' state from Linux's /proc (the launcher's watch, PMI recovery). Never throws. */
import { readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the command name: [state, ppid, ...]; null when the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The parent process id of `pid`, or 0 when it is gone. */
export function parentOf(pid: number): number {
  return Number(statFields(pid)?.[1] ?? 0);
}

/** True while `pid` runs (a zombie waiting for its parent to reap it counts as gone). */
export function running(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z';
}
