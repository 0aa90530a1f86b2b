// The task farm as users run it: real jobs on shared memory (1-4 ranks), Open MPI and MPICH; a
// fault-injection run (real segfaults in a C kernel, time limits, exceptions) killed midway with
// SIGKILL and resumed from its journal; progress on a real pseudo-terminal; the journal's reader.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, linesOf, root, runDeck, simdeck, startSimdeck, until } from '../helpers/job.js';
import { describeMpi, MPIS, runMpi } from '../mpi/helpers.js';

const { readJournal, Journal, formatSummary } = await import(join(root, 'dist', 'src', 'farm', 'journal.js'))
  .then(async (j) => ({ ...j, ...(await import(join(root, 'dist', 'src', 'farm', 'outcome.js'))) }));

const deck = (name: string) => join(root, 'test', 'decks', 'farm', name);
const made: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'simdeck-farm-')); made.push(d); return d; };
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

const API_CHECKS = ['map in order', 'every rank works', 'imap', 'shared data', 'failures by cause', 'submit', 'isolate', 'run', 'bad options']
  .map((c) => `OK ${c}`);
const okLines = (stdout: string, n: number) => (n === 1 ? stdout.split('\n') : linesOf(stdout, 0)).filter((l) => l.startsWith('OK '));

describe('farm API on shared memory', () => {
  it.each([1, 2, 3, 4])('passes every check on %i ranks', (n) => {
    const r = simdeck(['run', '-n', String(n), deck('api.ts')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(okLines(r.stdout, n)).toEqual(API_CHECKS);
  });

  it('fails the job with a FarmFunctionError when ranks pass different functions to one map', () => {
    const r = runDeck(`
      import { world } from 'simdeck';
      import { Pool } from 'simdeck/farm';
      const nap = new Int32Array(new SharedArrayBuffer(4));
      const pool = new Pool(world);
      const f = world.rank === 0 ? (x: number) => { Atomics.wait(nap, 0, 0, 50); return x + 1; } : (x: number) => x - 1;
      pool.map(f, [1, 2, 3, 4, 5, 6, 7, 8], { progress: false, batch: 1 });
      console.log('not reached');
    `, 2);
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toMatch(/not reached/);
    expect(r.stderr).toMatch(/\[rank 0\] FarmFunctionError: task function "anonymous" was not found on rank 1: every rank must pass the same function/);
  });
});

for (const mpi of MPIS) {
  describeMpi(mpi, 'farm API', () => {
    it.each([2, 3])('passes every check on %i ranks', (n) => {
      const r = runMpi(mpi, ['-n', String(n), deck('api.ts')]);
      expect(r.status, r.stderr).toBe(0);
      expect(okLines(r.stdout, n)).toEqual(API_CHECKS);
    });
  });
}

interface Record { id: string; index: number; status: string; value?: number; attempts: { rank: number; status: string; message?: string }[] }
const journalLines = (path: string): Record[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as Record) : []);
const runLines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => l.split(' ').map(Number)) : []);

