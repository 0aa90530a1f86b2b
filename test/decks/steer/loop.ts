// The simulation loop's semantics on any number of ranks and any transport. Every check gathers
// what each rank saw and prints `OK <check>` on rank 0 only when all ranks agree with each other
// and with the expected (serial) result. Run with report: false so that only OK lines print.
import { world } from 'simdeck';
import { Simulation, ScriptedLink, ParameterError, TimestepError } from 'simdeck/steer';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PARAMS, bits, physics } from './physics.js';

const { rank, size } = world;
const same = (x: unknown): boolean => {
  const all = world.allgather(JSON.stringify(x));
  return all.every((a) => a === all[0]);
};
function check(name: string, mine: unknown, expected?: unknown): void {
  const agree = same(mine);
  const ok = agree && (expected === undefined || JSON.stringify(mine) === JSON.stringify(expected));
  if (rank === 0) console.log(ok ? `OK ${name}` : `FAIL ${name}: ${JSON.stringify(mine)} expected ${JSON.stringify(expected)} (ranks agree: ${agree})`);
}
const dir = world.bcast(rank === 0 ? mkdtempSync(join(tmpdir(), 'simdeck-steer-')) : null, 0) as string;

// A. step cadences, named points, stop at a step count
{
  const sim = new Simulation(world, { stop: { steps: 25 }, report: false });
  const log: string[] = [];
  let before = 0, after = 0;
  sim.every({ steps: 10 }, (s) => log.push(`10@${s.step}`));
  sim.every({ steps: 7 }, (s) => log.push(`7@${s.step}`));
  sim.on('beforeStep', () => before++).on('afterStep', () => after++).on('stop', (s) => log.push(`stop@${s.step}`));
  const reason = sim.run(() => {});
  check('step cadences and named points', { reason, log, before, after, step: sim.step },
    { reason: 'steps', log: ['7@7', '10@10', '7@14', '10@20', '7@21', 'stop@25'], before: 25, after: 25, step: 25 });
}

// B. time cadences land exactly on their times; the stop time too
{
  const sim = new Simulation(world, { dt: 0.3, stop: { time: 2.5 }, report: false });
  const hits: number[] = [];
  const dts: number[] = [];
  sim.every({ time: 1 }, (s) => hits.push(s.time));
  sim.run((s) => { dts.push(s.dt); });
  const exact = hits[0] === 1 && hits[1] === 2 && sim.time === 2.5 && dts.length === 10;
  check('time cadences land exactly (the step before is shortened)', { hits, time: sim.time, steps: sim.step, exact, reason: sim.stopReason },
    { hits: [1, 2], time: 2.5, steps: 10, exact: true, reason: 'time' });
}

// C. time step: minimum over ranks, safety, maximum change per step, bounds
{
  const proposals = [0.02, 0.1, 1, 1, 0.01, 0.3];
  const sim = new Simulation(world, { stop: { steps: 6 }, report: false });
  sim.timestep(() => (rank === size - 1 ? proposals[sim.step]! : 1 + rank), { safety: 0.5, maxChange: 2, min: 0.02, max: 0.15 });
  const dts: number[] = [];
  sim.run((s) => { dts.push(s.dt); });
  check('timestep: global min, safety, max change, bounds', dts, [0.02, 0.04, 0.08, 0.15, 0.02, 0.04]);
  let err = '';
  try {
    const bad = new Simulation(world, { stop: { steps: 3 }, report: false });
    bad.timestep(() => (rank === size - 1 && bad.step === 1 ? -1 : 0.1));
    bad.run(() => {});
  } catch (e) { err = e instanceof TimestepError ? 'TimestepError at step ' + /at step (\d+)/.exec((e as Error).message)?.[1] : String(e); }
  check('a bad dt on one rank is a TimestepError on every rank', err, 'TimestepError at step 1');
}

