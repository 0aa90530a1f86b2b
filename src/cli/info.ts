/** `simdeck info`: which transports are usable on this machine, and why not. */
import { availableParallelism } from 'node:os';
import { createSegment, newSegmentName, unlinkSegment } from '../transport/shm/segment.js';

/** Prints the usable transports; returns the exit status (0). */
export function printInfo(): number {
  const lines: string[] = [`cores: ${availableParallelism()}  node: ${process.version}`];
  try {
    const name = newSegmentName();
    createSegment(name, { size: 1, ringBytes: 4096, spin: false, cma: false });
    unlinkSegment(name);
    lines.push('shm: usable (POSIX shared memory in /dev/shm) — the default transport');
  } catch (e) {
    lines.push(`shm: NOT usable: ${(e as Error).message}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
