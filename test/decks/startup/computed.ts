// A deck with an import() of a module named at run time: esbuild leaves it to Node, so its bundle
// is not run from a code cache (Node 20 loses a cached script's import() loader).
import { world } from 'simdeck';

const url = new URL('./plain.mjs', import.meta.url).href;
const { answer } = (await import(url)) as { answer: number };
console.log(JSON.stringify({ rank: world.rank, answer }));