// D. stop criteria agree on every rank: a predicate true on one rank only, a wall budget
{
  const sim = new Simulation(world, { stop: { steps: 100, when: (s) => rank === size - 1 && s.step >= 7 }, report: false });
  sim.run(() => {});
  check('stop.when true on one rank stops every rank at the same step', { step: sim.step, reason: sim.stopReason }, { step: 7, reason: 'when' });
  const w = new Simulation(world, { stop: { wall: 0.25, steps: 1e9 }, report: false });
  w.run(() => { const t = performance.now(); while (performance.now() - t < (rank + 1) * 0.05); });
  check('a wall budget (rank 0\'s clock) stops every rank at the same step', { step: w.step, reason: w.stopReason });
  const wh: number[] = [];
  const w2 = new Simulation(world, { stop: { steps: 400 }, report: false });
  w2.every({ wall: 0.01 }, (s) => wh.push(s.step));
  w2.run(() => { const t = performance.now(); while (performance.now() - t < 0.1); });
  check('wall cadence hooks run at the same steps on every rank', { steps: wh, some: wh.length > 0 });
}

// E. steering through a link on rank 0: set, eval, checkpoint, pause, step N, resume, stop
let recorded = NaN;
const logPath = join(dir, 'steer.jsonl');
{
  const waits: string[] = [];
  const link = new ScriptedLink({
    onWait: (l) => {
      waits.push(`wait@${sim.step}`);
      if (waits.length === 1) l.send({ kind: 'step', count: 3 }, 'attach');
      else if (waits.length === 2) { l.send({ kind: 'set', name: 'alpha', value: '0.25' }, 'attach'); l.send({ kind: 'resume' }, 'attach'); }
    },
  });
  const sim = new Simulation(world, {
    params: PARAMS,
    stop: { steps: 1000 }, dt: 0.01, steer: rank === 0 ? link : true, log: logPath, report: false, syncInterval: 0,
  });
  const changes: string[] = [];
  const checkpoints: number[] = [];
  sim.onChange((c) => changes.push(`${c.name}=${c.value}@${c.step}#${c.seq}`));
  sim.onCheckpoint((s) => checkpoints.push(s.step));
  let ids: number[] = [];
  sim.every({ steps: 5 }, (s) => {
    if (rank !== 0) return;
    if (s.step === 5) ids = [
      link.send({ kind: 'set', name: 'alpha', value: 0.2 }, 'browser'),
      link.send({ kind: 'set', name: 'alpha', value: 7 }, 'browser'),           // out of range: refused
      link.send({ kind: 'set', name: 'beta', value: 1 }, 'browser'),            // unknown: refused
      link.send({ kind: 'eval', expr: 'world.rank * 100 + params.alpha' }, 'attach'),
      link.send({ kind: 'eval', expr: 'x() > 0 && sim.step' }, 'attach'),
      link.send({ kind: 'eval', expr: 'nosuchname + 1' }, 'attach'),
      link.send({ kind: 'checkpoint' }, 'browser'),
      link.send({ kind: 'set', name: 'mode', value: 'wave' }, 'browser'),
    ];
    if (s.step === 40) link.send({ kind: 'pause' }, 'browser');
    if (s.step === 200) link.send({ kind: 'stop' }, 'browser');
  });
  recorded = physics(sim);
  check('steering changes reach every rank at the same step, in sequence order', { changes, checkpoints, reason: sim.stopReason, n: changes.length, cp: checkpoints.length });
  if (rank === 0) {
    const r = (id: number) => link.replyTo(id) as { ok: boolean; error?: string; answers?: unknown[]; step?: number };
    const refusedRange = r(ids[1]!).ok === false && /alpha must be at most 0.5 1\/s, got 7/.test(r(ids[1]!).error!);
    const refusedName = r(ids[2]!).ok === false && /unknown parameter "beta"; steerable parameters are alpha, mode/.test(r(ids[2]!).error!);
    const answers = r(ids[3]!).answers;
    const evalOk = JSON.stringify(answers) === JSON.stringify(Array.from({ length: size }, (_, i) => i * 100 + 0.2));
    const steps = r(ids[4]!).answers as number[];
    const errOk = (r(ids[5]!).answers as { error: string }[]).every((a) => /ReferenceError: nosuchname is not defined/.test(a.error));
    const appliedAt = r(ids[0]!).step;
    console.log(refusedRange && refusedName ? 'OK refused commands get an error reply and change nothing' : `FAIL refused: ${JSON.stringify(link.replies)}`);
    console.log(evalOk && steps.every((s) => s === appliedAt) && errOk ? 'OK eval runs on every rank at the boundary and gathers each rank\'s answer' : `FAIL eval ${JSON.stringify(link.replies)}`);
    console.log(link.announced.map((d) => `${d.name}:${d.type}`).join(',') === 'alpha:number,mode:string' ? 'OK the schema is announced to the link' : 'FAIL announce');
    console.log(link.status !== null && link.statusCount > 0 ? 'OK status is published' : 'FAIL status');
  }
  // pause at the boundary after step 40's hook; 'step 3' runs three steps and pauses again; set + resume
  const pauseSteps = world.bcast(waits, 0);
  check('pause, step N, resume', { waitsAfterStep: pauseSteps.length >= 2 && Number(pauseSteps[1]!.split('@')[1]) - Number(pauseSteps[0]!.split('@')[1]) === 3, alpha: sim.params.alpha, stopped: sim.step >= 200 },
    { waitsAfterStep: true, alpha: 0.25, stopped: true });
}

