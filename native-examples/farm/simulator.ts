// IPython's simulator.py: 100 trials of an external program, load-balanced over the ranks
// (`lview.map_async(simulator, range(100))`), each trial's output in its own file.
//   npx simdeck run -n 4 native-examples/farm/simulator.ts OUTDIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { world } from 'simdeck';
import { Pool, run, type TaskContext } from 'simdeck/farm';

const [outDir] = process.argv.slice(2);
if (!outDir) throw new Error('usage: simulator.ts OUTDIR');
const simulator = join(dirname(fileURLToPath(import.meta.url)), 'simulator.sh');
if (world.rank === 0) mkdirSync(outDir, { recursive: true });

function trial(x: number, ctx: TaskContext) {
  const r = run(simulator, [String(x), '2', '4'], { timeout: 10 });
  writeFileSync(join(ctx.shared as string, `trial.${x}`), r.stdout);
  return r; // a non-zero exit would make the task an `exit` failure
}

const pool = new Pool(world, { shared: outDir });
let done = 0;
// As map_async: results as they complete; rank 0 could do other work between them.
for (const o of pool.imap(trial, Array.from({ length: 100 }, (_, i) => i), { progress: false })) {
  if (o.status === 'ok') done++;
}
if (world.rank === 0) {
  const total = Array.from({ length: 100 }, (_, x) => Number(readFileSync(join(outDir, `trial.${x}`), 'utf8').split(': ')[1]))
    .reduce((a, b) => a + b, 0);
  console.log(`${done} of 100 trials done; sum of measurements ${total}`);
}
