// Dumps in a burst, for the io tests: `count` writes of two fields of one shape with nothing
// computed between them, and a checkpoint after every fourth, so that a worker's send buffers
// are still being pulled by the helper when the next writes need buffers of that shape.
// Blocks of 256² float64 on 2 workers are 256 KiB: above the eager limit, so they are pulled
// from the worker's buffer (rendezvous), not copied out at the send.
//   simdeck run -n 3 burst.ts DIR [procs 2x1|1x2] [prepare 1|0] [count]
// Field u(i, j) = i * 1000 + j + step, v = -u; the checkpoint holds u and v.
import { world } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { startOutput } from 'simdeck/io';

const [dir, procs = '2x1', prepare = '1', countArg = '8'] = process.argv.slice(2);
const N = 256;
const out = await startOutput(world, { dir, helpers: 1 });
const grid = new Grid(out.comm, { shape: [N, N], ghosts: 1, procs: procs.split('x').map(Number) });
const u = grid.zeros(Float64Array), v = grid.zeros(Float64Array);
out.register({ u, v });
if (prepare === '1') out.prepare({ u, v });
for (let step = 1; step <= Number(countArg); step++) {
  u.fill((i: number, j: number) => i * 1000 + j + step);
  v.fill((i: number, j: number) => -(i * 1000 + j + step));
  out.write('burst', step, { u, v });
  if (step % 4 === 0) out.checkpoint({ step, time: step });
}
const report = out.close();
if (out.comm.rank === 0) console.log(`OK closed ${report.files} files, ${report.dumps} dumps`);
