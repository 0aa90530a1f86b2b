// A deck that imports a package simdeck leaves on disk (ws, loaded by Node when first used):
// from a bundle run from V8's code cache, that import() must still reach Node's loader.
import { world } from 'simdeck';

const ws = await import('ws');
console.log(JSON.stringify({ rank: world.rank, ws: typeof ws.WebSocket }));
