// Writes dumps of known fields through simdeck/io, for the io tests to read with h5py.
//   simdeck run -n N dumps.ts DIR HELPERS [layout C|F] [dof] [gzip]
// Field u(i, j) = i * 1000 + j + step / 8 (times component + 1 when dof > 1); w is Int32 i - j.
import { world } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { startOutput } from 'simdeck/io';

const [dir, helpersArg = '1', layout = 'C', dofArg = '1', gzipArg = '0'] = process.argv.slice(2);
const out = await startOutput(world, {
  dir, helpers: Number(helpersArg), gzip: Number(gzipArg),
  info: { spacing: [0.5, 0.25], origin: [-1, 2], units: { u: 'K', length: 'm' }, params: { alpha: 0.1, scheme: 'ftcs' } },
});
const dof = Number(dofArg);
const grid = new Grid(out.comm, { shape: [37, 23], ghosts: 1, layout: layout as 'C' | 'F', dof });
const u = grid.zeros(Float64Array);
const w = grid.zeros(Int32Array);
out.prepare({ u, w });   // buffers before the first write (the other decks leave it to the first write)
for (let step = 0; step <= 20; step += 10) {
  u.fill((i: number, j: number, c: number) => (i * 1000 + j + step / 8) * (c + 1));
  w.fill((i: number, j: number) => i - j);
  out.write('fields', step, { u, w }, { time: step * 0.01 });
  out.series('diagnostics', step, { total: u.sum(), max: u.max() });
}
const report = out.close();
if (out.comm.rank === 0) console.log(`OK closed ${report.files} files, ${report.dumps} dumps`);
