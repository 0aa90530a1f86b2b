/**
 * The start of every MPI rank bundle (see rankBundle.ts), evaluated before the deck, after the
 * bootstrap (rankBoot.ts) has started MPI and received the bundle: joins the MPI job (the
 * transport finds MPI initialized), sends output to the launcher's socket or prefixes it,
 * installs fail-fast and the bundle's stack mapping, and gives the deck its argv (the bootstrap
 * left `process.argv` as [node, deck, ...args]). A deck that throws is reported as
 * `[rank r]` with its stack and ends the job (MPI_Abort). `rankDone` runs after the deck.
 */
import { resolve } from 'node:path';
import { checkCollectivesAtEnd } from '../comm/endCheck.js';
import { Abort } from '../transport/shm/segment.js';
import { installBundleStacks } from './bundleStacks.js';
import { formatRankError, installFailFast } from './failFast.js';
import { EXIT_ABORTED } from './jobEnv.js';
import { bundleText } from './bundleText.js';
import { routeOutput } from './rankOutput.js';
import { getWorld, prepareTransport } from './world.js';

// Open MPI gives every rank a pseudo-terminal as stdout: no colours unless FORCE_COLOR asks.
if (process.env.OMPI_COMM_WORLD_SIZE !== undefined && process.env.FORCE_COLOR === undefined) process.env.NODE_DISABLE_COLORS = '1';
const [node, deck, ...args] = process.argv;
let rank = -1;
let reported = false;
// Before the transport's own exit handler (which aborts the MPI job): say which rank ended the job.
process.on('exit', (code) => {
  if (code !== 0 && code !== EXIT_ABORTED && !reported && rank >= 0) {
    process.stderr.write(`simdeck: rank ${rank} exited with status ${code} before its deck finished (process.exit(${code})); the MPI job is aborted\n`);
  }
});
await prepareTransport();
const world = getWorld();
rank = world.rank;
const linked = process.env.SIMDECK_OUTPUT_SOCKET !== undefined && (await import('../transport/mpi/outputLink.js')).linkOutput(rank);
installFailFast(rank, () => world.transport);
if (!linked) routeOutput(rank);
installBundleStacks(bundleText());
process.argv = [node, resolve(deck), ...args];
(globalThis as Record<symbol, unknown>)[Symbol.for('simdeck.rankFailed')] = (e: unknown) => {
  reported = true;
  process.stderr.write(formatRankError(rank, e));
  try { world.transport.abort(Abort.ERROR, 'rank failed'); } catch { /* abort() throws on shared memory */ }
  process.exit(1);
};

/** After the deck: lets a promise the deck left rejected surface, checks the collectives, finalizes. Collective. */
export async function rankDone(): Promise<void> {
  await new Promise((done) => setImmediate(done));
  checkCollectivesAtEnd();
  world.transport.finalize();
}
