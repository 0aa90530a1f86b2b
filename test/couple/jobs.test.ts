// Coupling on real jobs over shared memory: mapping between non-matching grids on 1:1, 1:3, 3:2
// and 4:3 ranks (the same bits as a serial computation), the router (ranks talk only to
// ranks whose blocks overlap), every coupling mistake before any step, and the gas-turbine
// example as one deck, as an MPMD job, restarted from a coordinated checkpoint on other rank
// counts, and with its control component steered (a replayed command log).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { linesOf, root, simdeck } from '../helpers/job.js';
import { fingerprints, mappingProblems, report, serialHashes } from './reference.js';

const deck = (name: string) => join(root, 'test', 'couple', 'decks', name);
const example = (name: string) => join(root, 'native-examples', 'coupled', name);
const serial = serialHashes();
// the native map kernels run unless SIMDECK_NATIVE=0 or no C compiler (CI installs gcc: checked there)
const nativeOff = ['0', 'off', 'false'].includes((process.env.SIMDECK_NATIVE ?? '').trim().toLowerCase());
const hasCc = spawnSync(process.env.SIMDECK_CC ?? 'cc', ['--version']).status === 0;

describe('coupling on shared memory', () => {
  for (const [a, b] of [[1, 1], [1, 3], [3, 2], [4, 3]]) {
    it(`maps nearest, linear and conservative in 1-D, 2-D and 3-D on ${a}:${b} ranks, bit for bit as serially`, () => {
      const r = simdeck(['run', '-n', String(a + b), deck('mapping.ts'), String(a), String(b)]);
      expect(mappingProblems(r, a + b, serial)).toEqual([]);
      if (a === 1 && b === 1 && !nativeOff && (hasCc || process.env.CI === 'true')) {
        // the split target and its sender map their rows with the native kernels (maps.c)
        expect(report(r, a + b).get('shifted linear src kernels')).toEqual(['native']);
        expect(report(r, a + b).get('shifted linear dst kernels')).toEqual(['native']);
      }
      if (a === 4) {
        // 1-D, 37 source points on 4 ranks → 50 target points on 3: each source rank sends to
        // the one or two target ranks its block overlaps, never to all three
        const peers = report(r, a + b).get('1d linear src peers') as number[][];
        expect(peers).toEqual([[4], [4, 5], [5, 6], [6]]);
      }
    });
  }

  it("a same-grid 'parallel' interface never changes the target while the exchange's update runs", () => {
    const r = simdeck(['run', '-n', '2', deck('staging.ts')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[1] landed during update: 0 of 10');
    // a linear interface whose target's rows the two ranks split (route.ts splitRows), likewise
    expect(r.stdout).toContain('[1] shifted, mapped during update: 0 of 10');
  });
  it('gives each coupling mistake as its typed error on every rank, before any step', () => {
    const r = simdeck(['run', '-n', '3', deck('mistakes.ts')]);
    expect(r.stderr).toBe('');
    for (let w = 0; w < 3; w++) {
      const lines = linesOf(r.stdout, w);
      const first = (what: string) => lines.find((l) => l.startsWith(`${what}: `)) ?? `${what}: (missing)`;
      expect(first('unconnected')).toMatch(/^unconnected: CouplingError UnconnectedFieldError: coupling check: a sends a.spare but no interface carries it/);
      expect(first('units')).toMatch(/^units: CouplingError UnitMismatchError: .*a sends out in 'K' but b expects in in 'degC'/);
      expect(first('shape')).toMatch(/^shape: CouplingError ShapeMismatchError: .*a.out is 1-D \[8\] but b.in is 2-D \[2, 2\]/);
      expect(first('interval')).toMatch(/^interval: CouplingError IntervalError: .*the interval 0.15 is not a whole number of a steps \(dt 0.1\)/);
      expect(first('cycle')).toMatch(/^cycle: CouplingError WaitCycleError: .*form a wait cycle a → b → a/);
      expect(first('components')).toMatch(/^components: CouplingError DeclarationError: .*declares a, b, c; c has no ranks/);
      expect(first('array')).toMatch(/^array: ShapeMismatchError: .*b.in is declared with shape \[12\] .* its array's grid has shape \[13\]/);
      expect(first('steps run')).toBe('steps run: 0');
    }
    expect(linesOf(r.stdout, 1)).toContain('intercomm: b (ranks 1-2 of world) got "to b0" from a\'s 1 rank; same object again: true');
    expect(linesOf(r.stdout, 2)).toContain('intercomm: b (ranks 1-2 of world) got "to b1" from a\'s 1 rank; same object again: true');
    const u = simdeck(['run', '-n', '3', deck('mistakes.ts'), 'uncaught']);
    expect(u.status).toBe(1);
    expect(u.stdout).toBe('');
    expect(u.stderr).toContain('UnconnectedFieldError: coupling check: a sends a.spare');
  });

  const dir = join(tmpdir(), `simdeck-couple-${process.pid}`);
  const parts = (n: number[], more: string[]) => ['compressor', 'combustor', 'exhaust', 'control']
    .flatMap((c, k) => [...(k ? [':'] : []), '-n', String(n[k]), example(`${c}.ts`), 'steps=200', ...more]);
  let want: string[] = [];

  it('runs the gas turbine as one deck, writing a coordinated checkpoint', () => {
    rmSync(dir, { recursive: true, force: true });
    const one = simdeck(['run', '-n', '7', example('coupled.ts'), 'steps=200', `dir=${dir}`, 'checkpoint=0.1']);
    expect(one.stderr).toBe('');
    expect(one.status).toBe(0);
    want = fingerprints(one.stdout);
    expect(want.map((l) => l.replace(/fingerprint \w+/, ''))).toEqual(['combustor: 400 steps, ', 'compressor: 200 steps, ', 'control: 100 steps, ', 'exhaust: 200 steps, ']);
    expect(one.stdout).toContain('[0] checkpoint at t=0.100 s: coupled_000100.json');
    // the exhaust is held near the control's target
    const last = linesOf(one.stdout, 6).find((l) => l.startsWith('control: t=0.200 s'))!;
    expect(Math.abs(Number(/exhaust mean ([\d.]+)/.exec(last)![1]) - 650)).toBeLessThan(30);
  }, 300_000);

  it('runs it as an MPMD job with the same results', () => {
    const mpmd = simdeck(['run', ...parts([2, 3, 1, 1], [])]);
    expect(mpmd.status).toBe(0);
    expect(fingerprints(mpmd.stdout)).toEqual(want);
  }, 300_000);

  it('restarts it from the coordinated checkpoint on other rank counts, bit for bit', () => {
    const again = simdeck(['run', '--restart', join(dir, 'coupled_000100.json'), ...parts([1, 2, 2, 1], [`dir=${dir}`])]);
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain('compressor: restarted at t=0.100 s (step 100)');
    expect(again.stdout).toContain('combustor: restarted at t=0.100 s (step 200)');
    expect(fingerprints(again.stdout)).toEqual(want);
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it("steers the control component's loop: a replayed command lowers its target at step 50 and the exhaust follows", () => {
    const log = join(tmpdir(), `simdeck-couple-steer-${process.pid}.jsonl`);
    // the time is the control loop's own, as a steered run logs it (50 steps of 2 ms, summed)
    writeFileSync(log, '{"simdeck":"steer-log","version":1,"params":{"target":650}}\n' +
      '{"seq":1,"step":50,"time":0.10000000000000007,"source":"test","command":{"kind":"set","name":"target","value":500}}\n');
    const r = simdeck(['run', '-n', '7', example('coupled.ts'), 'steps=200', `replay=${log}`]);
    rmSync(log, { force: true });
    expect(r.stderr).toBe('');
    const control = linesOf(r.stdout, 6);
    expect(control).toContain('control: t=0.100 s exhaust mean 556.63 K, target 650 K');   // as unsteered until then
    expect(control.find((l) => l.startsWith('control: t=0.150 s'))).toMatch(/target 500 K$/);
    const mean = (lines: string[]) => Number(/exhaust mean ([\d.]+)/.exec(lines.find((l) => l.startsWith('control: t=0.200 s'))!)![1]);
    expect(mean(control)).toBeLessThan(mean(['control: t=0.200 s exhaust mean 664.02 K']));
    // the other components' fields differ from the unsteered run's after the change
    expect(fingerprints(r.stdout).find((l) => l.startsWith('exhaust'))).not.toBe(want.find((l) => l.startsWith('exhaust')));
  }, 300_000);
});
