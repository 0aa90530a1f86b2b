/**
 * `simdeck deck.ts [args]`: runs one rank of a deck in this process. Under an MPI launcher
 * (`mpirun -np 4 npx simdeck deck.ts`, `mpiexec -n 4 ...`, `srun ...`) the rank joins the MPI
 * job; started any other way it is a job of one rank.
 *
 * The deck is read and transpiled once per app, not once per rank: the first rank of each app
 * (in MPMD launches, each `:`-separated part is an app) bundles it — or reads the bundle
 * `simdeck run --transport mpi` made before launching — and broadcasts the text to the app's
 * other ranks, which write it to their own temporary directory (so nodes need not share /tmp)
 * and import it. A deck that does not compile fails on every rank with the compiler's message
 * (printed once, by the first rank of the app).
 *
 * Fail-fast as under `simdeck run`: an uncaught error prints `[rank r]`, the message and the
 * stack, then calls MPI_Abort, which ends every rank of the job.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Comm } from '../comm/comm.js';
import { checkCollectivesAtEnd } from '../comm/endCheck.js';
import { SimdeckError } from '../errors.js';
import { bundleDeck } from '../runtime/deckBundle.js';
import { formatRankError, installFailFast } from '../runtime/failFast.js';
import { Abort } from '../transport/shm/segment.js';
import { EXIT_ABORTED } from '../runtime/jobEnv.js';
import { routeOutput } from '../runtime/rankOutput.js';
import { getApp, getAppIndex, getWorld, mpiRequested, prepareTransport } from '../runtime/world.js';
import { lostPmiError, recoverPmiFd } from './pmiFd.js';

/** The transport context of the communicator that hands the bundle around (outside the range decks use). */
const LOADER_CONTEXT = -4;

/** Environment of ranks started by `simdeck run --transport mpi`: the bundle of each app, as a JSON array of paths. */
export const BUNDLES_ENV = 'SIMDECK_MPI_BUNDLES';

/** Where this rank's private copy of a deck bundle lives, told to the bundle's first line (see deckBundle's banner). */
const PRIVATE_BUNDLE = Symbol.for('simdeck.privateBundle');

