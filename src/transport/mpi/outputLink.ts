/**
 * A rank's output around the MPI launcher's forwarding. Open MPI forwards what ranks write in
 * chunks that do not end at line ends (lines of different ranks break into each other) and
 * stops forwarding when a rank calls MPI_Abort (lines already written are lost). So when
 * `simdeck run --transport mpi` collects output itself, it listens on a Unix socket
 * ({@link OUTPUT_SOCKET_ENV}) and each rank on that machine connects its stdout and stderr to
 * it, before Node opens them: what a rank wrote is then in the socket, whatever happens to the
 * rank next, and the launcher writes it out whole line by whole line (cli/output.ts). Ranks on
 * other machines (where the socket does not exist) keep the MPI launcher's forwarding.
 */
import { existsSync } from 'node:fs';
import { libcFunction } from '../../system/libc.js';

/** The Unix socket on which `simdeck run --transport mpi` collects rank output. */
export const OUTPUT_SOCKET_ENV = 'SIMDECK_OUTPUT_SOCKET';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0x80000;

/**
 * Connects fds 1 and 2 of this process to the output socket, each introduced by a line
 * `<rank> <fd>`. Must run before anything touches process.stdout or process.stderr. Returns
 * false (changing nothing) when there is no socket to connect to. Never throws.
 */
export function linkOutput(rank: number): boolean {
  const path = process.env[OUTPUT_SOCKET_ENV];
  delete process.env[OUTPUT_SOCKET_ENV]; // not for programs the deck starts
  if (!path || !existsSync(path) || Buffer.byteLength(path) > 107) return false;
  try {
    const socket = libcFunction('int socket(int domain, int type, int protocol)') as (d: number, t: number, p: number) => number;
    const connect = libcFunction('int connect(int fd, const uint8_t *addr, uint32_t len)') as (fd: number, a: Uint8Array, n: number) => number;
    const write = libcFunction('intptr_t write(int fd, const uint8_t *buf, uintptr_t n)') as (fd: number, b: Uint8Array, n: number) => number;
    const dup2 = libcFunction('int dup2(int from, int to)') as (a: number, b: number) => number;
    const close = libcFunction('int close(int fd)') as (fd: number) => number;
    const addr = new Uint8Array(110);
    addr[0] = AF_UNIX;
    const bytes = Buffer.from(path);
    addr.set(bytes, 2);
    const fds: number[] = [];
    for (const target of [1, 2]) {
      const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const head = Buffer.from(`${rank} ${target}\n`);
      if (fd < 0 || connect(fd, addr, 2 + bytes.length + 1) !== 0 || write(fd, head, head.length) !== head.length) {
        if (fd >= 0) close(fd);
        for (const f of fds) close(f);
        return false;
      }
      fds.push(fd);
    }
    fds.forEach((fd, i) => { dup2(fd, i + 1); close(fd); });
    return true;
  } catch {
    return false;
  }
}
