// Where each rank's time goes in a split linear exchange (1 source rank -> 1 target rank, N×N,
// grid shifted by half a spacing) against a Redistribution of the same field, interleaved rep by
// rep (not part of `npm run bench`): `cphase.ts N REPS MODE` on 2 ranks (MODE both, lin: the
// exchange alone, red: the redistribution alone) prints one JSON line on rank 0: per rank,
// medians (ms) of barrier-to-barrier time (ex, re), time inside the call (exIn, reIn) and the
// process's CPU in the call (exCpu, reCpu; with SIMDECK_WAIT=block a waiting rank sleeps), and
// `ratio` = ex / re of rank 0. With test/bench/ab/couple-phase-hooks.patch applied to src (then
// `npm run build`; do not commit it) also p_<phase>W / p_<phase>C: wall and main-thread CPU per
// exchange of the sender's mapping (smap), its test for the target's address (stest), its
// process_vm_writev calls (spush), its final wait (swait); the target's wait for where the rows
// are (rsrc), its process_vm_readv calls (rread), its mapping and copies into its array (rmap)
// and its wait for the done message (rwait).
import { world } from 'simdeck';
import { shiftedLink } from './shiftedLink.js';

const N = Number(process.argv[2] ?? 1000), REPS = Number(process.argv[3] ?? 100), MODE = process.argv[4] ?? 'both';
const { comp, u, link, plan } = shiftedLink(N);
const cpuNow = () => { const x = process.cpuUsage(); return (x.user + x.system) / 1000; };
const T = { ex: [] as number[], exIn: [] as number[], exCpu: [] as number[], re: [] as number[], reIn: [] as number[], reCpu: [] as number[] };
let time = 0; const XS: Record<string, number[]> = {};
for (let r = 0; r < REPS + 3; r++) {
  if (MODE !== 'lin') {
    world.barrier();
    const a = performance.now(), c0 = cpuNow();
    plan.run(comp.is('src') ? u : null, comp.is('dst') ? u : null);
    const b = performance.now(), c1 = cpuNow();
    world.barrier();
    if (r >= 3) { T.re.push(performance.now() - a); T.reIn.push(b - a); T.reCpu.push(c1 - c0); }
  }
  if (MODE !== 'red') {
    world.barrier();
    const a = performance.now(), c0 = cpuNow();
    const cur: Record<string, number> = {};
    if (r >= 3) (globalThis as { __cphase?: Record<string, number> }).__cphase = cur;
    link.exchange(time++);
    (globalThis as { __cphase?: Record<string, number> }).__cphase = undefined;
    for (const k of Object.keys(cur)) (XS[k] ??= []).push(cur[k]);
    const b = performance.now(), c1 = cpuNow();
    world.barrier();
    if (r >= 3) { T.ex.push(performance.now() - a); T.exIn.push(b - a); T.exCpu.push(c1 - c0); }
  }
}
const med = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); return s.length ? s[Math.floor(s.length / 2)] : NaN; };
const mine = Object.fromEntries(Object.entries(T).map(([k, v]) => [k, +med(v).toFixed(4)]));
for (const k of Object.keys(XS)) (mine as Record<string, number>)['p_' + k] = +med(XS[k]).toFixed(4);
const all = world.gather(mine, 0);
if (world.rank === 0) console.log(JSON.stringify({ N, MODE, ratio: +(mine.ex / mine.re).toFixed(3), ranks: all }));
