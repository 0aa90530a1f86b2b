// The gas turbine as one deck: every component on its own ranks of one job.
//   npx simdeck run -n 7 native-examples/coupled/coupled.ts steps=40
import { world } from 'simdeck';
import { components } from 'simdeck/couple';
import { runComponent } from './engine.ts';

const comp = components(world, { compressor: 2, combustor: 3, exhaust: 1, control: 1 });
await runComponent(comp);
