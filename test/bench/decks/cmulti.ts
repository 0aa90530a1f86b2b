// A linear coupling exchange whose target reads from several senders: an N×N field on a source
// component of 2 ranks (rows split between them), mapped `linear` to the same grid shifted by
// about half a spacing on a target component of 1 rank (the senders contract their rows along
// the last dimension, the target combines them), against a Redistribution of the same field.
// `cmulti.ts [N] [REPS]` on 3 ranks prints one JSON line on rank 0: medians (ms) of the
// exchange and the redistribution, interleaved rep by rep, the median per-rep ratio, and per
// rank the CPU time (ms, process.cpuUsage) per exchange and per redistribution. Not part of
// `npm run bench`; run it with and without SIMDECK_NATIVE=0 in turn to compare the kernels.
import { world } from 'simdeck';
import { shiftedLink } from './shiftedLink.js';

const N = Number(process.argv[2] ?? 1000), REPS = Number(process.argv[3] ?? 50);
const { comp, u, link, plan } = shiftedLink(N, 2);
const cpu = () => { const x = process.cpuUsage(); return (x.user + x.system) / 1000; };
const ex: number[] = [], re: number[] = [];
let cpuEx = 0, cpuRe = 0;
for (let r = 0; r < REPS + 2; r++) {
  world.barrier();
  let t = performance.now(), c0 = cpu();
  plan.run(comp.is('src') ? u : null, comp.is('dst') ? u : null);
  world.barrier();
  if (r >= 2) { re.push(performance.now() - t); cpuRe += cpu() - c0; }
  world.barrier();
  t = performance.now(); c0 = cpu();
  link.exchange(r);
  world.barrier();
  if (r >= 2) { ex.push(performance.now() - t); cpuEx += cpu() - c0; }
}
const med = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const cpus = world.allgather([cpuEx / REPS, cpuRe / REPS]), kernels = world.allgather(link.routes()[0].kernels);
if (world.rank === 0) {
  console.log(JSON.stringify({ N, reps: REPS, kernels, exchange: med(ex), redistribute: med(re),
    ratio: med(ex.map((x, k) => x / re[k])), cpu: cpus }));
}
