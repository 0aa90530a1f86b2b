// What tests read of running processes in /proc.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The rank processes a `simdeck run` launcher with pid `ppid` started (its children running
 * the rank bootstrap, bootShm). Other children, such as esbuild's service while a deck is compiled
 * on a machine with no cached bundle, are left out.
 */
export function rankProcesses(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== ppid) continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('bootShm')) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

/** utime + stime of a process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
