// Deck with a local .ts import and an npm package import; reports where its code runs from.
import { pack, unpack } from 'msgpackr';
import { world } from 'simdeck';
import { defaultShape, whereAmI } from './lib/shape.ts';

process.setSourceMapsEnabled(false);
const frame = (new Error().stack ?? '').split('\n')[1];
const roundTrip = unpack(pack(defaultShape));
console.log(JSON.stringify({ rank: world.rank, roundTrip, whereAmI, frame, argv: process.argv.slice(2), metaUrl: import.meta.url }));
