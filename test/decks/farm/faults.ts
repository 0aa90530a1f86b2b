// Fault injection for the farm: N tasks, isolated in child processes; task i (by i % 20):
// 0, 1 segfault in a native kernel (10%), 2 sleeps past its time limit (5%), 3 throws (5%),
// the rest return 2 i. Every attempt appends "id rank attempt" to RUNLOG.
//   simdeck run -n 3 test/decks/farm/faults.ts JOURNAL RUNLOG [N]
import { appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { world } from 'simdeck';
import { Pool, task, type TaskContext } from 'simdeck/farm';
import { loadKernels } from 'simdeck/kernels';

const [journal, runLog, count = '1000'] = process.argv.slice(2);
const k = loadKernels(join(dirname(fileURLToPath(import.meta.url)), 'crash.c'));
const nap = new Int32Array(new SharedArrayBuffer(4));

const faulty = task('faulty', (i: number, ctx: TaskContext) => {
  appendFileSync(runLog, `${i} ${ctx.rank} ${ctx.attempt}\n`);
  const kind = i % 20;
  if (kind === 0 || kind === 1) k.crash_null(i);
  if (kind === 2) Atomics.wait(nap, 0, 0, 20_000);
  if (kind === 3) throw new Error(`task ${i} throws on purpose`);
  return 2 * i;
});

const pool = new Pool(world);
const items = Array.from({ length: Number(count) }, (_, i) => i);
const out = pool.outcomes(faulty, items, {
  isolate: true, timeout: 0.5, grace: 0.2, retries: { crash: 1, timeout: 1, error: 0 }, journal, resume: true, progress: 'lines',
});
if (out !== null) {
  const s = pool.summary!;
  console.log(`OK summary total=${s.total} ok=${s.ok} crash=${s.crash} timeout=${s.timeout} error=${s.error} resumed=${s.resumed} retries=${s.retries}`);
}
