// Fail fast on MPI: an exception (or unhandled rejection, or a non-zero exit) on one rank ends
// the whole job quickly with a non-zero status, the rank's message and stack shown, no rank
// left running; bad input gets a clear error before anything starts.
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { alive, root, simdeck, until, writeDecks } from '../helpers/job.js';
import { describeMpi, MPIS, runLauncher, runMpi, runMpiDeck } from './helpers.js';

const pidsIn = (text: string) => [...text.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
const blockAll = `
import { world } from 'simdeck';
console.log('pid ' + process.pid);
world.barrier();
`;

for (const mpi of MPIS) {
  describeMpi(mpi, 'fail-fast', () => {
    it('an exception on rank 2 of 4 ends ranks blocked in recv, naming the rank, message and stack', async () => {
      const t0 = Date.now();
      const r = runMpiDeck(mpi, `${blockAll}
function explode() { throw new Error('boom on rank two'); }
if (world.rank === 2) { world.send('late', 0, 1); explode(); }
world.recv(world.rank === 0 ? 3 : 0, 99);
`, 4);
      expect(Date.now() - t0).toBeLessThan(60_000);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('[rank 2] Error: boom on rank two');
      expect(r.stderr).toMatch(/\[rank 2\] +at explode \(.*deck\.ts:6:/); // the deck's own file and line
      expect(r.stderr).not.toMatch(/\[rank [013]\] /);
      expect(pidsIn(r.stdout)).toHaveLength(4);
      expect(await until(() => pidsIn(r.stdout).every((p) => !alive(p)), 10_000)).toBe(true);
    });

    it('an unhandled rejection counts as a failure', () => {
      const r = runMpiDeck(mpi, `${blockAll}
if (world.rank === 1) { Promise.reject(new Error('async trouble')); }
else world.recv(1, 5);
`, 2);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('[rank 1] Error: async trouble');
    });

    it('a rank that exits with a status ends the job with it', () => {
      const r = runMpiDeck(mpi, `${blockAll}\nif (world.rank === 1) process.exit(3);\nworld.recv(1, 5);\n`, 2);
      expect(r.status).toBe(3);
    });

    it('fails fast under the bare MPI launcher too', () => {
      const dir = writeDecks({ 'deck.ts': `${blockAll}\nif (world.rank === 0) throw new TypeError('bad value on rank zero');\nworld.recv(0, 7);\n` });
      const r = runLauncher(mpi, [[3, join(dir, 'deck.ts')]], {}, 60_000);
      expect(r.status).not.toBe(0);
      expect(r.signal).toBeNull();
      expect(r.stderr).toContain('[rank 0] TypeError: bad value on rank zero');
    });

    it('--hang-timeout makes a blocked rank say what it waits for, then aborts the job (a partial hang: no deadlock)', () => {
      const r = runMpiDeck(mpi, `import { world } from 'simdeck';\nif (world.rank === 0) world.recv(1, 5);\n` +
        `else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);\n`, 2, ['--hang-timeout', '1']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/\[rank [01]\] hang: blocked in recv\(source=[01], tag=[56], comm=world\)/);
    });
  });

  describeMpi(mpi, 'bad input', () => {
    it('a deck with a syntax error is reported by file, line and column before any rank starts', () => {
      const dir = writeDecks({
        'deck.ts': `import { world } from 'simdeck';\nimport { helper } from './helper.ts';\nconsole.log(world.rank, helper);\n`,
        'helper.ts': `export const helper = 1;\nexport function broken( {\n  return 2;\n}\n`,
      });
      const r = runMpi(mpi, ['-n', '2', join(dir, 'deck.ts')]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/DeckError: the deck could not be compiled:\n.*helper\.ts:3:\d+: /);
      expect(r.stdout).toBe('');
    });

    it('the same deck under the bare launcher fails on every rank with the compiler message, printed once', () => {
      const dir = writeDecks({ 'deck.ts': `import { world } from 'simdeck';\nconst x = ;\n` });
      const r = runLauncher(mpi, [[2, join(dir, 'deck.ts')]], {}, 60_000);
      expect(r.status).not.toBe(0);
      expect(r.stderr.match(/DeckError: the deck could not be compiled/g)).toHaveLength(1);
      expect(r.stderr).toMatch(/deck\.ts:2:\d+/);
    });

    it('typed errors for bad arguments, as on shared memory', () => {
      const r = runMpiDeck(mpi, `import { world, ArgumentError, TruncationError } from 'simdeck';
try { world.send(1, world.size); } catch (e) { console.log((e as Error).name, (e as Error).message); }
world.send(new Float64Array(4), (world.rank + 1) % world.size, 3);
try { world.recvInto(new Float64Array(2), (world.rank + world.size - 1) % world.size, 3); } catch (e) { console.log((e as Error).name); }
console.log(world.recvInto(new Float64Array(4), (world.rank + world.size - 1) % world.size, 3).bytes);
`, 2);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('[0] ArgumentError send: dest must be a rank from 0 to 1 of world');
      expect(r.stdout).toContain('[1] TruncationError');
      expect(r.stdout).toContain('[1] 32');
    });

    it('rejects an unknown --mpi and explains how to install a missing MPI', () => {
      const r = simdeck(['run', '--mpi', 'lam', '-n', '2', join(root, 'native-examples', 'hello', 'deck.ts')]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--mpi must be openmpi or mpich, got "lam"/);
      const e = simdeck(['run', '--transport', 'mpi', '-n', '1', join(root, 'native-examples', 'hello', 'deck.ts')], { SIMDECK_MPI: 'nosuchmpi' });
      expect(e.status).toBe(2);
      expect(e.stderr).toMatch(/SIMDECK_MPI must be openmpi or mpich/);
    });
  });
}
