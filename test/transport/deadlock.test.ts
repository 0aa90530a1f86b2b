// Deadlock detection without a timeout, on by default, on every transport: a job whose ranks all
// wait in simdeck calls that nothing in flight can complete ends with status 125, each rank's
// blocked call named; and the buffering rule is the same everywhere (a head-to-head exchange
// finishes up to the eager limit, 16,384 doubles for 2 ranks, and deadlocks past it).
// Waiting around a rank that computes or sleeps in a native kernel is not a deadlock.
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { linesOf, root } from '../helpers/job.js';
import { describeOn, runOn, stamps, TRANSPORTS } from './transports.js';

const deck = join(root, 'test', 'transport', 'fixtures', 'deadlock.ts');
const LADDER = [1, 2, 100, 505, 506, 1030, 1031, 4000, 8192, 16383, 16384, 16385, 100000];

for (const t of TRANSPORTS) {
  describeOn(t, 'deadlock detection', () => {
    it('head-to-head sends finish up to the eager limit (16,384 doubles) and are diagnosed as a deadlock past it, with no flag', () => {
      const r = runOn(t, 2, deck, ['h2h', ...LADDER.map(String)]);
      const done = LADDER.filter((c) => c <= 16384).map((c) => `OK ${c}`);
      expect(linesOf(r.stdout, 0)).toEqual(expect.arrayContaining(done));
      expect(linesOf(r.stdout, 1)).toEqual(expect.arrayContaining(done));
      expect(r.stdout).not.toContain('OK 16385');
      expect(r.status).toBe(125);
      expect(r.stderr).toContain('deadlock: every rank is blocked in a simdeck call that no message in flight can complete');
      expect(r.stderr).toContain('[rank 0] deadlock: blocked in send(dest=1, tag=385, comm=world)');
      expect(r.stderr).toContain('[rank 1] deadlock: blocked in send(dest=0, tag=385, comm=world)');
      const [blockedAt] = stamps(r.stdout, /blocking in send of 16385 at/);
      console.log(`${t}: head-to-head deadlock at 16385 doubles: job ended ${r.end - blockedAt} ms after the send (including the job's teardown)`);
      expect(r.end - blockedAt).toBeLessThan(30_000); // generous: the machine is shared; the figure is logged
    });

    it('a ring of blocked receives and a collective one rank never enters are deadlocks', () => {
      const ring = runOn(t, 3, deck, ['ring']);
      expect(ring.status).toBe(125);
      for (let r = 0; r < 3; r++) expect(ring.stderr).toContain(`[rank ${r}] deadlock: blocked in recv(source=${(r + 1) % 3}, tag=7, comm=world)`);
      const coll = runOn(t, 3, deck, ['coll']);
      expect(coll.status).toBe(125);
      expect(coll.stderr).toContain('[rank 2] deadlock: blocked in recv(source=0, tag=99, comm=world)');
      expect(coll.stderr).toMatch(/\[rank 0\] deadlock: blocked in barrier\(\) on world/);
      expect(coll.stderr).toMatch(/\[rank 1\] deadlock: blocked in barrier\(\) on world/);
      console.log(`${t}: ring deadlock: job ended ${ring.end - Math.max(...stamps(ring.stdout, /blocking in recv at/))} ms after the last rank blocked`);
    });

    it('ranks waiting while another computes for 10 s, or sleeps in a native kernel, are not a deadlock', () => {
      const r = runOn(t, 3, deck, ['busy']);
      expect(r.stderr).not.toContain('deadlock');
      expect(r.status).toBe(0);
      for (let k = 0; k < 3; k++) expect(linesOf(r.stdout, k)).toContain('OK no deadlock');
    });
  });
}
