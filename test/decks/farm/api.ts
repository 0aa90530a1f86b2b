// The farm's API on any number of ranks and any transport: every check prints `OK <name>` on
// rank 0, or throws (which fails the job with the rank, the message and the stack).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { world, ArgumentError } from 'simdeck';
import {
  CommandError, FarmFunctionError, Pool, RemoteTaskError, TaskFailedError, run, task, taskContext, type TaskContext,
} from 'simdeck/farm';

const nap = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(nap, 0, 0, ms);
function check(cond: unknown, what: string): void {
  if (!cond) throw new Error(`check failed: ${what}`);
}
const ok = (name: string) => { if (world.rank === 0) console.log(`OK ${name}`); };

// Registered before the Pool: submit and isolate find them by name on every rank and in children.
const add = task(function add(a: number, b: number) { return { sum: a + b, rank: taskContext()!.rank }; });
const fails = task('fails', (why: string) => { throw new RangeError(`failing on purpose: ${why}`); });
const maybeCrash = task('maybeCrash', (i: number) => {
  if (i === 3) process.kill(process.pid, 'SIGSEGV');
  return { i, pid: process.pid };
});

function cube(x: number) { return x * x * x; }
function whoRuns(x: number, ctx: TaskContext) { sleep(2); return [x, ctx.rank]; }

const pool = new Pool(world, { shared: world.rank === 0 ? { table: [10, 20, 30, 40] } : null });
const N = 2000;
const items = Array.from({ length: N }, (_, i) => i);

// 1. map: results in input order, equal to the serial computation.
const cubes = pool.map(cube, items, { progress: false });
if (world.rank === 0) {
  check(cubes!.length === N && cubes!.every((v, i) => v === i ** 3), 'map results in order');
} else check(cubes === null, 'map returns null off rank 0');
ok('map in order');

// 2. every rank works (rank 0 too), and each task ran once.
const placed = pool.map(whoRuns, Array.from({ length: 120 }, (_, i) => i), { progress: false });
if (world.rank === 0) {
  check(placed!.every(([x], i) => x === i), 'placed in order');
  const ranks = new Set(placed!.map(([, r]) => r));
  check(ranks.size === world.size, `every rank worked (saw ${[...ranks]})`);
}
ok('every rank works');

// 3. imap: completion order yields each task once; ordered yields input order.
let seen = 0;
const got = new Set<number>();
for (const o of pool.imap(cube, items.slice(0, 500), { progress: false })) { seen++; got.add(o.index); check(o.status === 'ok' && o.value === o.index ** 3, 'imap value'); }
if (world.rank === 0) check(seen === 500 && got.size === 500, 'imap yields every task once'); else check(seen === 0, 'imap yields nothing off rank 0');
let next = 0;
for (const o of pool.imap(whoRuns, items.slice(0, 60), { ordered: true, progress: false })) { check(o.index === next++, 'ordered imap in input order'); }
if (world.rank === 0) check(next === 60, 'ordered imap yields all');
ok('imap');

// 4. shared data, sent once, read by every task.
const looked = pool.map((i: number, ctx: TaskContext) => (ctx.shared as { table: number[] }).table[i % 4] + i, items.slice(0, 40), { progress: false });
if (world.rank === 0) check(looked!.every((v, i) => v === [10, 20, 30, 40][i % 4] + i), 'shared data');
ok('shared data');

