// dimsCreate: balanced grid shapes for a number of ranks; zeros are free, other entries fixed.
// It communicates nothing, so this deck runs on one rank.
//   npx simdeck run -n 1 docs/examples/dims.ts
import { dimsCreate } from 'simdeck';

const show = (call: string, f: () => number[]) => {
  try {
    console.log(`${call.padEnd(29)} = [${f()}]`);
  } catch (e) {
    console.log(`${call.padEnd(29)} → ${(e as Error).name}: ${(e as Error).message}`);
  }
};
show('dimsCreate(6, 2)', () => dimsCreate(6, 2));
show('dimsCreate(16, 2)', () => dimsCreate(16, 2));
show('dimsCreate(7, 2)', () => dimsCreate(7, 2));
show('dimsCreate(12, 3)', () => dimsCreate(12, 3));
show('dimsCreate(12, 3, [0, 3, 0])', () => dimsCreate(12, 3, [0, 3, 0]));
show('dimsCreate(10, 2, [3, 0])', () => dimsCreate(10, 2, [3, 0]));