describe('fault injection, kill and resume', () => {
  it('gives 1,000 tasks exactly one final result each, with retries on other ranks, across a SIGKILL and a resume', async () => {
    const dir = tempDir();
    const journal = join(dir, 'journal.jsonl');
    const log1 = join(dir, 'runs1.log'), log2 = join(dir, 'runs2.log');
    const N = 1000;
    const env = { SIMDECK_FARM_PROGRESS: 'summary' };

    // Run 1: killed (the launcher, with SIGKILL) once a good part of the journal is written.
    const first = startSimdeck(['run', '-n', '4', deck('faults.ts'), journal, log1, String(N)], env);
    let gone = false;
    void first.exited.then(() => { gone = true; });
    expect(await until(() => gone || journalLines(journal).length >= 250, 600_000)).toBe(true);
    expect(gone, `the first run ended by itself:\n${first.out.stderr}`).toBe(false);
    first.child.kill('SIGKILL');
    await first.exited;
    // The ranks and their isolated children die with the launcher (parent-death signal).
    expect(await until(() => spawnSync('pgrep', ['-f', `faults.ts ${journal}`]).status === 1, 20_000)).toBe(true);
    const before = journalLines(journal);
    expect(before.length).toBeGreaterThanOrEqual(250);
    expect(before.length).toBeLessThan(N);

    // Run 2: resumes from the journal and finishes.
    const r = simdeck(['run', '-n', '4', deck('faults.ts'), journal, log2, String(N)], env, 900_000);
    expect(r.status, r.stderr).toBe(0);
    const summary = linesOf(r.stdout, 0).find((l) => l.startsWith('OK summary'))!;
    expect(summary).toMatch(new RegExp(`^OK summary total=${N} ok=875 crash=50 timeout=25 error=50 resumed=${before.length}$`));

    // Exactly one final result per task, nothing lost, nothing duplicated.
    const records = journalLines(journal);
    expect(records.length).toBe(N);
    expect(new Set(records.map((x) => x.id)).size).toBe(N);
    expect(records.map((x) => Number(x.id)).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    const firstIds = new Set(before.map((x) => x.id));

    // Each retry ran on another rank than the attempt before it.
    const movedOn = (rec: Record) => rec.attempts.slice(1).every((a, k) => a.rank !== rec.attempts[k].rank);
    for (const rec of records) {
      const i = Number(rec.id);
      const kind = (7 * i) % 20;
      const statuses = rec.attempts.map((a) => a.status);
      expect(movedOn(rec), `retries of task ${i} on other ranks: ${JSON.stringify(rec.attempts)}`).toBe(true);
      if (kind === 0) {
        expect(rec.status).toBe('crash');
        expect(statuses).toEqual(['crash', 'crash', 'crash']); // crash: 2 retries
      } else if (kind === 2 && Math.floor(i / 20) % 2 === 0) {
        expect(rec.status).toBe('timeout');
        expect(statuses).toEqual(['timeout', 'timeout']); // timeout: 1 retry
      } else if (kind === 3) {
        expect(rec.status).toBe('error');
        expect(statuses).toEqual(['error']); // error: no retry
      } else {
        // ok in the end; kinds 1 and 2 fail their first attempt on purpose. (A child lost to the
        // machine, rare on a loaded machine, would show as one more crash retried here.)
        expect(rec.status, JSON.stringify(rec)).toBe('ok');
        expect(rec.value).toBe(2 * i);
        if (kind === 1) expect(statuses[0]).toBe('crash');
        if (kind === 2) expect(statuses[0]).toBe('timeout');
        if (kind === 1 || kind === 2) expect(rec.attempts.length).toBeGreaterThanOrEqual(2);
      }
    }

    // Tasks journaled by run 1 did not run again; in run 2 each task ran once per attempt.
    const runs2 = runLines(log2);
    expect(runs2.filter(([id]) => firstIds.has(String(id)))).toEqual([]);
    const count = new Map<number, number>();
    for (const [id] of runs2) count.set(id, (count.get(id) ?? 0) + 1);
    // (An attempt whose child died while loading the deck never started the task.)
    const started = (rec: Record) => rec.attempts.filter((a) => !/before reaching the deck's first Pool/.test(a.message ?? ''));
    for (const rec of records.filter((x) => !firstIds.has(x.id))) expect(count.get(Number(rec.id)), `runs of task ${rec.id}`).toBe(started(rec).length);
    // Attempts ran where the journal says.
    for (const rec of records.filter((x) => !firstIds.has(x.id))) {
      const mine = runs2.filter(([id]) => id === Number(rec.id)).sort((a, b) => a[2] - b[2]).map(([, rank]) => rank);
      expect(mine).toEqual(started(rec).map((a) => a.rank));
    }
  }, 1_200_000);
});

describe('progress', () => {
  const progressDeck = `
    import { world } from 'simdeck';
    import { Pool } from 'simdeck/farm';
    const nap = new Int32Array(new SharedArrayBuffer(4));
    const pool = new Pool(world);
    pool.outcomes((ms: number) => { Atomics.wait(nap, 0, 0, ms); if (ms === 21) throw new Error('no'); return ms; }, [...new Array(40).fill(20), 21], { label: 'study' });
  `;

  it('draws a live bar on the terminal when the launcher has one', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'deck.ts'), progressDeck);
    const r = spawnSync('script', ['-qfec', `${process.execPath} ${cli} run -n 2 ${join(dir, 'deck.ts')}`, '/dev/null'], {
      cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, SIMDECK_FARM_PROGRESS: '' },
    });
    if (r.error && process.env.CI !== 'true') { console.warn('skipping: script(1) from util-linux is needed'); return; }
    expect(r.status, r.stdout).toBe(0);
    // Redrawn in place: carriage return, clear line, the bar, done/total, causes, rate (and an ETA while running).
    expect(r.stdout).toMatch(/\r\x1b\[K\[#*-*\] \d+\/41 done \(\d+ ok(, 1 error)?\), [\d.]+ tasks\/s(, ETA [\d.]+ (ms|s))?/);
    expect(r.stdout).toMatch(/study: 41 tasks: 40 ok, 1 error in [\d.]+ (ms|s) \([\d.]+ tasks\/s\)/);
  });

  it('prints plain periodic lines and a summary when the output is not a terminal', () => {
    const r = runDeck(progressDeck, 2, [], { SIMDECK_FARM_PROGRESS_INTERVAL: '0.1' });
    expect(r.status, r.stderr).toBe(0);
    const lines = linesOf(r.stderr, 0);
    expect(lines.some((l) => /^study: \d+\/41 done \(\d+ ok(, 1 error)?\), [\d.]+ tasks\/s/.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^study: 41 tasks: 40 ok, 1 error in [\d.]+ (ms|s) \([\d.]+ tasks\/s\)$/);
  });
});

describe('journal', () => {
  it('keeps the last record of each id, ignores a torn last line, and cuts it before appending', () => {
    const dir = tempDir();
    const path = join(dir, 'j.jsonl');
    writeFileSync(path, '{"id":"0","index":0,"status":"error","attempts":[]}\n{"id":"0","index":0,"status":"ok","value":{"$typed":"Float64Array","data":[1.5]},"attempts":[]}\n{"id":"1","ind');
    const got = readJournal(path);
    expect([...got.keys()]).toEqual(['0']);
    expect(got.get('0').status).toBe('ok');
    expect(got.get('0').value).toEqual(Float64Array.from([1.5]));
    const j = new Journal(path);
    j.append({ index: 1, id: '1', status: 'ok', value: new Int32Array([7]), attempts: [{ rank: 0, status: 'ok', ms: 1 }] });
    j.close();
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l).id)).toEqual(['0', '0', '1']);
    expect(readJournal(path).get('1').value).toEqual(new Int32Array([7]));
    writeFileSync(path, 'not json\n');
    expect(() => readJournal(path)).toThrow(/line 1 of .* is not JSON; is this a farm journal/);
  });

  it('summarizes by cause', () => {
    expect(formatSummary({ total: 10, ok: 7, error: 1, timeout: 1, crash: 1, exit: 0, resumed: 2, retries: 3, seconds: 1.25 }))
      .toBe('10 tasks: 7 ok, 1 error, 1 timeout, 1 crash (2 from the journal), 3 retried in 1.3 s (6.4 tasks/s)');
  });
});

