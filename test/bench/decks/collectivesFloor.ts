// The floor under simdeck's shared-memory collectives: the transport's collective area called
// directly (world.natives(): the same atomics, buffers and futex waits, without the Comm layer,
// its argument checks, mismatch bookkeeping or encoding), timed as decks/collectives.ts times
// the public calls. bcast has no native form (it uses messages): its floor is the transport's
// trySend/tryRecv called directly, the root writing into each other rank's ring and going on
// without waiting for the readers (as C MPI's small bcast does), the others polling their ring.
// Prints one JSON line on rank 0.
import { world, Op } from 'simdeck';

const native = world.natives();
if (native === null) throw new Error('no native collectives on this transport');
let tag = 1 << 20;
const call = { tag: 0, sig: 0, mismatch: () => new Error('mismatch'), watch: () => {}, toString: () => 'floor' };
const d8 = new Float64Array([world.rank]), out8 = new Float64Array(1);
const b8 = new Uint8Array(d8.buffer), o8 = new Uint8Array(out8.buffer);
const t = world.transport;
const BCAST_TAG = 777; // on world's point-to-point context (0), which nothing else here uses
const ops: Record<string, () => void> = {
  bcast_8B: () => {
    if (world.rank === 0) {
      for (let r = 1; r < world.size; r++) while (!t.trySend(b8, 9, r, BCAST_TAG, 0)) t.progress();
    } else {
      // tryRecv polls the root's ring a while; when it gives up (or a message the root sent ahead
      // was queued meanwhile, by the progress a wait in the timing's allreduce makes), receive
      if (t.tryRecv(0, BCAST_TAG, 0, b8, 9) === null) {
        const req = t.irecv(0, BCAST_TAG, 0, b8, 9);
        if (!req.done) t.block(() => req.done, req);
      }
    }
  },
  barrier: () => { call.tag = tag++; native.barrier(call); },
  allreduce_8B: () => { call.tag = tag++; native.allreduce(call, b8, o8, 9, 'SUM'); },
};
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const time = (k: number, f: () => void) => { const t0 = performance.now(); for (let i = 0; i < k; i++) f(); return performance.now() - t0; };
const results: object[] = [];
for (const [name, f] of Object.entries(ops)) {
  const warmUntil = performance.now() + 200;
  while (world.allreduce(performance.now() < warmUntil ? 1 : 0, Op.MAX) === 1) time(50, f);
  let k = 1;
  for (;;) {
    const ms = world.allreduce(time(k, f), Op.MAX) as number;
    if (ms >= 15 || k >= 1 << 22) break;
    k = Math.min(1 << 22, Math.ceil(k * Math.max(2, 30 / Math.max(ms, 0.01))));
  }
  const per: number[] = [];
  for (let t = 0; t < 15; t++) { world.barrier(); per.push(((world.allreduce(time(k, f), Op.MAX) as number) / k) * 1000); }
  results.push({ name, us: median(per), trial_us: per, iters: k });
}
if (world.rank === 0) console.log(JSON.stringify({ impl: 'floor', nranks: world.size, results }));
