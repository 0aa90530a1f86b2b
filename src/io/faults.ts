/**
 * Fault injection for the fault tests: with SIMDECK_IO_PAUSE=write (or archive) a writing rank
 * stops in the middle of writing (or archiving) its first file, says so on stderr with its pid
 * and sleeps, so that a test can SIGKILL it there. Unset, nothing happens.
 */

/** The environment variable that names the phase to pause in: 'write' or 'archive'. */
export const PAUSE_ENV = 'SIMDECK_IO_PAUSE';

let paused = false;

/** A pause function for `phase` when SIMDECK_IO_PAUSE asks for it (once per process), else undefined. */
export function pauseFor(phase: 'write' | 'archive', path: string): (() => void) | undefined {
  if (paused || process.env[PAUSE_ENV] !== phase) return undefined;
  return () => {
    paused = true;
    process.stderr.write(`simdeck-io: paused while ${phase === 'write' ? 'writing' : 'archiving'} ${path} (pid ${process.pid})\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  };
}
