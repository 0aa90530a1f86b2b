/**
 * How rank 0 obtains its SteeringLink. The steering server (a worker thread with `ws`) lives in
 * `./server/open.js`, loaded only when steering is asked for (`simdeck run --steer` sets
 * SIMDECK_STEER=1), so a run without steering never loads it. Opening may be asynchronous while
 * the loop is synchronous, so with SIMDECK_STEER=1 the link is opened when `simdeck/steer` is
 * imported (top-level await), on world rank 0 only, and every Simulation on that rank uses it.
 */
import { getWorld, prepareTransport } from '../runtime/world.js';
import type { ParamDescription, SteeringLink } from './link.js';
import { SteeringUnavailableError } from './errors.js';

/** The module the steering server exports `openSteeringLink` from (relative to this file). */
const SERVER_MODULE = './server/open.js';

/** What the server module exports. */
export interface SteeringServerModule {
  openSteeringLink(options: { params: ParamDescription[] }): Promise<SteeringLink> | SteeringLink;
}

/** True when the environment asks for steering (SIMDECK_STEER=1, as `simdeck run --steer` sets). */
export function steeringRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.SIMDECK_STEER;
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

let preloaded: SteeringLink | null = null;
let preloadError: Error | null = null;

/**
 * Opens the steering server. Asynchronous (the server binds a port in a worker thread); call it
 * before the loop starts and pass the link as `steer: link`. Throws SteeringUnavailableError
 * when the server module is missing or fails to start.
 */
export async function openSteering(params: ParamDescription[] = []): Promise<SteeringLink> {
  let mod: SteeringServerModule;
  try {
    // Absolute: a rank bundle (runtime/rankBundle.ts) runs from memory, where a relative specifier has no base.
    const path: string = new URL(SERVER_MODULE, import.meta.url).href;
    mod = (await import(path)) as SteeringServerModule;
  } catch (e) {
    throw new SteeringUnavailableError(`the steering server could not be loaded (${SERVER_MODULE}): ${(e as Error).message}`);
  }
  try {
    return await mod.openSteeringLink({ params });
  } catch (e) {
    throw new SteeringUnavailableError(`the steering server did not start: ${(e as Error).message}`);
  }
}

/**
 * Module start-up: with SIMDECK_STEER=1, world rank 0 opens the link (other ranks do nothing).
 * Never throws: a failure is kept and reported by the first Simulation that wants steering.
 */
export async function preloadSteering(): Promise<void> {
  if (!steeringRequested()) return;
  try {
    await prepareTransport();
    if (getWorld().rank !== 0) return;
    preloaded = await openSteering([]);
  } catch (e) {
    preloadError = e as Error;
  }
}

/**
 * The link opened at start-up on this process (world rank 0 of a steered run), or null.
 * Throws SteeringUnavailableError when steering was asked for but could not be opened.
 */
export function startupLink(): SteeringLink | null {
  if (preloadError !== null) throw preloadError;
  return preloaded;
}
