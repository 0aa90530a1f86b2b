// Point-to-point conformance on MPI: the shared-memory suite's deck (test/decks/p2p.ts) on Open
// MPI and MPICH, through `simdeck run --transport mpi` and through the bare MPI launcher
// (`mpirun -np N node simdeck deck.ts`), on 1 to 5 ranks (more ranks than the 2 cores
// included), spinning and sleeping; and messages past 2 GiB.
import { expect, it } from 'vitest';
import { P2P_CHECKS } from '../decks/checks.js';
import { expectChecks } from '../helpers/conformance.js';
import { join } from 'node:path';
import { root, type JobResult } from '../helpers/job.js';
import { describeMpi, MPIS, runLauncher, runMpi, runMpiDeck } from './helpers.js';

const deck = join(root, 'test', 'decks', 'p2p.ts');

function expectAllChecks(r: JobResult, n: number, prefixed = true) {
  expectChecks(r, n, P2P_CHECKS, prefixed);
  for (let k = 0; k < n; k++) expect(r.stdout).toContain(`DONE rank ${k}`);
}

for (const mpi of MPIS) {
  describeMpi(mpi, 'point-to-point', () => {
    it.each([1, 2, 3, 4])('passes every check on %i ranks (simdeck run --transport mpi)', (n) => {
      expectAllChecks(runMpi(mpi, ['-n', String(n), deck, 'alpha', '--beta=2']), n);
    });
    it('passes on 5 ranks of 2 cores, sleeping between polls', () => {
      expectAllChecks(runMpi(mpi, ['--wait', 'block', '-n', '5', deck, 'alpha', '--beta=2']), 5);
    });
    it('passes with spinning forced on an oversubscribed machine', () => {
      expectAllChecks(runMpi(mpi, ['--wait', 'spin', '-n', '4', deck, 'alpha', '--beta=2']), 4);
    });
    it('passes under the bare MPI launcher (each rank runs `simdeck deck.ts`)', () => {
      expectAllChecks(runLauncher(mpi, [[3, deck, 'alpha', '--beta=2']]), 3, false);
    });
    it('a blocking send of a buffered size (64 KiB) returns at once and leaves the array to the deck, whether the receiver waits or is busy', () => {
      // After every send the deck overwrites the array; at round 20 the receiver computes for
      // 300 ms, and the send must not wait for it (the buffering rule).
      const r = runMpiDeck(mpi, `import { world } from 'simdeck';
const n = 8192;
const rounds = 60;
const a = new Float64Array(n);
if (world.rank === 0) {
  for (let k = 0; k < rounds; k++) {
    for (let i = 0; i < n; i++) a[i] = k * n + i;
    const t0 = performance.now();
    world.send(a, 1, 5);
    if (k === 20 && performance.now() - t0 > 250) throw new Error('the send waited for the busy receiver');
    a.fill(-1);
  }
} else {
  const into = new Float64Array(n);
  for (let k = 0; k < rounds; k++) {
    if (k === 20) { const t = Date.now() + 300; while (Date.now() < t); }
    const got = k % 2 === 0 ? world.recv(0, 5) as Float64Array : (world.recvInto(into, 0, 5), into);
    for (let i = 0; i < n; i++) if (got[i] !== k * n + i) throw new Error('round ' + k + ': element ' + i + ' is ' + got[i]);
  }
  console.log('received', rounds, 'intact');
}
`, 2);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('[1] received 60 intact');
    });
    it('a buffered-size send to a receiver already waiting for it goes from the array (receive hint), arrives intact, and a send after the receiver has drained never waits for it', () => {
      // Phase 1, one way: before even rounds the sender pauses 1 ms, so the receiver waits in
      // recvInto and has hinted: the send goes straight from the array and the deck overwrites
      // it after send returns. At rounds 4, 16 and 28 the receiver, having taken every message,
      // says so through a file (the sender looks without calling simdeck, which would retire
      // finished transfers on its way), then computes 300 ms: the next four sends (256 KiB, the
      // pair buffer) must return at once, whatever hints or finished transfers the sender
      // still holds. Phase 2: a tight ping-pong that receives into the array it sends from.
      // With receive hints (the default) and without.
      const text = `import { world } from 'simdeck';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const n = 8192, rounds = 40;
const a = new Float64Array(n);
const check = (k: number, got: Float64Array) => { for (let i = 0; i < n; i++) if (got[i] !== k * n + i) throw new Error('round ' + k + ': element ' + i + ' is ' + got[i]); };
const dir = world.bcast(world.rank === 0 ? mkdtempSync(join(tmpdir(), 'drained-')) : null, 0) as string;
const nap = new Int32Array(new SharedArrayBuffer(4));
if (world.rank === 0) {
  for (let k = 0; k < rounds; k++) {
    for (let i = 0; i < n; i++) a[i] = k * n + i;
    if (k % 2 === 0) { const t = performance.now() + 1; while (performance.now() < t); }
    const t0 = performance.now();
    world.send(a, 1, 5);
    if (k % 12 >= 5 && k % 12 <= 8 && performance.now() - t0 > 250) throw new Error('round ' + k + ': the send waited for the busy receiver');
    a.fill(-1);
    if (k % 12 === 4) while (!existsSync(join(dir, String(k)))) Atomics.wait(nap, 0, 0, 1);
  }
} else {
  for (let k = 0; k < rounds; k++) {
    if (k % 12 === 5) { const t = Date.now() + 300; while (Date.now() < t); }
    world.recvInto(a, 0, 5);
    check(k, a);
    if (k % 12 === 4) writeFileSync(join(dir, String(k)), '');
  }
}
world.barrier();
if (world.rank === 0) rmSync(dir, { recursive: true });
for (let k = 0; k < 200; k++) {
  if ((k & 1) === world.rank) {
    for (let i = 0; i < n; i++) a[i] = k * n + i;
    world.send(a, 1 - world.rank, 6);
    a.fill(-1);
  } else {
    world.recvInto(a, 1 - world.rank, 6);
    check(k, a);
  }
}
console.log('intact');
`;
      for (const env of [{}, { SIMDECK_MPI_RECV_HINTS: '0' }]) {
        const r = runMpiDeck(mpi, text, 2, [], env);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(r.stdout).toContain('[0] intact');
        expect(r.stdout).toContain('[1] intact');
      }
    });
    it('moves a message larger than 2 GiB, as a value and into a buffer', () => {
      const r = runMpi(mpi, ['-n', '2', join(root, 'test', 'decks', 'huge.ts')], {}, 300_000);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('[0] OK sent');
      expect(r.stdout).toContain('[1] OK received');
    });
  });
}
