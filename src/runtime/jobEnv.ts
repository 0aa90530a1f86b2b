/**
 * How the launcher tells a rank process about its job: environment variables, read once at rank
 * start and then removed, so programs the deck starts (execSync of a solver, a nested node) do
 * not mistake themselves for ranks.
 */

/** What a rank knows about its job. */
export interface JobConfig {
  /** Name of the job's shared-memory segment. */
  segment: string;
  rank: number;
  launcherPid: number;
  /** The transpiled deck bundle (one file, written once by the launcher). */
  bundle: string;
  /** The deck's own path, as the user gave it, and its arguments. */
  deck: string;
  args: string[];
  /** MPMD: which app (deck) of the job this rank runs, and that app's world ranks. */
  appIndex: number;
  appRanks: number[];
}

export const ENV = {
  SEGMENT: 'SIMDECK_SEGMENT',
  RANK: 'SIMDECK_RANK',
  LAUNCHER_PID: 'SIMDECK_LAUNCHER_PID',
  BUNDLE: 'SIMDECK_BUNDLE',
  DECK: 'SIMDECK_DECK',
  ARGS: 'SIMDECK_ARGS',
  APP_INDEX: 'SIMDECK_APP_INDEX',
  APP_RANKS: 'SIMDECK_APP_RANKS',
} as const;

/** User-facing variables: hang timeout in seconds, wait mode (auto | spin | block), single-copy reads (0 to disable). */
export const USER_ENV = {
  HANG_TIMEOUT: 'SIMDECK_HANG_TIMEOUT',
  WAIT: 'SIMDECK_WAIT',
  CMA: 'SIMDECK_SHM_CMA',
  OUTPUT: 'SIMDECK_OUTPUT',
  /** Extra Node options for every rank process, space-separated (e.g. `--cpu-prof`). */
  NODE_ARGS: 'SIMDECK_NODE_ARGS',
  BIND: 'SIMDECK_BIND',
} as const;

/**
 * What SIMDECK_BIND asks of shared-memory ranks: `auto` (unset or empty, the default: each rank
 * bound to a core of its own when every rank has one) or `none` (`0` as well: never bound).
 * Returns null for any other value, which the launcher refuses before starting a rank.
 */
export function bindingMode(value: string | undefined): 'auto' | 'none' | null {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'none' || value === '0') return 'none';
  return null;
}

/** Exit status of a rank that stopped because another rank failed (not reported as a failure). */
export const EXIT_ABORTED = 70;
/** Exit status of a rank that stopped because hang diagnosis fired (after printing what it waits for). */
export const EXIT_HANG = 71;
/** Exit status of a rank that stopped because the job deadlocked (after printing what it waits for). */
export const EXIT_DEADLOCK = 72;
export { EXIT_STATUS_DEADLOCK } from '../transport/transport.js';

/** Launcher: the environment of rank `rank`. */
export function jobEnvironment(c: JobConfig): Record<string, string> {
  return {
    [ENV.SEGMENT]: c.segment,
    [ENV.RANK]: String(c.rank),
    [ENV.LAUNCHER_PID]: String(c.launcherPid),
    [ENV.BUNDLE]: c.bundle,
    [ENV.DECK]: c.deck,
    [ENV.ARGS]: JSON.stringify(c.args),
    [ENV.APP_INDEX]: String(c.appIndex),
    [ENV.APP_RANKS]: c.appRanks.join(','),
  };
}

/** Rank: reads the job from the environment and removes it; null when not started by the launcher. */
export function takeJobEnvironment(env: NodeJS.ProcessEnv = process.env): JobConfig | null {
  const segment = env[ENV.SEGMENT];
  if (!segment) return null;
  const config: JobConfig = {
    segment,
    rank: Number(env[ENV.RANK]),
    launcherPid: Number(env[ENV.LAUNCHER_PID]),
    bundle: env[ENV.BUNDLE] ?? '',
    deck: env[ENV.DECK] ?? '',
    args: JSON.parse(env[ENV.ARGS] ?? '[]') as string[],
    appIndex: Number(env[ENV.APP_INDEX] ?? 0),
    appRanks: (env[ENV.APP_RANKS] ?? '').split(',').filter((s) => s !== '').map(Number),
  };
  for (const key of Object.values(ENV)) delete env[key];
  return config;
}
