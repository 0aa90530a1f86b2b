// Shared by the coupled-model example: which world ranks run which component. Every deck of
// the job calls layout() first, since it is a collective over world.
import { world, appIndex } from 'simdeck';

export const OCEAN = 0, COUPLER = 1, ATMOSPHERE = 2;     // the order of the decks on the command line
export const TO_COUPLER = 1, FROM_COUPLER = 2;           // tags

export function layout() {
  const apps = world.allgather(appIndex);                // the app index of every world rank
  const ranksOf = (a: number) => apps.flatMap((x, w) => (x === a ? [w] : []));
  return { ocean: ranksOf(OCEAN), coupler: ranksOf(COUPLER)[0], atmosphere: ranksOf(ATMOSPHERE) };
}
