// Native collectives on shared memory (collective areas in the job's segment): conformance on 1
// to 5 ranks (3 to 5 oversubscribe the 2 cores), with spinning and sleeping waits, against the
// serial results; the same deck with SIMDECK_NATIVE_COLLECTIVES=0 (messages only); and ranks
// waiting in a collective sleep instead of burning the cores.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { expectChecks } from '../helpers/conformance.js';
import { root, simdeck, startSimdeck, writeDecks } from '../helpers/job.js';
import { cpuSeconds, rankProcesses } from '../helpers/procs.js';

const deck = join(root, 'test', 'decks', 'nativeCollectives.ts');
const CHECKS = ['native collectives on world', 'native collectives on a split communicator (reversed order)',
  'native collectives on a dup of world', 'more communicators than shared areas'];

describe('native collectives on shared memory', () => {
  it.each([1, 2, 3, 4, 5])('match the serial results on %i ranks', (n) => {
    expectChecks(simdeck(['run', '--hang-timeout', '120', '-n', String(n), deck]), n, CHECKS);
  }, 300_000);

  it('match the serial results on 3 ranks with spinning waits', () => {
    expectChecks(simdeck(['run', '--hang-timeout', '120', '--wait', 'spin', '-n', '3', deck]), 3, CHECKS);
  }, 300_000);

  it('and the message algorithms give the same results (SIMDECK_NATIVE_COLLECTIVES=0)', () => {
    expectChecks(simdeck(['run', '--hang-timeout', '120', '-n', '3', deck], { SIMDECK_NATIVE_COLLECTIVES: '0' }), 3, CHECKS);
  }, 300_000);

  it('4 ranks on 2 cores waiting in a barrier sleep (CPU per waiting rank well under 10% of a core)', async () => {
    const dir = writeDecks({ 'wait.ts': `import { world } from 'simdeck';
world.barrier();
if (world.rank === 0) { console.log('waiting'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 4000); }
world.barrier();
console.log('done');
` });
    const job = startSimdeck(['run', '-n', '4', join(dir, 'wait.ts')]);
    const t0 = Date.now();
    while (!job.out.stdout.includes('waiting') && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500)); // past the brief spin
    const ranks = rankProcesses(job.child.pid!);
    expect(ranks.length).toBe(4);
    const before = ranks.map(cpuSeconds);
    const t1 = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    const seconds = (Date.now() - t1) / 1000;
    const used = ranks.map((p, i) => (cpuSeconds(p) - before[i]) / seconds);
    console.log(`waiting in barrier: CPU per rank ${used.map((f) => `${(f * 100).toFixed(1)}%`).join(', ')}`);
    for (const f of used) expect(f).toBeLessThan(0.1);
    const end = await job.exited;
    expect(end.code, job.out.stderr).toBe(0);
    expect(job.out.stdout.match(/done/g)?.length).toBe(4);
  }, 120_000);
});
