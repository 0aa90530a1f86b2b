// Failure cases of simdeck/io, one per run:  simdeck run -n N errors.ts CASE DIR HELPERS [FILE]
//   full      write 64x64 dumps until the disk is full (DIR on a small tmpfs)
//   ok        write 2 dumps and a checkpoint of a 40x30 grid, then close
//   noclose   write a dump and end without close()
//   restart   restart a 32x30 grid from FILE (a checkpoint of a 40x30 grid, or a missing file)
import { world } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { startOutput } from 'simdeck/io';

const [which, dir, helpers, file] = process.argv.slice(2);
const out = await startOutput(world, { dir, helpers: Number(helpers) });
if (which === 'full') {
  const grid = new Grid(out.comm, { shape: [64, 64] });
  const u = grid.zeros(Float64Array).fill((i, j) => i + j);
  for (let step = 0; step < 200; step++) {
    out.write('big', step, { u });
    if (out.comm.rank === 0 && step === 0) console.log('first dump submitted');
  }
  out.close();
  console.log('not reached: the disk should have been full');
} else if (which === 'ok') {
  const grid = new Grid(out.comm, { shape: [40, 30] });
  const u = grid.zeros(Float64Array).fill((i, j) => i * j);
  out.register({ u });
  out.write('f', 1, { u });
  out.checkpoint({ step: 2, time: 0.5, dt: 0.25, params: { alpha: 1 } });
  out.close();
  if (out.comm.rank === 0) console.log('OK wrote');
} else if (which === 'noclose') {
  const grid = new Grid(out.comm, { shape: [16, 16] });
  out.write('f', 0, { u: grid.zeros(Float64Array) });      // ...and the deck ends without out.close()
} else if (which === 'restart') {
  const grid = new Grid(out.comm, { shape: [32, 30] });
  out.register({ u: grid.zeros(Float64Array) });
  await out.restart(file);
  console.log('not reached: the restart should have failed');
}
