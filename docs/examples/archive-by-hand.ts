// An archival helper written by hand with communicators (the seed program (c) before
// simdeck/io: native-examples/seed/archive.ts now does this with startOutput). Every rank but
// the last is a worker; the last rank archives. Workers step, each step writing one file per worker into WORKDIR (written under a
// temporary name, then renamed, so a file under its final name is always complete); after each
// step the workers meet at a barrier and worker 0 tells the helper 'archive'; at the end it
// says 'done'. The helper moves finished files into ARCHIVEDIR, checking that each is complete.
//   npx simdeck run -n 4 docs/examples/archive-by-hand.ts WORKDIR ARCHIVEDIR [steps]
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { world } from 'simdeck';

const [workDir, archiveDir, stepsArg = '5'] = process.argv.slice(2);
if (!workDir || !archiveDir) throw new Error('usage: archive-by-hand.ts WORKDIR ARCHIVEDIR [steps]');
const steps = Number(stepsArg);
if (world.size < 2) throw new Error('archive-by-hand.ts needs at least 2 ranks: workers and one helper');
const helper = world.size - 1;

const workers = world.slice(0, -1);                    // all ranks but the last; null on the last
if (workers) {
  mkdirSync(workDir, { recursive: true });
  for (let step = 0; step < steps; step++) {
    // One step's output: a header, the data, and an end line, written in several pieces.
    const name = `w${workers.rank}-step${String(step).padStart(3, '0')}.dat`;
    const tmp = join(workDir, `.${name}.tmp`);
    const fd = openSync(tmp, 'w');
    writeSync(fd, `worker ${workers.rank} step ${step}\n`);
    for (let i = 0; i < 100; i++) writeSync(fd, `${step * 1000 + i}\n`);
    writeSync(fd, `end of step ${step}\n`);
    closeSync(fd);
    renameSync(tmp, join(workDir, name));             // atomic: the final name appears complete
    workers.barrier();                                 // every worker has finished this step
    if (workers.rank === 0) world.send('archive', helper);
  }
  if (workers.rank === 0) world.send('done', helper);
} else {
  mkdirSync(archiveDir, { recursive: true });
  let moved = 0, rounds = 0;
  const sweep = () => {
    for (const f of readdirSync(workDir)) {
      if (f.endsWith('.tmp')) continue;                // still being written
      const text = readFileSync(join(workDir, f), 'utf8');
      const m = /^worker \d+ step (\d+)\n/.exec(text);
      if (!m || !text.endsWith(`end of step ${m[1]}\n`)) throw new Error(`helper found an incomplete file ${f}`);
      renameSync(join(workDir, f), join(archiveDir, f));
      moved++;
    }
  };
  for (;;) {
    const msg = world.recv();
    if (msg === 'done') break;
    if (msg !== 'archive') throw new Error(`helper: unexpected message ${JSON.stringify(msg)}`);
    sweep();
    rounds++;
  }
  sweep();                                              // anything finished after the last 'archive'
  console.log(`helper archived ${moved} files in ${rounds} rounds`);
}