describe('dashboard metrics', () => {
  it("publishes the farm's figures as the 'farm' panel (in-process, one rank)", async () => {
    const { BroadcastChannel } = await import('node:worker_threads');
    const { Pool } = await import(join(root, 'dist', 'src', 'farm', 'index.js'));
    const { METRICS_CHANNEL } = await import(join(root, 'dist', 'src', 'steer', 'publish.js'));
    const panels: { panel: string; values: Record<string, number | string> }[] = [];
    const channel = new BroadcastChannel(METRICS_CHANNEL);
    channel.onmessage = (m: unknown) => { panels.push((m as { data: (typeof panels)[0] }).data); };
    const pool = new Pool();
    const out = pool.outcomes((x: number) => { if (x === 3) throw new Error('three'); return x; }, [1, 2, 3, 4], { progress: 'off', label: 'study' });
    expect(out.map((o: { status: string }) => o.status)).toEqual(['ok', 'ok', 'error', 'ok']);
    expect(await until(() => panels.length > 0, 5_000)).toBe(true);
    channel.close();
    const last = panels[panels.length - 1];
    expect(last.panel).toBe('study');
    expect(last.values).toMatchObject({ done: 4, total: 4, ok: 3, error: 1, timeout: 0, crash: 0, exit: 0, retries: 0, eta: '-' });
  });
});
