// Shared by the MPMD test decks: what every component prints about itself, and the world
// layout every rank learns at start (the app index of each world rank).
import { world, app, appIndex } from 'simdeck';

export const OCEAN = 0, COUPLER = 1, ATMOS = 2;
export const FIELD = 10, COMBINED = 11, ACROSS = 20, BACK = 21;

/** Collective over world (every deck calls it first): the app index of each world rank. */
export function layout() {
  const apps = world.allgather(appIndex);
  const ranksOf = (a: number) => apps.flatMap((x, w) => (x === a ? [w] : []));
  return { apps, ocean: ranksOf(OCEAN), coupler: ranksOf(COUPLER)[0], atmos: ranksOf(ATMOS) };
}

export function say(what: string, value: unknown): void {
  console.log(`${what} = ${JSON.stringify(value)}`);
}

/** Prints this rank's identity and checks app collectives stay inside the app. */
export function identity(): void {
  say('identity', { worldRank: world.rank, worldSize: world.size, appIndex, appRank: app.rank, appSize: app.size, args: process.argv.slice(2) });
  say('app.allreduce(world.rank)', app.allreduce(world.rank));
  say('app.allgather(world.rank)', app.allgather(world.rank));
  say('app.bcast', app.bcast(app.rank === 0 ? `from world rank ${world.rank}` : null, 0));
}
