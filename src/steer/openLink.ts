/**
 * How rank 0 obtains its SteeringLink. The steering server (a worker thread with `ws`) lives in
 * `./server/open.js`, loaded only when steering is asked for (`simdeck run --steer` sets
 * SIMDECK_STEER=1), so a run without steering never loads it. Opening is asynchronous while the
 * loop is synchronous, so with SIMDECK_STEER=1 the rank bootstrap (runtime/steering.ts, run by the
 * package entry before the deck's code) opens it on world rank 0 and hands it over with
 * `setStartupLink`; every Simulation on that rank uses it. This module imports nothing above
 * steer: the runtime calls down into it, never the reverse (DESIGN.md, layout).
 */
import type { ParamDescription, SteeringLink } from './link.js';
import { SteeringUnavailableError } from './errors.js';
import { dynamicImport } from '../system/dynamicImport.js';

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
    mod = (await dynamicImport(path)) as SteeringServerModule;
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
 * @internal Called by the rank bootstrap (runtime/steering.ts) with the link it opened on world
 * rank 0 of a steered run, or the error that kept it from opening (reported by the first
 * Simulation that wants steering). Never throws.
 */
export function setStartupLink(opened: SteeringLink | Error): void {
  if (opened instanceof Error) {
    preloadError = opened;
    return;
  }
  preloaded = opened;
  // Every Simulation of the deck steers through it, one after another: it closes (clients told
  // the run ended, the job file removed) only when the process exits.
  process.once('exit', () => opened.close());
}

/**
 * The link opened at start-up on this process (world rank 0 of a steered run), or null.
 * Throws SteeringUnavailableError when steering was asked for but could not be opened.
 */
export function startupLink(): SteeringLink | null {
  if (preloadError !== null) throw preloadError;
  return preloaded;
}
