/**
 * Getting back the PMI connection that `npx` drops.
 *
 * MPICH's Hydra (`mpiexec.mpich`) and Slurm's PMI-2 plugin (`srun --mpi=pmi2`) hand each rank
 * its connection to the process manager as an inherited socket whose number is in `PMI_FD`.
 * `npx simdeck deck.ts` is three processes — npm, `sh -c`, then Node running simdeck — and Node's
 * `child_process` passes only stdin, stdout and stderr to its children, so the rank sees `PMI_FD=6`
 * while its descriptor 6 is closed or, worse, something else: MPI_Init then fails with
 * "write_line error; fd=6". The socket is still open in the process the launcher started
 * (npm). This module finds that ancestor — the topmost one with the same `PMI_FD` and rank in
 * its environment — and copies the socket into this process with `pidfd_getfd` (Linux 5.6+),
 * then points `PMI_FD` at the copy before MPI is loaded.
 *
 * `pidfd_getfd` needs the right to ptrace the ancestor: the same user and, where Yama's
 * `ptrace_scope` is 1 or more (Ubuntu's default), CAP_SYS_PTRACE. When refused, the error says
 * which launch forms do not need it (Hydra's `-pmi-port`, or the `simdeck` bin without npx).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { errno, libcFunction } from '../system/libc.js';
import { TransportError } from '../errors.js';
import { parentOf } from './procfs.js';

/** pidfd_open and pidfd_getfd system call numbers (the same on every architecture since 5.x). */
const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;

/** Where a PMI descriptor came from: nothing to do, copied from an ancestor, or not available. */
export type PmiFdOutcome =
  | { kind: 'none' | 'inherited' }
  | { kind: 'recovered'; from: number; fd: number }
  | { kind: 'lost'; why: string };

function readEnviron(pid: number | 'self'): Map<string, string> | null {
  try {
    const map = new Map<string, string>();
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) map.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return map;
  } catch {
    return null;
  }
}

function fdTarget(pid: number | 'self', fd: number): string | null {
  try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return null; }
}

/**
 * The process an MPI launcher started for this rank when this process descends from it with
 * `PMI_FD` unchanged: the topmost ancestor whose environment has the same PMI_FD and PMI_RANK.
 */
function launchedAncestor(fd: string, rank: string | undefined): number | null {
  let found: number | null = null;
  let pid = process.ppid;
  for (let depth = 0; depth < 16 && pid > 1; depth++) {
    const env = readEnviron(pid);
    if (env === null || env.get('PMI_FD') !== fd || env.get('PMI_RANK') !== rank) break;
    found = pid;
    pid = parentOf(pid);
  }
  return found;
}

/**
 * Makes `PMI_FD` usable in this process (see the module comment). Call before libmpi is loaded;
 * does nothing unless PMI_FD is set and this process was not started directly by the launcher.
 * Never throws: returns what it did, or why the connection is lost.
 */
export function recoverPmiFd(env: NodeJS.ProcessEnv = process.env): PmiFdOutcome {
  const fdText = env.PMI_FD;
  if (fdText === undefined || !/^\d+$/.test(fdText) || process.platform !== 'linux') return { kind: 'none' };
  const fd = Number(fdText);
  const ancestor = launchedAncestor(fdText, env.PMI_RANK);
  if (ancestor === null) return { kind: 'inherited' }; // started by the launcher itself
  const theirs = fdTarget(ancestor, fd);
  if (theirs === null || !theirs.startsWith('socket:')) return { kind: 'inherited' };
  if (fdTarget('self', fd) === theirs) return { kind: 'inherited' }; // the socket did come through
  try {
    const pidfdOpen = libcFunction('long syscall(long nr, int pid, unsigned int flags)');
    const pidfdGetfd = libcFunction('long syscall(long nr, int pidfd, int targetfd, unsigned int flags)');
    const close = libcFunction('int close(int fd)');
    const pidfd = Number(pidfdOpen(SYS_PIDFD_OPEN, ancestor, 0));
    if (pidfd < 0) return { kind: 'lost', why: `pidfd_open(${ancestor}) failed (errno ${errno()})` };
    const copy = Number(pidfdGetfd(SYS_PIDFD_GETFD, pidfd, fd, 0));
    const err = errno();
    close(pidfd);
    if (copy < 0) {
      return { kind: 'lost', why: `pidfd_getfd on process ${ancestor} failed (errno ${err}${err === 1 ? ': not permitted to ptrace it' : ''})` };
    }
    env.PMI_FD = String(copy);
    return { kind: 'recovered', from: ancestor, fd: copy };
  } catch (e) {
    return { kind: 'lost', why: (e as Error).message };
  }
}

/** The error for a PMI connection that could not be recovered: what happened and which launch forms avoid it. */
export function lostPmiError(why: string): TransportError {
  return new TransportError(
    'cannot join the MPI job: the launcher passed its PMI connection as an inherited descriptor (PMI_FD), ' +
    `which npx does not pass on, and it could not be copied from the npx process (${why}). ` +
    'Start the ranks without npx (mpiexec.mpich -n N ./node_modules/.bin/simdeck deck.ts), or let Hydra use a port ' +
    '(mpiexec.mpich -pmi-port -n N npx simdeck deck.ts), or let simdeck start the launcher (npx simdeck run --mpi mpich -n N deck.ts).');
}
