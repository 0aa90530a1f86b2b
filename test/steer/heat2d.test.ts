// native-examples/heat2d/steered.ts: the steered heat2d deck gives the same reports on 1 and 4
// ranks, its CFL step is the same everywhere, a scripted steering log (replayed) changes the
// diffusivity and takes a checkpoint at the steps it names, and the status line is one updating
// line on a terminal.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, root, simdeck } from '../helpers/job.js';

const deck = join(root, 'native-examples', 'heat2d', 'steered.ts');
const env = { HEAT_END_TIME: '0.02', SIMDECK_STATUS: 'off' };
const reports = (out: string) => out.split('\n').filter((l) => l.startsWith('[0] t = ') || l.startsWith('t = ')).map((l) => l.replace(/^\[0\] /, ''));

describe('heat2d as a steered run', () => {
  it('reports what docs/steering.md shows, the same on 1 and 4 ranks, and stops exactly at its end time', { timeout: 240_000 }, () => {
    const full = simdeck(['run', '-n', '1', deck], { SIMDECK_STATUS: 'off' });
    expect(full.stderr).toBe('');
    const doc = readFileSync(join(root, 'docs', 'steering.md'), 'utf8');
    const shown = /```text\n(t = 0\.010[\s\S]*?)```/.exec(doc)![1]!.trim().split('\n');
    expect(reports(full.stdout)).toEqual(shown);
    expect(full.stdout).toMatch(/simulation stopped \(end time reached\) at step 1640, time 0\.05, after /);
    const one = simdeck(['run', '-n', '1', deck], env);
    expect(one.stderr).toBe('');
    expect(one.status).toBe(0);
    expect(reports(one.stdout)).toEqual(shown.slice(0, 2));
    expect(one.stdout).toMatch(/simulation stopped \(end time reached\) at step 656, time 0\.02, after /);
    for (const n of [4]) {
      const r = simdeck(['run', '-n', String(n), deck], env);
      expect(r.stderr).toBe('');
      expect(reports(r.stdout)).toEqual(reports(one.stdout));
      expect(r.stdout).toContain('[0] simulation stopped (end time reached) at step 656, time 0.02, after ');
      expect(r.stdout).toMatch(new RegExp(`\\(over ${n} ranks\\)`));
    }
  });

  it('a steering log replayed changes the diffusivity and checkpoints at the steps it names', { timeout: 240_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdeck-heat-'));
    const h = 1 / 256;
    const dt = 0.8 * ((h * h) / (4 * 0.1));
    let t = 0;
    for (let i = 0; i < 100; i++) t += dt;               // the loop's time after 100 steps, bit for bit
    const log = join(dir, 'script.jsonl');
    writeFileSync(log, [
      { seq: 1, step: 100, time: t, source: 'script', command: { kind: 'checkpoint' } },
      { seq: 2, step: 100, time: t, source: 'script', command: { kind: 'set', name: 'diffusivity', value: 0.05 } },
    ].map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = simdeck(['run', '-n', '2', deck], { ...env, SIMDECK_REPLAY: log, HEAT_CHECKPOINT_DIR: dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`[0] checkpoint at step 100: ${join(dir, 'heat2d-step100')}.bin`);
    expect(statSync(join(dir, 'heat2d-step100.bin')).size).toBe(256 * 256 * 8);
    expect(existsSync(join(dir, 'heat2d-step100.bin.tmp'))).toBe(false);
    const state = JSON.parse(readFileSync(join(dir, 'heat2d-step100.json'), 'utf8'));
    expect(state).toEqual({ step: 100, time: t, dt, params: { diffusivity: 0.1, source: 5 }, shape: [256, 256], file: join(dir, 'heat2d-step100.bin') });
    // after the change the CFL step doubles: fewer steps to the end time, and D = 0.05 in the reports
    const lines = reports(r.stdout);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^t = 0\.020  step \d+  heat .* \(D = 0\.05, source = 5 K\/s\)$/);
    const steps = Number(/step (\d+)/.exec(lines[1]!)![1]);
    expect(steps).toBe(100 + Math.ceil((0.02 - t) / (2 * dt) - 1e-9));
  });

  it('shows one updating status line on a terminal', { timeout: 240_000 }, () => {
    // `script` gives the job a pseudo-terminal; the rank writes the status line to /dev/tty.
    // End time 0.1 (3280 steps, over a second here): the line is redrawn at most every 200 ms,
    // and the 656 steps to 0.02 took barely that on a fast machine (CI once saw no update).
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} run -n 2 ${JSON.stringify(deck)}`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { cwd: root, encoding: 'utf8', env: { ...process.env, HEAT_END_TIME: '0.1', SIMDECK_STATUS: 'tty' }, timeout: 120_000 });
    expect(r.status).toBe(0);
    const updates = r.stdout.split('\r').filter((s) => /^step \d+\/?\d*\s+t [\d.e-]+\/0\.1\s+dt 3\.05e-5/.test(s));
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(r.stdout).toMatch(/\rstep 3280 {2}t 0\.1\/0\.1 {2}dt [\d.e-]+ {2}\d[\d.]* steps\/s {2}\[finished\]/);
  });
});
