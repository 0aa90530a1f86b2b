/**
 * Output of a rank that an MPI launcher started (`simdeck deck.ts` under mpirun, and the ranks of
 * `simdeck run --transport mpi` whose launcher is not on their node), chosen by SIMDECK_OUTPUT.
 */
import { ArgumentError } from '../errors.js';
import { USER_ENV } from './jobEnv.js';

/**
 * Output as `simdeck run` shows it, chosen by SIMDECK_OUTPUT: `prefixed` puts `[r] ` before
 * every line (whole lines are written at once), `rank0` keeps rank 0's stdout only, `raw`
 * (the default for a bare MPI launch, as for any MPI program) changes nothing. Throws
 * ArgumentError for another value.
 */
export function routeOutput(rank: number): void {
  const mode = process.env[USER_ENV.OUTPUT];
  if (!mode || mode === 'raw') return;
  if (mode !== 'prefixed' && mode !== 'rank0') {
    throw new ArgumentError(`${USER_ENV.OUTPUT} must be prefixed, rank0 or raw, got ${JSON.stringify(mode)}`);
  }
  if (mode === 'rank0') {
    if (rank !== 0) process.stdout.write = (() => true) as typeof process.stdout.write;
    else return;
    prefixLines(process.stderr, `[${rank}] `);
    return;
  }
  prefixLines(process.stdout, `[${rank}] `);
  prefixLines(process.stderr, `[${rank}] `);
}

function prefixLines(stream: NodeJS.WriteStream, prefix: string): void {
  const write = stream.write.bind(stream) as (chunk: string, cb?: (e?: Error | null) => void) => boolean;
  let pending = '';
  stream.write = ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
    const done = (typeof encoding === 'function' ? encoding : cb) as ((e?: Error | null) => void) | undefined;
    const text = pending + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      pending = text;
      done?.();
      return true;
    }
    pending = text.slice(cut + 1);
    const lines = text.slice(0, cut).split('\n').map((l) => (l.startsWith('[rank ') ? l : prefix + l));
    return write(lines.join('\n') + '\n', done);
  }) as typeof stream.write;
  process.on('exit', () => { if (pending !== '') write(prefix + pending + '\n'); });
}
