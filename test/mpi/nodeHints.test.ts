// The receive-hint words ranks of one node share (src/transport/mpi/nodeHints.ts): the
// receiver's store and compare-exchange against the sender's claim, in one process over one
// array (as two ranks see the node's segment); then, on each MPI, that a send to a receiver
// waiting in recvInto goes straight from the array through them, and that no segment is left
// in /dev/shm after a job, whether it ends well or fails.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { NodeHints } from '../../src/transport/mpi/nodeHints.js';
import { describeMpi, MPIS, runMpiDeck } from './helpers.js';

/** Ranks 0 and 1 of a 3-rank world on one node (rank 2 elsewhere), over one array of words. */
function pair(): [NodeHints, NodeHints] {
  const words = new Int32Array(2 * 3);
  const base = Int32Array.of(0, 3, -1);
  return [NodeHints.over(words, base, 0), NodeHints.over(words, base, 1)];
}

describe('node hint words', () => {
  it('a sender claims a waiting receiver once, when it has taken every message; the receiver learns of the claim', () => {
    const [r0, r1] = pair();
    expect(r1.shares(0)).toBe(true);
    expect(r1.shares(2)).toBe(false);
    const word = r0.begin(1, 7); // rank 0 waits for rank 1, having taken 7 of its messages
    expect(r1.claim(0, 6)).toBe(false); // one of rank 1's messages still in flight
    expect(r1.claim(0, 8)).toBe(false);
    expect(r1.claim(0, 7)).toBe(true);
    expect(r1.claim(0, 7)).toBe(false); // claimed already
    expect(r0.end(1, word)).toBe(true); // rank 0 must pull the claimed message before leaving
    expect(r1.claim(0, 7)).toBe(false); // the wait has ended
  });

  it('a wait that ends unclaimed takes its word back, and a sender reading it afterwards copies', () => {
    const [r0, r1] = pair();
    const word = r0.begin(1, 0);
    expect(r0.end(1, word)).toBe(false);
    expect(r1.claim(0, 0)).toBe(false);
    // words are per source: rank 1's word for rank 0 is untouched by rank 0's
    const w1 = r1.begin(0, 3);
    expect(r0.claim(1, 3)).toBe(true);
    expect(r1.end(0, w1)).toBe(true);
  });

  it('counts wrap with the message counters (int32 past 2^30)', () => {
    const [r0, r1] = pair();
    const taken = (2 ** 31 - 2) | 0;
    const word = r0.begin(1, taken);
    expect(r1.claim(0, taken)).toBe(true);
    expect(r0.end(1, word)).toBe(true);
    const w2 = r0.begin(1, -5);
    expect(r1.claim(0, -5)).toBe(true);
    expect(r0.end(1, w2)).toBe(true);
  });
});

const hintSegments = () => readdirSync('/dev/shm').filter((e) => /^simdeck-\d+-hints-/.test(e));

for (const mpi of MPIS) {
  describeMpi(mpi, 'node hint words', () => {
    it('a buffered send to a receiver waiting in recvInto goes straight from the array (none with hints off), and arrives intact', () => {
      // the sender pauses 3 ms before each send, so the receiver is waiting in recvInto by then
      const text = `import { world } from 'simdeck';
const n = 8192, rounds = 30;
const a = new Float64Array(n);
for (let k = 0; k < rounds; k++) {
  if (world.rank === 0) {
    for (let i = 0; i < n; i++) a[i] = k * n + i;
    const t = performance.now() + 3; while (performance.now() < t);
    world.send(a, 1, 5);
    a.fill(-1);
  } else {
    world.recvInto(a, 0, 5);
    for (let i = 0; i < n; i++) if (a[i] !== k * n + i) throw new Error('round ' + k + ': element ' + i + ' is ' + a[i]);
  }
}
console.log('intact');
`;
      const direct = (stderr: string) => {
        const m = /\[rank 0\] mpi buffered sends: (\d+), straight from the array: (\d+)/.exec(stderr);
        expect(m, stderr).not.toBeNull();
        expect(Number(m![1])).toBe(30);
        return [Number(m![2]), Number(/hint words shared with (\d+) ranks/.exec(stderr)![1])];
      };
      const on = runMpiDeck(mpi, text, 2, [], { SIMDECK_MPI_DIRECT_STATS: '1' });
      expect(on.status, on.stderr).toBe(0);
      expect(on.stdout).toContain('[1] intact');
      // a loaded machine may deschedule the receiver past the pause now and then, not most rounds
      const [sent, sharing] = direct(on.stderr);
      expect(sharing).toBe(1); // through the node's words, not HINT envelopes
      expect(sent).toBeGreaterThanOrEqual(15);
      const off = runMpiDeck(mpi, text, 2, [], { SIMDECK_MPI_DIRECT_STATS: '1', SIMDECK_MPI_RECV_HINTS: '0' });
      expect(off.status, off.stderr).toBe(0);
      expect(off.stdout).toContain('[1] intact');
      expect(direct(off.stderr)).toEqual([0, 0]);
    });

    it('a receiver whose wait has started to sleep between polls takes its hint back: the sends it waits for are copied', () => {
      // the sender computes 100 ms before each send: the receiver's wait passes 20 ms and sleeps
      const text = `import { world } from 'simdeck';
const a = new Float64Array(8192);
for (let k = 0; k < 4; k++) {
  if (world.rank === 0) {
    a.fill(k);
    const t = performance.now() + 100; while (performance.now() < t);
    world.send(a, 1, 5);
  } else {
    world.recvInto(a, 0, 5);
    if (a[8191] !== k) throw new Error('round ' + k + ': ' + a[8191]);
  }
}
console.log('intact');
`;
      const r = runMpiDeck(mpi, text, 2, [], { SIMDECK_MPI_DIRECT_STATS: '1' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('[1] intact');
      expect(r.stderr).toMatch(/\[rank 0\] mpi buffered sends: 4, straight from the array: 0; hint words shared with 1 ranks/);
    });

    it('leaves no segment in /dev/shm, whether the job ends well or a rank fails', () => {
      const before = new Set(hintSegments());
      const ok = runMpiDeck(mpi, `import { world } from 'simdeck';\nworld.barrier();\nconsole.log('done');\n`, 3);
      expect(ok.status, ok.stderr).toBe(0);
      const failed = runMpiDeck(mpi, `import { world } from 'simdeck';\nif (world.rank === 1) throw new Error('boom');\nworld.barrier();\n`, 3);
      expect(failed.status).not.toBe(0);
      expect(failed.stderr).toContain('boom');
      expect(hintSegments().filter((e) => !before.has(e))).toEqual([]);
    });
  });
}
