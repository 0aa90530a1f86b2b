#!/usr/bin/env node
/**
 * The `simdeck` command: `simdeck run ...` launches a job, `simdeck info` tells which transports
 * are usable here, `simdeck deck.ts` runs one rank in this process (under an MPI launcher:
 * `mpirun -np 4 npx simdeck deck.ts`, `mpiexec.mpich -n 4 npx simdeck deck.ts`,
 * `srun --mpi=pmix -n 4 npx simdeck deck.ts`).
 */
import { SimdeckError } from '../errors.js';
import { parseRunArgs, runUsage } from './args.js';
import './invokerWatch.js'; // notes who started this process before anything else runs
// Commands load what they need on demand: `simdeck run` starts ranks sooner without the MPI
// and in-process deck machinery, which only `simdeck deck.ts` and `--transport mpi` use.

const HELP = `simdeck — SPMD input decks in TypeScript

  simdeck run -n N deck.ts [args...]        run deck.ts on N ranks of this machine (shared memory)
  simdeck run -n 2 a.ts : -n 1 b.ts         MPMD: several decks in one job (world spans them)
  simdeck run --mpi openmpi|mpich -n N deck.ts
                                            the same job on the system MPI, its launcher started for you
  simdeck run -n 4 --steer deck.ts          with the steering server: dashboard URL printed; simdeck attach finds it
  simdeck run -n 4 --interactive [deck.ts]  a parallel prompt: every rank evaluates each line
  simdeck attach [job] [command]            steer a running job from the terminal (status, set k=v, pause, ...)
  simdeck run --restart FILE -n N deck.ts   restart from a checkpoint (simdeck/io), on any number of ranks
  simdeck info                              what transports are usable here
  simdeck archive --resume DIR              complete the archive of a run's output directory after a crash
  simdeck check deck.ts [more.ts...]        type-check decks with your project's TypeScript (npm install -D typescript @types/node)
  simdeck deck.ts [args...]                 one rank in this process: the form MPI launchers start,
    mpirun -np N npx simdeck deck.ts          Open MPI (as root add --allow-run-as-root, past the cores --oversubscribe)
    mpiexec.mpich -n N npx simdeck deck.ts    MPICH (Hydra)
    srun --mpi=pmix -n N npx simdeck deck.ts  Slurm with Open MPI (--mpi=pmi2 with MPICH; set SIMDECK_MPI if both are installed)
                                            started alone, it is a job of one rank

${runUsage()}
Environment: SIMDECK_HANG_TIMEOUT (seconds), SIMDECK_OUTPUT, SIMDECK_WAIT (auto|spin|block), SIMDECK_BIND (auto|none), SIMDECK_SHM_CMA=0,
  SIMDECK_TRANSPORT (auto|shm|mpi), SIMDECK_MPI (openmpi|mpich|path to libmpi), SIMDECK_MPIRUN (launcher command),
  SIMDECK_RANK_CA=1 (ranks always start with NODE_EXTRA_CA_CERTS; see docs/startup.md),
  SIMDECK_COUPLE_SPLIT (0 or a share in (0, 1)) and SIMDECK_COUPLE_WASM=0 (docs/coupling.md), SIMDECK_GRAPHICS_WASM=0 (docs/graphics.md),
  SIMDECK_NATIVE=0 (simdeck's own loops without the C compiler, docs/kernels.md)`;

/** True when `arg` names a deck file rather than a command. */
function isDeck(arg: string): boolean {
  return /\.(m|c)?(t|j)sx?$/.test(arg);
}

/** True when `-h` or `--help` comes among `simdeck run`'s own options (before the first deck; later ones are the deck's). */
function asksForHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (isDeck(a)) return false;
    if (a === '-h' || a === '--help') return true;
  }
  return false;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run': {
      if (asksForHelp(rest)) { process.stdout.write(HELP + '\n'); return 0; }
      const opts = parseRunArgs(rest);
      if (opts.restart !== null) process.env.SIMDECK_RESTART = opts.restart; // read by simdeck/io on every rank
      if (opts.steer || opts.replay !== null || opts.interactive) await (await import('./steerRun.js')).prepareSteering(opts);
      return (await import('./launcher.js')).runJob(opts);
    }
    case 'attach':
      return (await import('./attach.js')).attach(rest);
    case 'info':
      return (await import('./info.js')).printInfo();
    case 'check':
      return (await import('./check.js')).checkDecks(rest);
    case 'archive':
      return (await import('../io/archiveCommand.js')).archiveCommand(rest);
    case undefined: case '-h': case '--help': case 'help':
      process.stdout.write(HELP + '\n');
      return command === undefined ? 2 : 0;
    default:
      if (isDeck(command)) return (await import('./direct.js')).runDeckHere(command, rest);
      process.stderr.write(`simdeck: unknown command ${JSON.stringify(command)}\n\n${HELP}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (status) => { process.exitCode = status; },
  (e: unknown) => {
    if (e instanceof SimdeckError) {
      process.stderr.write(`simdeck: ${e.name}: ${e.message}\n`);
    } else {
      process.stderr.write(`simdeck: internal error: ${(e as Error).stack ?? String(e)}\n`);
    }
    process.exitCode = e instanceof SimdeckError ? 2 : 1;
  },
);
