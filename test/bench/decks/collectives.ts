// Collectives timed as the C and mpi4py peers time them: warm up, calibrate K calls per trial to
// ~targetMs, T trials; a trial's value is the slowest rank's time / K; report the median.
//   simdeck run -n P collectives.ts [--trials T] [--target-ms M] [name...]
import { world, Op } from 'simdeck';

const argv = process.argv.slice(2);
let trials = 15;
let targetMs = 30;
const names: string[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--trials') trials = Number(argv[++i]);
  else if (argv[i] === '--target-ms') targetMs = Number(argv[++i]);
  else names.push(argv[i]);
}
const p = world.size;
const MIB = 1 << 20;
const d8 = new Float64Array([world.rank]);
const out8 = new Float64Array(1);
const big = new Float64Array(MIB / 8).fill(world.rank);
const bigOut = new Float64Array(MIB / 8);
const per = Math.floor(MIB / p / 8);
const gIn = new Float64Array(per).fill(world.rank);
const gOut = new Float64Array(per * p);
const g8Out = new Float64Array(p);
const small = { step: 1, name: 'u', values: [1, 2, 3] };

const ops: Record<string, () => void> = {
  barrier: () => world.barrier(),
  bcast_8B: () => { world.bcastInto(d8, 0); },
  bcast_1MiB: () => { world.bcastInto(big, 0); },
  allreduce_8B: () => { world.allreduceInto(d8, out8, Op.SUM); },
  allreduce_1MiB: () => { world.allreduceInto(big, bigOut, Op.SUM); },
  allgather_8B: () => { world.allgatherInto(d8, g8Out); },
  allgather_1MiB: () => { world.allgatherInto(gIn, gOut); },
  bcast_obj_small: () => { world.bcast(world.rank === 0 ? small : null, 0); },
  allreduce_obj_8B: () => { world.allreduce(1.5); },
  allgather_obj_8B: () => { world.allgather(1.5); },
};
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const time = (k: number, f: () => void) => { const t0 = performance.now(); for (let i = 0; i < k; i++) f(); return performance.now() - t0; };

const results: object[] = [];
for (const name of names.length ? names : Object.keys(ops)) {
  const f = ops[name];
  if (!f) throw new Error(`unknown collective ${name}`);
  // Warm up until V8 has compiled the path (its compiler threads compete for the cores).
  const warmUntil = performance.now() + 200;
  while (world.allreduce(performance.now() < warmUntil ? 1 : 0, Op.MAX) === 1) time(50, f);
  let k = 1;
  for (;;) {
    const ms = world.allreduce(time(k, f), Op.MAX) as number;
    if (ms >= targetMs / 2 || k >= 1 << 22) break;
    k = Math.min(1 << 22, Math.ceil(k * Math.max(2, targetMs / Math.max(ms, 0.01))));
  }
  const perCall: number[] = [];
  for (let t = 0; t < trials; t++) {
    world.barrier();
    perCall.push(((world.allreduce(time(k, f), Op.MAX) as number) / k) * 1000);
  }
  results.push({ name, us: median(perCall), trial_us: perCall, iters: k });
}
if (world.rank === 0) console.log(JSON.stringify({ impl: 'simdeck', nranks: p, results }));