/** Runs `deck` with `args` as one rank of the job that started this process; resolves to the exit status. */
export async function runDeckHere(deck: string, args: string[]): Promise<number> {
  // Open MPI gives every rank a pseudo-terminal as stdout whatever the user's stdout is, which
  // would make console.log colour numbers in logs and pipes: no colours unless FORCE_COLOR asks.
  if (process.env.OMPI_COMM_WORLD_SIZE !== undefined && process.env.FORCE_COLOR === undefined) process.env.NODE_DISABLE_COLORS = '1';
  let underMpi = false;
  try { underMpi = mpiRequested(); } catch { /* a bad SIMDECK_TRANSPORT: getWorld() says so */ }
  if (!underMpi && slurmMismatch(1) !== null) return reportSlurmMismatch(slurmMismatch(1)!);
  if (underMpi) {
    const pmi = recoverPmiFd();
    if (pmi.kind === 'lost') throw lostPmiError(pmi.why);
  } else if (process.env.SIMDECK_TRANSPORT !== 'shm') {
    process.stderr.write(`simdeck: running ${deck} as a job of one rank in this process (no MPI launcher started it); ` +
      `for N ranks: simdeck run -n N ${deck}\n`);
  }
  // Before the transport's own exit handler (which aborts the MPI job): say which rank ended the job.
  let rank = -1;
  let reported = false;
  if (underMpi) {
    process.on('exit', (code) => {
      if (code !== 0 && code !== EXIT_ABORTED && !reported && rank >= 0) {
        process.stderr.write(`simdeck: rank ${rank} exited with status ${code} before its deck finished (process.exit(${code})); the MPI job is aborted\n`);
      }
    });
  }
  await prepareTransport();
  const world = getWorld(); // joins the MPI job (collective), or makes a world of one; throws SimdeckError
  const mismatch = slurmMismatch(world.size);
  if (mismatch !== null) return reportSlurmMismatch(mismatch);
  rank = world.rank;
  // Under `simdeck run --transport mpi`, output goes to the launcher over a socket (which prefixes it).
  const linked = process.env.SIMDECK_OUTPUT_SOCKET !== undefined && (await import('../transport/mpi/outputLink.js')).linkOutput(rank);
  installFailFast(rank, () => world.transport);
  if (!linked) routeOutput(rank);
  process.setSourceMapsEnabled(true);

  const app = getApp();
  const appIndex = getAppIndex();
  const dir = mkdtempSync(join(tmpdir(), `simdeck-${process.pid}-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, `deck${appIndex}.mjs`);
  let text: string | null = null;
  let failure: string | null = null;
  if (app.rank === 0) {
    try {
      text = prebuilt(appIndex) ?? await bundleDeck(deck, file);
    } catch (e) {
      if (!(e instanceof SimdeckError)) throw e;
      failure = `simdeck: ${e.name}: ${e.message}`;
    }
  }
  let got: { text?: string; failure?: string } = failure === null ? { text: text! } : { failure };
  if (app.size > 1) {
    // On a communicator of its own (contexts -4/-3, never used by decks), so the deck's first
    // collective on world or app is still collective #0.
    const loader = new Comm(world.transport, LOADER_CONTEXT, app.worldRanks ?? null, 'deck loader');
    got = loader.bcast(got, 0);
    loader.free();
  }
  if (got.failure !== undefined) {
    if (app.rank === 0) process.stderr.write(got.failure + '\n');
    world.transport.finalize();
    return 2;
  }
  writeFileSync(file, got.text!);
  process.argv = [process.argv[0], resolve(deck), ...args];
  // The bundle removes its own directory as soon as it starts running: a job that MPI_Abort
  // ends (no exit handler runs then) leaves nothing in the temp directory.
  (globalThis as Record<symbol, unknown>)[PRIVATE_BUNDLE] = pathToFileURL(file).href;
  try {
    await import(pathToFileURL(file).href);
    // Let a promise the deck left rejected surface (fail-fast) before finalize, which waits for the other ranks.
    await new Promise((done) => setImmediate(done));
    checkCollectivesAtEnd();
  } catch (e) {
    // As an uncaught error: `[rank r]`, message and stack, then the whole job ends.
    reported = true;
    process.stderr.write(formatRankError(rank, e));
    try { world.transport.abort(Abort.ERROR, 'rank failed'); } catch { /* abort() throws on shared memory */ }
    process.exit(1);
  }
  world.transport.finalize();
  return 0;
}

/**
 * Under `srun`, what is wrong when the world is not the job step's tasks: srun without an MPI
 * plugin, or with one the MPI library does not speak, starts N separate jobs of one rank that
 * would each run the whole deck and exit 0. Null when nothing is wrong (or not under Slurm, or
 * SIMDECK_TRANSPORT=shm asks for separate one-rank jobs).
 */
function slurmMismatch(worldSize: number): string | null {
  const e = process.env;
  const tasks = Number(e.SLURM_STEP_NUM_TASKS);
  if (e.SLURM_PROCID === undefined || !(tasks > 1) || worldSize === tasks || e.SIMDECK_TRANSPORT === 'shm') return null;
  const plugin = e.PMIX_RANK !== undefined ? 'pmix' : e.PMI_FD !== undefined || e.PMI_RANK !== undefined ? 'pmi2' : null;
  return `srun started ${tasks} tasks but they form an MPI world of ${worldSize}: ` +
    (plugin === null
      ? 'srun was given no MPI plugin; '
      : `srun's --mpi=${plugin} is not what ${e.SIMDECK_MPI ? `the MPI library (SIMDECK_MPI=${e.SIMDECK_MPI})` : 'the MPI library simdeck loaded'} speaks; `) +
    'start Open MPI ranks with srun --mpi=pmix and MPICH ranks with srun --mpi=pmi2, and set SIMDECK_MPI=openmpi|mpich ' +
    'when both are installed (SIMDECK_TRANSPORT=shm runs each task as a job of its own)';
}

/** Ends a rank started in a mismatched Slurm step: task 0 says why, every task exits with status 2. */
function reportSlurmMismatch(message: string): number {
  if (process.env.SLURM_PROCID === '0') process.stderr.write(`simdeck: TransportError: ${message}\n`);
  return 2;
}

/** The bundle `simdeck run --transport mpi` wrote for app `index`, when this node can read it. */
function prebuilt(index: number): string | null {
  const list = process.env[BUNDLES_ENV];
  if (!list) return null;
  try {
    const path = (JSON.parse(list) as string[])[index];
    return path && existsSync(path) ? readFileSync(path, 'utf8') : null;
  } catch {
    return null;
  }
}
