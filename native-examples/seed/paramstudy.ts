// Seed program (a): a parameter study. Rank 0 deals the parameters out, one chunk per rank;
// every rank runs an external program for each of its parameters (here a small shell script,
// in real life a solver), each run writing its own output file; after a barrier, rank 0
// joins the outputs, in parameter order, into one master file.
//   npx simdeck run -n 4 native-examples/seed/paramstudy.ts OUTDIR [nparams]
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { world } from 'simdeck';

const [outDir, countArg = '10'] = process.argv.slice(2);
if (!outDir) throw new Error('usage: paramstudy.ts OUTDIR [nparams]');
const nparams = Number(countArg);
if (!Number.isInteger(nparams) || nparams < 1) throw new Error(`nparams must be a whole number of at least 1, got ${JSON.stringify(countArg)}`);
const params = Array.from({ length: nparams }, (_, i) => i + 1);

// Rank 0 builds one chunk per rank (round robin); the other ranks pass null.
let chunks: number[][] | null = null;
if (world.rank === 0) {
  mkdirSync(outDir, { recursive: true });
  chunks = Array.from({ length: world.size }, (): number[] => []);
  params.forEach((x, i) => chunks![i % world.size].push(x));
}

const resultFile = (x: number) => join(outDir, `run-${x}.txt`);
for (const x of world.scatter(chunks, 0)) {
  // The external program: the cube of x and x mod 7, computed by the shell and written to
  // this parameter's own file, with the rank that ran it.
  // The values reach the shell as environment variables, so no path needs quoting.
  execSync('echo "x=$X cube=$((X * X * X)) mod7=$((X % 7)) rank=$RANK" > "$OUT"',
    { env: { ...process.env, X: String(x), RANK: String(world.rank), OUT: resultFile(x) } });
}
world.barrier(); // every run has finished: rank 0 may read all outputs

if (world.rank === 0) {
  const lines = params.map((x) => readFileSync(resultFile(x), 'utf8').trimEnd());
  writeFileSync(join(outDir, 'master.txt'), `# ${nparams} runs on ${world.size} ranks\n${lines.join('\n')}\n`);
  console.log(`master file ${join(outDir, 'master.txt')}: ${nparams} runs`);
}
