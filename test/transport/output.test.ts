// Nothing printed is lost, on every transport: every line a rank wrote before it threw, called
// process.exit(3), was killed by SIGSEGV or was aborted as deadlocked reaches the terminal,
// whole and in order; and a line written before a rank blocks in recv appears while it waits.
import { expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linesOf, root, startSimdeck } from '../helpers/job.js';
import { describeOn, runOn, TRANSPORTS } from './transports.js';

const deck = join(root, 'test', 'transport', 'fixtures', 'output.ts');
const LINES = 10_000;
const pad = 'x'.repeat(40);

/** Checks rank r's lines on `text` (stdout or stderr): `count` of them, whole and in order. */
function allLines(text: string, rank: number, word: string, count: number): void {
  const got = linesOf(text, rank).filter((l) => l.startsWith(`${word} ${rank} `));
  const expected = Array.from({ length: count }, (_, i) => `${word} ${rank} ${i} ${pad}`);
  expect(got.length).toBe(count);
  expect(got).toEqual(expected);
}

const ENDINGS: Array<[string, (status: number | null, stderr: string) => void]> = [
  ['throw', (s, e) => { expect(s).toBe(1); expect(e).toContain('[rank 1] Error: rank one gives up'); }],
  ['exit', (s) => expect(s).toBe(3)],
  ['segv', (s) => expect(s).not.toBe(0)],
  ['deadlock', (s, e) => { expect(s).toBe(125); expect(e).toContain('[rank 1] deadlock: blocked in recv(source=2, tag=42, comm=world)'); }],
];

for (const t of TRANSPORTS) {
  describeOn(t, 'output on failure', () => {
    for (const [how, check] of ENDINGS) {
      it(`delivers 10,000 lines per rank, whole and in order, when rank 1 ends by ${how}`, () => {
        const r = runOn(t, 3, deck, [how]);
        check(r.status, r.stderr);
        for (let rank = 0; rank < 3; rank++) {
          allLines(r.stdout, rank, 'line', LINES);
          allLines(r.stderr, rank, 'err', 3);
        }
      });
    }

    it('shows a line a rank printed before it blocked in recv while it is still blocked', async () => {
      const marker = join(mkdtempSync(join(tmpdir(), 'simdeck-test-')), 'seen');
      const args = t === 'shm' ? ['run', '-n', '2', deck, 'live', marker] : ['run', '--transport', 'mpi', '--mpi', t, '-n', '2', deck, 'live', marker];
      const job = startSimdeck(args);
      const watch = setInterval(() => { if (job.out.stdout.includes('[0] waiting in recv') && !existsSync(marker)) writeFileSync(marker, ''); }, 10);
      const { code } = await job.exited;
      clearInterval(watch);
      expect(code).toBe(0);
      expect(job.out.stdout).toContain('[0] got after the line was seen');
    });
  });
}
