/**
 * `run()`: external commands (SPM.Python's coprocess). The command runs in a process group of its
 * own, started by the rank's helper thread; on its time limit the whole group gets SIGTERM, then
 * SIGKILL after a grace period. The calling thread blocks until the command ends; on rank 0,
 * inside a farm call, it keeps serving the other ranks meanwhile.
 */
import { existsSync, statSync } from 'node:fs';
import { ArgumentError, describe } from '../errors.js';
import { CommandResult } from './commandResult.js';
import { CommandError } from './errors.js';
import { theHelper } from './helper.js';
import { checkSeconds } from './options.js';

/** Options of {@link run}. */
export interface RunOptions {
  /** Time limit in seconds; then the command's process group gets SIGTERM, and SIGKILL `grace` seconds later. */
  timeout?: number;
  /** Seconds between SIGTERM and SIGKILL on a time limit (default 2). */
  grace?: number;
  /** Working directory (must exist). */
  cwd?: string;
  /** Variables added to (or, with value undefined, removed from) this process's environment. */
  env?: Record<string, string | undefined>;
  /** Bytes or text written to the command's stdin (which is closed after it; /dev/null when not given). */
  input?: string | Uint8Array;
  /** Most bytes kept of stdout and of stderr each (default 64 MiB); the rest is dropped, with a note. */
  maxBuffer?: number;
}

/**
 * Runs an external program `cmd` with `args` (no shell: use `run('sh', ['-c', line])` for one) and
 * returns its exit status or signal, stdout, stderr and wall time. Blocks until it ends or its
 * time limit passes (the result then has `timedOut` set). A non-zero status is not an error here;
 * a task returning the result is classified `exit` (or `timeout`, `crash`).
 * Throws ArgumentError for bad arguments and CommandError when the program cannot be started.
 */
export function run(cmd: string, args: readonly string[] = [], options: RunOptions = {}): CommandResult {
  if (typeof cmd !== 'string' || cmd === '') throw new ArgumentError(`run: the command must be a non-empty string (a program path or name), got ${describe(cmd)}`);
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
    throw new ArgumentError(`run: args must be an array of strings (convert numbers with String(x)), got ${describe(args)}`);
  }
  if (typeof options !== 'object' || options === null) throw new ArgumentError(`run: options must be an object, got ${describe(options)}`);
  const timeout = checkSeconds(options.timeout, 'run: timeout');
  const grace = checkSeconds(options.grace, 'run: grace') ?? 2;
  if (options.cwd !== undefined && (typeof options.cwd !== 'string' || !existsSync(options.cwd) || !statSync(options.cwd).isDirectory())) {
    throw new ArgumentError(`run: cwd must be an existing directory, got ${describe(options.cwd)}`);
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  if (options.env !== undefined) {
    if (typeof options.env !== 'object' || options.env === null) throw new ArgumentError(`run: env must be an object of strings, got ${describe(options.env)}`);
    for (const [k, v] of Object.entries(options.env)) {
      if (v === undefined) delete env[k];
      else if (typeof v !== 'string') throw new ArgumentError(`run: env.${k} must be a string (convert numbers with String(x)), got ${describe(v)}`);
      else env[k] = v;
    }
  }
  const input = options.input;
  if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new ArgumentError(`run: input must be a string or a Uint8Array, got ${describe(input)}`);
  }
  const maxBuffer = options.maxBuffer ?? 64 * 2 ** 20;
  if (!Number.isInteger(maxBuffer) || maxBuffer < 1) throw new ArgumentError(`run: maxBuffer must be a positive whole number of bytes, got ${describe(maxBuffer)}`);

  const helper = theHelper();
  const id = helper.post({
    op: 'run', file: cmd, args: [...args], cwd: options.cwd, env,
    input: input === undefined ? null : typeof input === 'string' ? new TextEncoder().encode(input) : input,
    timeoutMs: timeout === undefined ? 0 : timeout * 1000, graceMs: grace * 1000, maxBuffer,
  });
  const r = helper.wait(id);
  const line = [cmd, ...args].join(' ');
  if (r.kind === 'spawn-error') throw new CommandError(`run: cannot start ${JSON.stringify(cmd)}: ${r.message} (check the path, that it is executable, and cwd)`);
  if (r.kind !== 'command') throw new CommandError(`run: unexpected reply from the helper thread (${r.kind})`);
  return new CommandResult(line, r.code, r.signal, r.stdout, r.stderr, r.ms, r.timedOut);
}
