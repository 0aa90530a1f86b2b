// npm run bench [-- name ...]: runs test/bench/<name>.bench.mjs one after another (each in its
// own process, so one benchmark's processes never compete with another's), and writes each one's
// markdown into its own section of docs/benchmarks.md, leaving the other sections as they were.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const docPath = join(root, 'docs', 'benchmarks.md');
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.replace(/\.bench\.mjs$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();
if (benches.length === 0) {
  console.error(`no benchmark matches ${wanted.join(' ')}`);
  process.exit(2);
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ` +
  `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;

let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n\n' +
  'Produced by `npm run bench`; each section is rewritten by its own benchmark. Medians of\n' +
  'repeated runs; ratios are simdeck ÷ peer measured in the same run on the same machine.\n';

let failed = false;
for (const name of benches) {
  console.error(`== bench ${name}`);
  const r = spawnSync(process.execPath, [join(here, `${name}.bench.mjs`)], {
    cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) {
    console.error(`bench ${name} failed with status ${r.status ?? r.signal}`);
    failed = true;
    continue;
  }
  const body = `<!-- bench:${name} -->\n## ${name}\n\nMachine: ${machine}\n\n${r.stdout.trim()}\n<!-- /bench:${name} -->`;
  const re = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
  doc = re.test(doc) ? doc.replace(re, body) : `${doc.trimEnd()}\n\n${body}\n`;
  process.stdout.write(`${r.stdout}\n`);
}
writeFileSync(docPath, doc);
process.exit(failed ? 1 : 0);
