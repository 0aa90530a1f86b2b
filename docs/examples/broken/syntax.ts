// A deck with a syntax error on purpose, for the errors section of docs/getting-started.md.
//   npx simdeck run -n 2 docs/examples/broken/syntax.ts
import { world } from 'simdeck';

const x = world.rank +;
console.log(x);