// F. replay: the same changes at the same steps, bit-identical result
{
  const sim = new Simulation(world, {
    params: PARAMS,
    stop: { steps: 1000 }, dt: 0.01, replay: logPath, report: false,
  });
  const changes: string[] = [];
  sim.onChange((c) => changes.push(`${c.name}=${c.value}@${c.step}`));
  const x = physics(sim);
  check('replay gives a bit-identical result', { same: bits(x) === bits(recorded), step: sim.step, reason: sim.stopReason, n: changes.length },
    { same: true, step: sim.step, reason: 'steering', n: 3 });
  const plain = new Simulation(world, { params: { alpha: 0.1, mode: 'plain' }, stop: { steps: sim.step }, dt: 0.01, report: false });
  const y = physics(plain as never);
  check('(an unsteered run differs)', bits(y) !== bits(recorded), true);
  let err = '';
  try { new Simulation(world, { stop: { steps: 1 }, replay: join(dir, 'missing.jsonl') }); } catch (e) { err = (e as Error).name; }
  check('a missing replay log is a ReplayError on every rank', err, 'ReplayError');
  let perr = '';
  try { new Simulation(world, { params: { a: { value: 2, max: 1 } }, stop: { steps: 1 } }); } catch (e) { perr = e instanceof ParameterError ? (e as Error).message : String(e); }
  check('a bad schema is a ParameterError', perr, 'parameter a: initial value must be at most 1, got 2');
}
// G. the default, pipelined agreement (rank 0 posts, the others read at the next step): changes
// still reach every rank at the same step, and the run replays bit for bit
{
  const link = new ScriptedLink();
  const log2 = join(dir, 'pipelined.jsonl');
  const mk = (o: object) => new Simulation(world, { params: PARAMS, stop: { steps: 50_000 }, dt: 1e-4, report: false, ...o });
  const sim = mk({ steer: rank === 0 ? link : true, log: log2 });
  const changes: string[] = [];
  sim.onChange((c) => changes.push(`${c.name}=${c.value}@${c.step}`));
  sim.every({ steps: 1000 }, (s) => {
    if (rank !== 0) return;
    if (s.step === 1000) link.send({ kind: 'set', name: 'alpha', value: 0.3 });
    if (s.step === 5000) link.send({ kind: 'set', name: 'mode', value: 'wave' });
    if (s.step === 9000) link.send({ kind: 'stop' });
  });
  const x = physics(sim);
  const again = mk({ replay: log2 });
  const y = physics(again);
  check('pipelined agreement: same steps on every rank, replayed bit for bit', { changes, stop: sim.stopReason, same: bits(x) === bits(y), step: sim.step === again.step, n: changes.length, after: sim.step > 9000 },
    { changes, stop: 'steering', same: true, step: true, n: 2, after: true });
}

if (process.env.STEER_LOG_OUT && rank === 0) {
  (await import('node:fs')).copyFileSync(logPath, process.env.STEER_LOG_OUT);
  console.log(`result ${bits(recorded)}`);
}
