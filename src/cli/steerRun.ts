/**
 * `simdeck run --steer / --steer-host ADDR / --steer-log PATH / --replay LOG / --interactive`: what these flags
 * change before the job starts. Steering is switched on for the ranks by environment variables,
 * so the same works under mpirun or srun by setting them by hand:
 *   SIMDECK_STEER=1            rank 0's simulation loop starts the steering server
 *   SIMDECK_STEER_HOST=ADDR    the address it binds (a non-loopback one is the explicit opt-in)
 *   SIMDECK_REPLAY=LOG         the loop replays the commands of LOG (a JSON-lines command log)
 *   SIMDECK_STEER_LOG=PATH     where rank 0 writes the command log (a file, or a directory for it)
 * `--interactive` runs each deck, then a parallel prompt (see repl.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ArgumentError } from '../errors.js';
import type { RunOptions } from './args.js';

/** Checks the steering flags and sets the job's environment. Throws ArgumentError before anything starts. */
export async function prepareSteering(opts: RunOptions): Promise<void> {
  if (opts.steerHost !== null && (opts.steerHost === '' || /[\s/]/.test(opts.steerHost))) {
    throw new ArgumentError(`--steer-host needs an address such as 0.0.0.0 or 192.168.1.5, got ${JSON.stringify(opts.steerHost)}`);
  }
  if (opts.replay !== null) {
    const log = resolve(opts.replay);
    if (!existsSync(log) || !statSync(log).isFile()) throw new ArgumentError(`--replay: no command log at ${opts.replay} (looked for ${log})`);
    process.env.SIMDECK_REPLAY = log;
  }
  if (opts.steerLog !== null) {
    if (opts.steerLog === '') throw new ArgumentError('--steer-log needs a file or directory for the command log, got an empty string');
    // absolute, so every rank (whatever its working directory) writes to the same place; a trailing '/' still means a directory
    process.env.SIMDECK_STEER_LOG = resolve(opts.steerLog) + (opts.steerLog.endsWith('/') ? '/' : '');
  }
  if (opts.steer) process.env.SIMDECK_STEER = '1';
  if (opts.steerHost !== null) process.env.SIMDECK_STEER_HOST = opts.steerHost;
  if (opts.interactive) {
    const { interactiveDecks } = await import('./repl.js');
    interactiveDecks(opts);
    // The prompt and its answers go straight to the terminal (rank 0 owns it); answers are marked [r] by the prompt itself.
    if (opts.output === null && !process.env.SIMDECK_OUTPUT) opts.output = 'raw';
  }
}
