// A small stand-in for the simulation loop, for the steering server's tests: rank 0 opens the
// steering link (SIMDECK_STEER=1), and at every step boundary picks up commands, checks them,
// broadcasts the accepted ones, and every rank applies them at that same boundary. Each rank
// prints what it applied and at which step, so tests can check that all ranks agree.
//   args: [steps] [ms per step]
import { Op, world } from 'simdeck';
import { inspect } from 'node:util';
import { runInThisContext } from 'node:vm';
import { picture } from './picture.js';
import { openSteeringLink } from '../../../dist/src/steer/server/open.js';
import { publishMetrics, publishPlot } from '../../../dist/src/steer/publish.js';
import { checkValue } from '../../../dist/src/steer/params.js';
import type { ParamDescription, SteerCommand, SteerRequest, SteerStatus } from '../../../dist/src/steer/link.js';

const steps = Number(process.argv[2] ?? 200);
const msPerStep = Number(process.argv[3] ?? 0);
const schema: ParamDescription[] = [
  { name: 'alpha', type: 'number', value: 0.1, min: 0, max: 0.25, unit: 'm2/s', description: 'diffusivity' },
  { name: 'iterations', type: 'integer', value: 3, min: 1, max: 100 },
  { name: 'source', type: 'boolean', value: true },
  { name: 'scheme', type: 'string', value: 'upwind', choices: ['upwind', 'central'] },
];
const params: Record<string, number | string | boolean> = Object.fromEntries(schema.map((p) => [p.name, p.value]));
const rank0 = world.rank === 0;
const link = rank0 && process.env.SIMDECK_STEER === '1' ? await openSteeringLink({ params: schema }) : null;
if (link) console.log(`STEER ${link.url}`);
Object.assign(globalThis, { params, world });

const sleeper = new Int32Array(new SharedArrayBuffer(4));
let x = 0; // the "result": depends only on the parameters at each step
let paused = false;
let budget = 0;
let seq = 0;
let checkpoints = 0;
let time = 0;
const dt = 0.01;
const start = Date.now();
const log: string[] = [];

/** Rank 0: why a command cannot be applied, or null. */
function refuse(c: SteerCommand): string | null {
  if (c.kind !== 'set') return null;
  const p = schema.find((d) => d.name === c.name);
  if (!p) return `no parameter ${c.name}`;
  if (typeof c.value !== (p.type === 'integer' ? 'number' : p.type)) return `${c.name} must be a ${p.type}`;
  const checked = checkValue(p, c.value); // the steering loop's own check, so its refusals read the same
  return 'error' in checked ? `${c.name} ${checked.error}` : null;
}

function status(step: number, state: SteerStatus['state']): SteerStatus {
  const wall = (Date.now() - start) / 1000;
  return { step, time, dt, wall, stepsPerSecond: wall > 0 ? step / wall : 0, eta: null, state, params: { ...params },
    timers: [{ name: 'step', calls: step, min: 0.001, mean: 0.002, max: 0.003 }], log: log.slice(-20) };
}

/** One boundary: returns false when the run stops. Collective. */
function boundary(step: number): boolean {
  for (;;) {
    let requests: SteerRequest[] = [];
    if (link && paused && budget === 0) link.publishStatus(status(step, 'paused'));
    if (link) requests = paused && budget === 0 ? link.waitForCommands(1000) : link.poll();
    const accepted = world.bcast(rank0 ? requests.filter((r) => {
      const why = refuse(r.command);
      if (why !== null) link!.reply({ id: r.id, ok: false, error: why });
      return why === null;
    }) : null, 0);
    let stop = false;
    for (const r of accepted) {
      const c = r.command;
      seq++;
      if (rank0) log.push(JSON.stringify({ seq, step, source: r.source, command: c }));
      let answers: unknown[] | undefined;
      switch (c.kind) {
        case 'set': params[c.name] = c.value; console.log(`APPLIED ${step} ${c.name}=${c.value}`); break;
        case 'pause': paused = true; budget = 0; console.log(`PAUSED ${step}`); break;
        case 'resume': paused = false; console.log(`RESUMED ${step}`); break;
        case 'step': budget = c.count; console.log(`STEP ${step} ${c.count}`); break;
        case 'stop': stop = true; console.log(`STOPPED ${step}`); break;
        case 'checkpoint': checkpoints++; console.log(`CHECKPOINT ${step}`); break;
        case 'eval': {
          let a: string;
          try { a = inspect(runInThisContext(c.expr)); } catch (e) { a = `Uncaught ${(e as Error).message}`; }
          answers = world.gather(a, 0) ?? undefined;
          break;
        }
      }
      if (rank0) link!.reply({ id: r.id, ok: true, seq, step, time, ...(answers ? { answers } : {}) });
    }
    if (stop) return false;
    if (!paused) return true;
    if (budget > 0) { budget--; return true; }
  }
}

let step = 0;
for (; step < steps; step++) {
  if (!boundary(step)) break;
  link?.publishStatus(status(step, paused ? 'paused' : 'running'));
  if (link && step % 10 === 0) {
    publishPlot({ name: 'T', step, time, png: picture(step, params.alpha as number) });
    publishMetrics({ panel: 'output', values: { 'frames written': step / 10, 'queue depth': step % 3, 'MB/s': 123.4 } });
  }
  // The "physics": deterministic in the parameters.
  for (let i = 0; i < (params.iterations as number); i++) x += (params.alpha as number) * Math.sin(step + i + world.rank) * (params.source ? 1 : 0.5);
  time += dt;
  if (msPerStep > 0) Atomics.wait(sleeper, 0, 0, msPerStep);
}
const total = world.allreduce(x, Op.SUM);
link?.publishStatus(status(step, 'finished'));
link?.close();
console.log(`DONE ${step} ${checkpoints}`);
if (rank0) console.log(`RESULT ${total.toPrecision(17)}`);
