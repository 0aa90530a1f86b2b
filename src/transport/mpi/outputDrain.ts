/**
 * Before a rank calls MPI_Abort: waits (briefly) until the MPI launcher has read what this rank
 * wrote to stdout and stderr. Launchers read the ranks' output through pipes (MPICH's hydra for
 * both streams, Open MPI's for stderr) and stop forwarding once they handle the abort, so a
 * message written just before MPI_Abort could be lost, the rank's error report with it (seen in
 * CI with MPICH: the job failed with nothing on stderr).
 */
import { libcFunction } from '../../system/libc.js';

const FIONREAD = 0x541b; // bytes not yet read from a pipe (either end)
const TIOCOUTQ = 0x5411; // bytes not yet sent from a terminal or socket

type Ioctl = (fd: number, request: number, ...rest: unknown[]) => number;
let ioctl: Ioctl | null | undefined;

function pending(fd: number, request: number): number {
  ioctl ??= (() => {
    try {
      return libcFunction('int ioctl(int fd, unsigned long request, ...)') as Ioctl;
    } catch {
      return null;
    }
  })();
  if (ioctl === null) return 0;
  const n = new Int32Array(1);
  return ioctl(fd, request, 'int *', n) === 0 ? n[0] : 0;
}

/** Waits up to `limitMs` until nothing this process wrote to fds 1 and 2 is waiting to be read. Blocking. */
export function drainOutput(limitMs = 500): void {
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    let left = 0;
    for (const fd of [1, 2]) left += pending(fd, FIONREAD) + pending(fd, TIOCOUTQ);
    if (left === 0) return;
    Atomics.wait(sleep, 0, 0, 1);
  }
}
