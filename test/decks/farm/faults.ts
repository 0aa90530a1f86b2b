// Fault injection for the farm: N tasks, each run isolated in a child process of its rank.
// By kind = (7 i) mod 20 (spread so failures do not come in runs):
//   0  segfaults in a native kernel (a NULL write in crash.c) on every attempt   -> crash
//   1  segfaults on its first attempt only                                       -> ok, on another rank
//   2  sleeps past its time limit: every attempt when i / 20 is even, else once -> timeout / ok
//   3  throws                                                                    -> error (no retry)
//   else returns 2 i.
// Together about 10% crash, 5% time out, 5% throw. Retries: crash 2, timeout 1, error 0.
// Every attempt appends "id rank attempt" to RUNLOG before it does anything else.
//   simdeck run -n 4 test/decks/farm/faults.ts JOURNAL RUNLOG [N]
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
  const kind = (7 * i) % 20;
  if (kind === 0 || (kind === 1 && ctx.attempt === 1)) k.crash_null(i);
  if (kind === 2 && (Math.floor(i / 20) % 2 === 0 || ctx.attempt === 1)) Atomics.wait(nap, 0, 0, 60_000);
  if (kind === 3) throw new Error(`task ${i} throws on purpose`);
  return 2 * i;
});

const pool = new Pool(world);
const items = Array.from({ length: Number(count) }, (_, i) => i);
const out = pool.outcomes(faulty, items, {
  isolate: true, timeout: 1, grace: 0.2, retries: { crash: 2, timeout: 1, error: 0 }, journal, resume: true,
});
if (out !== null) {
  const s = pool.summary!;
  console.log(`OK summary total=${s.total} ok=${s.ok} crash=${s.crash} timeout=${s.timeout} error=${s.error} resumed=${s.resumed}`);
}
