// The pyMPI parameter study (native-examples/seed/paramstudy.ts), load-balanced: every rank asks
// for the next parameter when it is free, each run of the external code has a time limit, and a
// run that hangs is stopped (its whole process group) and reported instead of stalling the study.
//   npx simdeck run -n 4 native-examples/farm/paramstudy.ts OUTDIR [nparams]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { world } from 'simdeck';
import { Pool, formatSummary, run } from 'simdeck/farm';

const [outDir, countArg = '30'] = process.argv.slice(2);
if (!outDir) throw new Error('usage: paramstudy.ts OUTDIR [nparams]');
const solver = join(dirname(fileURLToPath(import.meta.url)), 'solver.sh');
const params = Array.from({ length: Number(countArg) }, (_, i) => i + 1);
if (world.rank === 0) mkdirSync(outDir, { recursive: true });

const pool = new Pool(world);
// One external run per parameter, 2 s at most each; its stdout is the result line.
const results = pool.outcomes((x: number) => run(solver, [String(x)], { timeout: 2, grace: 0.5 }), params, {
  journal: join(outDir, 'journal.jsonl'), progress: false,
});

if (world.rank === 0) {
  const lines = results!.map((o, i) => (o.status === 'ok' ? (o.value as { stdout: string }).stdout.trim() : `x=${params[i]} ${o.status}`));
  writeFileSync(join(outDir, 'master.txt'), `# ${params.length} runs on ${world.size} ranks\n${lines.join('\n')}\n`);
  console.log(`master file ${join(outDir, 'master.txt')}: ${params.length} runs`);
  for (const o of results!.filter((r) => r.status !== 'ok')) console.log(`x=${params[o.index]}: ${o.status} after ${Math.round(o.attempts[0].ms)} ms`);
  console.log(formatSummary(pool.summary!));
}