// 5. failures by cause, retries on another rank, TaskFailedError from map.
const flaky = (i: number, ctx: TaskContext) => {
  if (i % 10 === 0 && ctx.attempt === 1) throw new Error(`first attempt of ${i} fails`);
  if (i === 7) throw new TypeError('seven always fails');
  if (i === 8) throw new Error('eight fails once', { cause: ctx.attempt });
  if (i === 9) return run('sh', ['-c', 'echo bad >&2; exit 3']);
  return i;
};
const outs = pool.outcomes(flaky, items.slice(0, 30), { retries: { error: 1 }, progress: false });
if (world.rank === 0) {
  const o = outs!;
  for (const i of [0, 10, 20]) {
    check(o[i].status === 'ok' && o[i].attempts.length === 2, `task ${i} retried to ok: ${JSON.stringify(o[i])}`);
    if (world.size > 1) check(o[i].attempts[0].rank !== o[i].attempts[1].rank, `retry of ${i} on another rank`);
  }
  check(o[7].status === 'error' && o[7].attempts.length === 2 && o[7].error!.name === 'TypeError', 'error after retries');
  check(/seven always fails/.test(o[7].error!.message) && /\(ran on rank \d/.test(o[7].error!.stack), 'remote stack');
  check(o[8].status === 'error' && o[8].attempts.length === 2, 'error retried once');
  check(o[9].status === 'exit' && (o[9].value as { code: number }).code === 3 && /bad/.test(o[9].error!.message), `exit status ${JSON.stringify(o[9])}`);
  check(o.filter((x) => x.status === 'ok').length === 27, 'the rest ok');
  const s = pool.summary!;
  check(s.ok === 27 && s.error === 2 && s.exit === 1 && s.retries === 5, `summary ${JSON.stringify(s)}`);
}
const slow = pool.outcomes((ms: number) => sleep(ms), [300, 0], { timeout: 0.05, progress: false });
if (world.rank === 0) check(slow![0].status === 'timeout' && slow![0].attempts.length === 1 && /over its limit/.test(slow![0].error!.message), 'in-process timeout');
let threw = false;
try { pool.map(flaky, items.slice(5, 9), { progress: false }); } catch (e) { threw = e instanceof TaskFailedError && e.outcomes.length === 4 && /2 of 4 tasks failed/.test(e.message); }
if (world.rank === 0) check(threw, 'map throws TaskFailedError');
ok('failures by cause');

// 6. submit inside serve: handles, ready/wait/get, remote errors, unregistered closures.
pool.serve(() => {
  const hs = [1, 2, 3, 4, 5, 6].map((i) => pool.submit(add, i, 10 * i));
  check(hs[5].wait(30), 'wait with a timeout');
  check(hs.map((h) => h.get().sum).join() === '11,22,33,44,55,66', 'submit results');
  check(hs.every((h) => h.ready()), 'ready after get');
  const bad = pool.submit(fails, 'x');
  let remote = false;
  try { bad.get(); } catch (e) { remote = e instanceof RemoteTaskError && e.outcome.status === 'error' && /RangeError: failing on purpose: x/.test(e.message); }
  check(remote, 'get throws RemoteTaskError with the remote stack');
  let notFound = false;
  try { pool.submit((x: number) => x + 1, 1); } catch (e) { notFound = e instanceof FarmFunctionError && /register it there with task/.test(e.message); }
  check(notFound, 'an unregistered closure is a FarmFunctionError');
}, { progress: false });
ok('submit');

// 7. isolated tasks: a crash kills only the child, and is retried on another rank.
const iso = pool.outcomes(maybeCrash, [0, 1, 2, 3, 4, 5], { isolate: true, retries: { crash: 1 }, progress: false });
if (world.rank === 0) {
  const o = iso!;
  check(o[3].status === 'crash' && o[3].attempts.length === 2 && /SIGSEGV/.test(o[3].error!.message), `crash: ${JSON.stringify(o[3])}`);
  if (world.size > 1) check(o[3].attempts[0].rank !== o[3].attempts[1].rank, 'crash retried on another rank');
  check(o.filter((x) => x.status === 'ok').every((x) => (x.value as { pid: number }).pid !== process.pid), 'ran in a child');
}
ok('isolate');

// 8. run(): status, output, input, env, cwd; a time limit kills the whole process group.
if (world.rank === 0) {
  const dir = mkdtempSync(join(tmpdir(), 'farm-run-'));
  const r = run('sh', ['-c', 'cat; echo "$GREETING from $(pwd)"; echo err >&2; exit 5'], { input: 'in\n', env: { GREETING: 'hi' }, cwd: dir });
  check(r.code === 5 && r.signal === null && r.stdout === `in\nhi from ${dir}\n` && r.stderr === 'err\n' && !r.ok && r.ms > 0, `run: ${JSON.stringify(r)}`);
  const pidFile = join(dir, 'bg.pid');
  const t = run('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeout: 0.3, grace: 0.2 });
  check(t.timedOut && t.signal === 'SIGTERM', `timed out: ${t}`);
  const bg = Number(readFileSync(pidFile, 'utf8'));
  sleep(100);
  // Gone, or a zombie waiting for init to reap it (its parent, the shell, was killed first).
  let alive = true;
  try { alive = !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${bg}/stat`, 'utf8')); } catch { alive = false; }
  check(!alive, 'the background child of a timed-out command was killed too');
  let e1: unknown, e2: unknown;
  try { run('/no/such/program'); } catch (e) { e1 = e; }
  try { run('echo', [1 as unknown as string]); } catch (e) { e2 = e; }
  check(e1 instanceof CommandError && e2 instanceof ArgumentError, 'bad commands are typed errors');
  rmSync(dir, { recursive: true, force: true });
  check(!existsSync(dir), 'cleaned');
}
ok('run');

// 9. bad options are ArgumentErrors before anything runs (on every rank).
let bad = 0;
for (const opts of [{ timeout: -1 }, { retries: { crashes: 1 } }, { resume: true }, { isolate: 'yes' }]) {
  try { pool.map(cube, [1], opts as never); } catch (e) { if (e instanceof ArgumentError) bad++; }
}
check(bad === 4, `bad options rejected (${bad})`);
ok('bad options');

pool.close();
