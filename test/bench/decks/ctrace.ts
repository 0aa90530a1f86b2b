// Timeline of a 1000×1000 linear coupling exchange (grid shifted by half a spacing), 1 source
// rank → 1 target rank, against a Redistribution of the same field: `ctrace.ts [REPS]` on 2
// ranks prints one JSON line on rank 0 (not part of `npm run bench`; read by
// test/bench/ab/couple-timeline.py). Per rep and rank: the marks pushed into
// globalThis.__ctrace during the exchange (['start', t] and ['end', t] always, performance.now()
// plus timeOrigin, so the two ranks share a clock), and the redistribution's start and end.
// With the hooks of test/bench/ab/couple-trace-hooks.patch applied to src (then `npm run build`;
// do not commit them), the marks also hold each band posted by the sender ('post'), each band's
// single copy on the receiver ('pull0' .. 'pull', process_vm_readv) and both ranks' final waits;
// on a split target (route.ts splitRows) 'post' is each band the sender writes into the target,
// 'addr' when the target's address came, 'waitSends'/'sendsDone' its wait at the end (for the
// target's message that it has read the source rows), and the target marks its wait for where the
// source rows are ('srcWait', 'src'), each chunk it reads from the sender's array ('read0',
// 'read'), 'mapped' after mapping the rows of each, and its wait for the sender's done message
// ('splitWait', 'splitDone').
// Also per rank: CPU time per exchange and per redistribution (process.cpuUsage; with
// SIMDECK_WAIT=block a waiting rank sleeps, so that is its work).
import { world } from 'simdeck';
import { shiftedLink } from './shiftedLink.js';

const N = 1000, REPS = Number(process.argv[2] ?? 20);
const { comp, u, link, plan } = shiftedLink(N);
const out: Record<string, { ex: [string, number][]; redist: [number, number] }> = {};
let cpuEx = 0, cpuRe = 0;
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const origin = performance.timeOrigin;
const hook = globalThis as { __ctrace?: [string, number][] };
for (let r = 0; r < REPS; r++) {
  world.barrier();
  const marks: [string, number][] = [];
  hook.__ctrace = marks;
  const c0 = cpuNow();
  marks.push(['start', performance.now()]);
  link.exchange(r);
  marks.push(['end', performance.now()]);
  if (r >= 2) cpuEx += cpuNow() - c0;
  hook.__ctrace = undefined;
  world.barrier();
  const c1 = cpuNow(), b = performance.now();
  plan.run(comp.is('src') ? u : null, comp.is('dst') ? u : null);
  const e = performance.now();
  if (r >= 2) cpuRe += cpuNow() - c1;
  world.barrier();
  out['rep' + r] = { ex: marks.map(([k, t]) => [k, +(t + origin).toFixed(4)]), redist: [b + origin, e + origin] };
}
const all = world.gather({ rank: world.rank, out, cpuEx: cpuEx / (REPS - 2), cpuRe: cpuRe / (REPS - 2) }, 0);
if (world.rank === 0) console.log(JSON.stringify(all));
