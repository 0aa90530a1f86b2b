/**
 * Whether a process of this machine still exists, for the files simdeck names after their
 * writer's pid (stale-file sweeps, locks, job files, the shared-memory segment).
 */

/** True while process `pid` exists on this machine (this process included; EPERM counts as alive). Never throws. */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
