/**
 * Parsing `simdeck run` command lines, MPMD included:
 *   simdeck run [options] -n N deck.ts [deck args...] [: -n M other.ts [args...]]...
 * Options before the first deck apply to the whole job; everything after a deck's path up to
 * the next `:` is that deck's own arguments.
 */
import { ArgumentError } from '../errors.js';
import type { OutputMode } from './output.js';

/** One deck of a (possibly MPMD) job. */
export interface AppSpec {
  ranks: number;
  deck: string;
  args: string[];
}

/** A parsed `simdeck run`. */
export interface RunOptions {
  apps: AppSpec[];
  output: OutputMode | null;
  hangTimeout: number | null;
  wait: 'auto' | 'spin' | 'block' | null;
  transport: 'shm' | 'mpi' | 'auto';
  /** Which MPI runs `--transport mpi` jobs: 'openmpi', 'mpich' (null: SIMDECK_MPI, else the first found). */
  mpi: string | null;
  /** `--steer`: start the steering server on rank 0 (SIMDECK_STEER=1). */
  steer: boolean;
  /** `--steer-host ADDR`: bind the steering server to ADDR (a non-loopback address is an explicit opt-in). */
  steerHost: string | null;
  /** `--steer-log PATH`: where rank 0 writes the steering command log, a file or a directory (SIMDECK_STEER_LOG). */
  steerLog: string | null;
  /** `--replay LOG`: run again with the steering commands of LOG (SIMDECK_REPLAY). */
  replay: string | null;
  /** `--restart FILE`: the checkpoint simdeck/io restarts from (SIMDECK_RESTART). */
  restart: string | null;
  /** `--interactive`: a parallel prompt on rank 0 after the deck (or without one). */
  interactive: boolean;
}

const USAGE = 'usage: simdeck run [--output prefixed|rank0|raw] [--hang-timeout SECONDS] [--wait auto|spin|block] ' +
  '[--transport shm|mpi] [--mpi openmpi|mpich] [--steer] [--steer-host ADDR] [--steer-log PATH] [--replay LOG] [--restart FILE] [--interactive] -n N deck.ts [args...] [: -n M other.ts [args...]]';

/** The usage line of `simdeck run`. */
export function runUsage(): string {
  return USAGE;
}

function positiveInt(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || !Number.isInteger(n) || n < 1) {
    throw new ArgumentError(`${flag} needs a whole number of ranks of at least 1, got ${value === undefined ? 'nothing' : JSON.stringify(value)}\n${USAGE}`);
  }
  return n;
}

/** Parses the arguments after `run`. Throws ArgumentError with the usage on bad input. */
export function parseRunArgs(argv: string[]): RunOptions {
  const opts: RunOptions = { apps: [], output: null, hangTimeout: null, wait: null, transport: 'auto', mpi: null,
    steer: false, steerHost: null, steerLog: null, replay: null, restart: null, interactive: false };
  let i = 0;
  let ranks: number | null = null;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new ArgumentError(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  while (i < argv.length) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const take = () => inline ?? value(flag);
    switch (flag) {
      case '-n': case '-np': case '--np': case '--ranks':
        ranks = positiveInt(take(), flag);
        break;
      case '--output': {
        const v = take();
        if (v !== 'prefixed' && v !== 'rank0' && v !== 'raw') throw new ArgumentError(`--output must be prefixed, rank0 or raw, got ${JSON.stringify(v)}\n${USAGE}`);
        opts.output = v;
        break;
      }
      case '--hang-timeout': {
        const v = take();
        const s = Number(v);
        if (!Number.isFinite(s) || s <= 0) throw new ArgumentError(`--hang-timeout needs a positive number of seconds, got ${JSON.stringify(v)}\n${USAGE}`);
        opts.hangTimeout = s;
        break;
      }
      case '--wait': {
        const v = take();
        if (v !== 'auto' && v !== 'spin' && v !== 'block') throw new ArgumentError(`--wait must be auto, spin or block, got ${JSON.stringify(v)}\n${USAGE}`);
        opts.wait = v;
        break;
      }
      case '--transport': {
        const v = take();
        if (v !== 'shm' && v !== 'mpi' && v !== 'auto') throw new ArgumentError(`--transport must be auto, shm or mpi, got ${JSON.stringify(v)}\n${USAGE}`);
        opts.transport = v;
        break;
      }
      case '--mpi': {
        const v = take();
        if (v !== 'openmpi' && v !== 'mpich') throw new ArgumentError(`--mpi must be openmpi or mpich, got ${JSON.stringify(v)}\n${USAGE}`);
        opts.mpi = v;
        break;
      }
      case '--steer': opts.steer = true; break;
      case '--interactive': opts.interactive = true; break;
      case '--steer-host': opts.steerHost = take(); opts.steer = true; break;
      case '--steer-log': opts.steerLog = take(); opts.steer = true; break;
      case '--replay': opts.replay = take(); break;
      case '--restart': opts.restart = take(); break;
      case ':':
        throw new ArgumentError(`':' must follow a deck: -n N deck.ts : -n M other.ts\n${USAGE}`);
      default: {
        if (a.startsWith('-')) throw new ArgumentError(`unknown option ${a}\n${USAGE}`);
        if (ranks === null) throw new ArgumentError(`say how many ranks run ${a} with -n N before it\n${USAGE}`);
        const args: string[] = [];
        let j = i + 1;
        while (j < argv.length && argv[j] !== ':') args.push(argv[j++]);
        opts.apps.push({ ranks, deck: a, args });
        ranks = null;
        i = j; // at ':' or the end
        if (i < argv.length && i === argv.length - 1) throw new ArgumentError(`a deck must follow ':'\n${USAGE}`);
      }
    }
    i++;
  }
  if (opts.apps.length === 0 && opts.interactive) opts.apps.push({ ranks: ranks ?? 1, deck: '', args: [] }); // the prompt alone
  if (opts.apps.length === 0) throw new ArgumentError(`no deck given\n${USAGE}`);
  if (opts.mpi !== null && opts.transport === 'auto') opts.transport = 'mpi';
  if (opts.mpi !== null && opts.transport === 'shm') throw new ArgumentError(`--mpi chooses the MPI library of --transport mpi; it makes no sense with --transport shm\n${USAGE}`);
  return opts;
}
