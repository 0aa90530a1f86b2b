/**
 * Entry point of every rank process the launcher starts: joins the job, installs fail-fast,
 * gives the deck its own argv, imports the deck bundle, and finalizes when the deck ends.
 */
import { pathToFileURL } from 'node:url';
import { dieWithParent, parentPid } from '../transport/shm/libc.js';
import { takeJobEnvironment } from './jobEnv.js';
import { installFailFast } from './failFast.js';
import { getWorld, setJob } from './world.js';
import { checkCollectivesAtEnd } from '../comm/endCheck.js';

const job = takeJobEnvironment();
if (job === null) {
  process.stderr.write('simdeck: this is the rank entry point; start decks with `simdeck run -n N deck.ts`\n');
  process.exit(2);
}
// Die with the launcher, even if it is SIGKILLed; it may have died before this line ran.
dieWithParent();
if (parentPid() !== job.launcherPid) process.exit(1);

setJob(job);
let joined = false;
installFailFast(job.rank, () => (joined ? getWorld().transport : null));
process.setSourceMapsEnabled(true);
const world = getWorld();
joined = true;
// The launcher bundles the decks while the ranks start; wait for it (a failed bundle: it reports).
const transport = world.transport as { awaitDecks?: () => boolean };
if (transport.awaitDecks && !transport.awaitDecks()) process.exit(0);
process.argv = [process.argv[0], job.deck, ...job.args];
await import(pathToFileURL(job.bundle).href);
checkCollectivesAtEnd();
getWorld().transport.finalize();
