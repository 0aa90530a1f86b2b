/**
 * Rank start-up for a steered run (`simdeck run --steer`, or SIMDECK_STEER=1 under mpirun/srun):
 * world rank 0 opens the steering server before the deck's code runs and hands the link to the
 * steer layer, whose Simulation uses it. The runtime calls down into steer (the server is loaded
 * only when steering is asked for: openSteering imports the server module then); steer never imports the runtime.
 */
import type { Comm } from '../comm/comm.js';
import { openSteering, setStartupLink, steeringRequested } from '../steer/openLink.js';

/**
 * Asynchronous: on world rank 0 of a steered run, opens the steering server and registers it
 * with steer (`setStartupLink`); elsewhere does nothing. Never throws: a failure is kept and
 * reported by the first Simulation that asks for steering.
 */
export async function startSteering(world: Comm, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!steeringRequested(env) || world.rank !== 0) return;
  try {
    setStartupLink(await openSteering([]));
  } catch (e) {
    setStartupLink(e as Error);
  }
}
