// Prints where each rank sits in an MPMD job: its world rank, its app (the deck it runs) and
// its rank in that app, and the arguments its deck was given.
//   npx simdeck run -n 2 docs/examples/who.ts first : -n 3 docs/examples/who.ts second --x=1
import { world, app, appIndex } from 'simdeck';
console.log(`world rank ${world.rank} of ${world.size}, app ${appIndex}, app rank ${app.rank} of ${app.size}, args ${JSON.stringify(process.argv.slice(2))}`);
