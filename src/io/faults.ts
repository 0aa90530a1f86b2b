/**
 * Fault injection for the fault tests: with SIMDECK_IO_PAUSE=write:N (or archive:N) a writing
 * rank stops in the middle of writing (or archiving) its N-th file (default the first), says so
 * on stderr with its pid and sleeps, so that a test can SIGKILL it right there. Unset, nothing
 * happens.
 */

/** The environment variable that names the phase to pause in: 'write[:N]' or 'archive[:N]'. */
export const PAUSE_ENV = 'SIMDECK_IO_PAUSE';

const seen = { write: 0, archive: 0 };

/** A pause function when SIMDECK_IO_PAUSE asks to stop in this call of `phase`, else undefined. */
export function pauseFor(phase: 'write' | 'archive', path: string): (() => void) | undefined {
  const want = process.env[PAUSE_ENV];
  if (want === undefined || !want.startsWith(phase)) return undefined;
  const nth = Number(want.split(':')[1] ?? 1);
  if (++seen[phase] !== nth) return undefined;
  return () => {
    process.stderr.write(`simdeck-io: paused while ${phase === 'write' ? 'writing' : 'archiving'} ${path} (pid ${process.pid})\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
  };
}
