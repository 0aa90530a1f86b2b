// The control as a deck of its own, for an MPMD job:
//   npx simdeck run -n 2 compressor.ts : -n 3 combustor.ts : -n 1 exhaust.ts : -n 1 control.ts
// (each component is named after its deck file).
import { world } from 'simdeck';
import { components } from 'simdeck/couple';
import { runComponent } from './engine.ts';

await runComponent(components(world));
