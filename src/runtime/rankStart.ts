/**
 * The start of every shared-memory rank bundle (see rankBundle.ts), evaluated before the deck:
 * joins the job, installs fail-fast and the bundle's stack mapping, and gives the deck its own
 * argv. `rankDone` runs after the deck: the end-of-job collective check, then finalize.
 * The rank process itself runs only the bootstrap of rankBoot.ts, which hands it this bundle.
 */
import { dieWithParent, parentPid } from '../system/libc.js';
import { checkCollectivesAtEnd } from '../comm/endCheck.js';
import { installBundleStacks } from './bundleStacks.js';
import { installFailFast } from './failFast.js';
import { takeJobEnvironment } from './jobEnv.js';
import { bundleText } from './bundleText.js';
import { getWorld, setJob } from './world.js';

const job = takeJobEnvironment();
if (job === null) {
  process.stderr.write('simdeck: this is a rank bundle; start decks with `simdeck run -n N deck.ts`\n');
  process.exit(2);
}
// Die with the launcher, even if it is SIGKILLed; it may have died before this line ran.
dieWithParent();
if (parentPid() !== job.launcherPid) process.exit(1);

installBundleStacks(bundleText());
setJob(job);
let joined = false;
installFailFast(job.rank, () => (joined ? getWorld().transport : null));
getWorld();
joined = true;
process.argv = [process.argv[0], job.deck, ...job.args];

/** After the deck: checks that every rank made the same collectives, then finalizes. Collective. */
export async function rankDone(): Promise<void> {
  checkCollectivesAtEnd();
  getWorld().transport.finalize();
}
