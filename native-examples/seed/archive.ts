// Seed program (c): an archival helper, on simdeck/io. The last rank is a helper rank: the
// workers hand it each step's field and go on at once; it writes the field as one HDF5 file
// (under a hidden partial name, synced, then renamed: never seen half-written), then moves the
// file into ARCHIVEDIR and records it in ARCHIVEDIR/manifest.jsonl (file, step, bytes, sha256).
// After a crash, `npx simdeck archive --resume WORKDIR` completes the archive.
//   npx simdeck run -n 4 native-examples/seed/archive.ts WORKDIR ARCHIVEDIR [steps]
import { world } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { startOutput } from 'simdeck/io';

const [workDir, archiveDir, stepsArg = '5'] = process.argv.slice(2);
if (!workDir || !archiveDir) throw new Error('usage: archive.ts WORKDIR ARCHIVEDIR [steps]');
const steps = Number(stepsArg);

// The helper (the last rank) never returns from startOutput: it serves until the workers close.
const out = await startOutput(world, { dir: workDir, helpers: 1, archive: { dir: archiveDir, mode: 'move' }, report: false });
const grid = new Grid(out.comm, { shape: [100 * out.comm.size] });   // 100 values per worker
const x = grid.zeros(Float64Array);
for (let step = 0; step < steps; step++) {
  x.fill((i) => step * 1000 + i);                                     // this step's output
  out.write('step', step, { x });                                     // returns at once
}
const report = out.close();                                           // waits for the helper
if (out.comm.rank === 0) console.log(`${report.files} files written by the helper, ${report.archived} moved into the archive`);
