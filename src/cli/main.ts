#!/usr/bin/env node
/**
 * The `simdeck` command: `simdeck run ...` launches a job, `simdeck info` tells which transports
 * are usable here, `simdeck deck.ts` (under an MPI launcher, later) runs one rank directly.
 */
import { SimdeckError } from '../errors.js';
import { parseRunArgs, runUsage } from './args.js';
import { runJob } from './launcher.js';
import { printInfo } from './info.js';

const HELP = `simdeck — SPMD input decks in TypeScript

  simdeck run -n N deck.ts [args...]        run deck.ts on N ranks of this machine
  simdeck run -n 2 a.ts : -n 1 b.ts         MPMD: several decks in one job (world spans them)
  simdeck info                              what transports are usable here

${runUsage()}
Environment: SIMDECK_HANG_TIMEOUT (seconds), SIMDECK_OUTPUT, SIMDECK_WAIT (auto|spin|block), SIMDECK_SHM_CMA=0`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runJob(parseRunArgs(rest));
    case 'info':
      return printInfo();
    case undefined: case '-h': case '--help': case 'help':
      process.stdout.write(HELP + '\n');
      return command === undefined ? 2 : 0;
    default:
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
