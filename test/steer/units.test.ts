// The steering layer's pure parts, in process: durations, the parameter schema and value checks,
// command checks, the time step rule, the command log (reader, writer, rounded tail), eval answers,
// and the layering rule that steer imports nothing above it.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/steer/commands.js';
import { CommandLog, readCommandLog } from '../../src/steer/commandLog.js';
import { formatSeconds, parseDuration, roundTime } from '../../src/steer/duration.js';
import { ParameterError, ReplayError, TimestepError } from '../../src/steer/errors.js';
import { evaluate } from '../../src/steer/evaluate.js';
import { formatStatus } from '../../src/steer/statusLine.js';
import { checkValue, describeParams } from '../../src/steer/params.js';
import { TimestepRule } from '../../src/steer/timestep.js';
import { ArgumentError } from '../../src/errors.js';

describe('durations', () => {
  it('reads seconds and duration strings', () => {
    expect(parseDuration(90, 'x')).toBe(90);
    expect(parseDuration('2h', 'x')).toBe(7200);
    expect(parseDuration('1h30m', 'x')).toBe(5400);
    expect(parseDuration('1.5h', 'x')).toBe(5400);
    expect(parseDuration('500ms', 'x')).toBe(0.5);
    expect(parseDuration('15 min', 'x')).toBe(900);
    for (const bad of ['', '2 hours', 'h', -1, 0, NaN, '2h x', null]) {
      expect(() => parseDuration(bad, 'stop.wall')).toThrow(ArgumentError);
    }
    expect(() => parseDuration('2 hours', 'stop.wall')).toThrow(/stop.wall must be a positive number of seconds or a duration like '90s', '15m', '2h' or '1h30m', got "2 hours"/);
  });

  it('prints seconds with a unit', () => {
    expect([0, 5e-7, 0.0123, 0.9999, 4.1, 59.99, 125, 3725].map(formatSeconds)).toEqual(['0 s', '0.500 µs', '12.3 ms', '1.00 s', '4.10 s', '1 min 0 s', '2 min 5 s', '1 h 02 min']);
  });
});

describe('the parameter schema', () => {
  it('infers types and keeps ranges, units, choices and descriptions', () => {
    expect(describeParams({ a: { value: 0.1, min: 0, max: 1, unit: 'm2/s', description: 'd' }, n: { value: 3, type: 'integer' }, on: true, s: { value: 'x', choices: ['x', 'y'] } })).toEqual([
      { name: 'a', type: 'number', value: 0.1, min: 0, max: 1, unit: 'm2/s', description: 'd' },
      { name: 'n', type: 'integer', value: 3 },
      { name: 'on', type: 'boolean', value: true },
      { name: 's', type: 'string', value: 'x', choices: ['x', 'y'] },
    ]);
  });

  it('refuses bad schemas with a ParameterError that says what to change', () => {
    const cases: [unknown, RegExp][] = [
      [{ 'a-b': 1 }, /parameter name "a-b" must be an identifier/],
      [{ a: { value: null } }, /parameter a: value must be a number, boolean or string/],
      [{ a: { value: 'x', min: 0 } }, /min and max apply to numbers only/],
      [{ a: { value: 1, min: 2, max: 1 } }, /min 2 is above max 1/],
      [{ a: { value: 1, choices: ['x'] } }, /choices must be a non-empty array of strings, for a string parameter/],
      [{ a: { value: 'z', choices: ['x', 'y'] } }, /initial value must be one of "x", "y", got "z"/],
      [{ a: { value: 1.5, type: 'integer' } }, /initial value must be an integer, got 1.5/],
      [[1], /params must be an object/],
    ];
    for (const [schema, msg] of cases) {
      expect(() => describeParams(schema as never)).toThrow(ParameterError);
      expect(() => describeParams(schema as never)).toThrow(msg);
    }
  });

  it('converts terminal text to the parameter type and checks ranges', () => {
    const [a, n, on] = describeParams({ a: { value: 0.1, min: 0, max: 0.5, unit: '1/s' }, n: { value: 1, type: 'integer', min: 1 }, on: false });
    expect(checkValue(a!, '0.25')).toEqual({ value: 0.25 });
    expect(checkValue(a!, 0.7)).toEqual({ error: 'must be at most 0.5 1/s, got 0.7' });
    expect(checkValue(a!, 'abc')).toEqual({ error: 'must be a finite number, got "abc"' });
    expect(checkValue(a!, Infinity)).toEqual({ error: 'must be a finite number, got Infinity' });
    expect(checkValue(n!, 2.5)).toEqual({ error: 'must be an integer, got 2.5' });
    expect(checkValue(n!, 0)).toEqual({ error: 'must be at least 1, got 0' });
    expect(checkValue(on!, 'true')).toEqual({ value: true });
    expect(checkValue(on!, 1)).toEqual({ error: 'must be true or false, got 1' });
  });
});

describe('command checks on rank 0', () => {
  const params = new Map(describeParams({ alpha: { value: 0.1, min: 0, max: 1 } }).map((d) => [d.name, d]));
  it('accepts well-formed commands, normalised', () => {
    expect(checkCommand({ kind: 'set', name: 'alpha', value: '0.3' }, params)).toEqual({ kind: 'set', name: 'alpha', value: 0.3 });
    expect(checkCommand({ kind: 'step', count: '5' }, params)).toEqual({ kind: 'step', count: 5 });
    expect(checkCommand({ kind: 'pause', extra: 1 }, params)).toEqual({ kind: 'pause' });
    expect(checkCommand({ kind: 'eval', expr: '1+1' }, params)).toEqual({ kind: 'eval', expr: '1+1' });
  });
  it('refuses malformed ones with a reason', () => {
    expect(checkCommand(null, params)).toBe('a command must be an object with a kind, got null');
    expect(checkCommand({ kind: 'set', name: 'beta', value: 1 }, params)).toBe('unknown parameter "beta"; steerable parameters are alpha');
    expect(checkCommand({ kind: 'set', name: 'alpha', value: 2 }, params)).toBe('alpha must be at most 1, got 2');
    expect(checkCommand({ kind: 'step', count: 0 }, params)).toBe('step needs a positive integer count, got 0');
    expect(checkCommand({ kind: 'eval', expr: '  ' }, params)).toBe('eval needs a non-empty expression, got "  "');
    expect(checkCommand({ kind: 'launch' }, params)).toBe('unknown command kind "launch"; known: set, pause, resume, step, stop, checkpoint, eval');
    expect(checkCommand({ kind: 'set', name: '__proto__', value: 1 }, params)).toMatch(/^unknown parameter/);
  });
});

describe('the time step rule', () => {
  it('applies safety, growth and shrink limits and bounds', () => {
    const r = new TimestepRule(() => 1, { safety: 0.5, maxChange: 2, minChange: 0.5, min: 0.01, max: 1 });
    expect(r.next(0.1, 0, 0)).toBe(0.05);
    expect(r.next(10, 0.05, 1)).toBe(0.1);          // growth limited to x2
    expect(r.next(0.001, 0.1, 2)).toBe(0.05);       // shrink limited to x0.5
    expect(r.next(0.001, 0, 3)).toBe(0.01);         // clamped to min
    expect(() => r.next(NaN, 0.1, 7)).toThrow(TimestepError);
    expect(() => new TimestepRule(() => 1).next(Infinity, 0, 4)).toThrow(/no finite time step at step 4/);
    expect(() => new TimestepRule(() => 1, { maxChange: 0.5 })).toThrow(/maxChange must be a number ≥ 1/);
    expect(() => new TimestepRule(() => 1, { min: 2, max: 1 })).toThrow(/min \(2\) is above max \(1\)/);
    expect(new TimestepRule(() => -1).propose()).toBeNaN();
  });
});

describe('the command log reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simdeck-log-'));
  it('skips the header and refused entries and sorts by sequence', () => {
    const p = join(dir, 'ok.jsonl');
    writeFileSync(p, [
      '{"simdeck":"steer-log","version":1,"params":{}}',
      '{"seq":2,"step":9,"time":0.9,"source":"b","command":{"kind":"stop"}}',
      '{"seq":0,"step":3,"time":0.3,"source":"b","command":{"kind":"set","name":"x","value":9},"error":"no"}',
      '{"seq":1,"step":3,"time":0.3,"source":"b","command":{"kind":"pause"}}', '',
    ].join('\n'));
    expect(readCommandLog(p).map((e) => e.seq)).toEqual([1, 2]);
  });
  it('names the bad line', () => {
    const p = join(dir, 'bad.jsonl');
    writeFileSync(p, '{"seq":1,"step":3,"time":0.3,"source":"b","command":{"kind":"pause"}}\n{"seq":2}\n');
    expect(() => readCommandLog(p)).toThrow(ReplayError);
    expect(() => readCommandLog(p)).toThrow(/bad.jsonl:2: not a command log entry/);
    writeFileSync(p, 'not json\n');
    expect(() => readCommandLog(p)).toThrow(/bad.jsonl:1: not a JSON line/);
    expect(() => readCommandLog(join(dir, 'none.jsonl'))).toThrow(/cannot read the command log to replay/);
  });
});

describe('eval answers and the status line', () => {
  it('evaluates expressions and statements in a scope; errors become answers', () => {
    expect(evaluate('a + 1', { a: 2 })).toBe(3);
    expect(evaluate('const b = a * 2; return b', { a: 2 })).toBe(4);
    expect(evaluate('[1, 2]', {})).toBe('[ 1, 2 ]');
    expect(evaluate('undefined', {})).toBe(null);
    expect(evaluate('1/0', {})).toBe('Infinity');
    expect(evaluate('nope', {})).toEqual({ error: 'ReferenceError: nope is not defined' });
    expect(evaluate('(', {})).toEqual({ error: expect.stringMatching(/^SyntaxError/) });
  });
  it('formats a status line', () => {
    const s = { step: 912, time: 0.02781, dt: 3.0517578125e-5, wall: 4.9, stepsPerSecond: 186.2, eta: 4.1, state: 'running' as const, params: {}, timers: [] };
    expect(formatStatus(s, 0.05, null)).toBe('step 912  t 0.02781/0.05  dt 3.05e-5  186 steps/s  ETA 4.10 s');
    expect(formatStatus({ ...s, state: 'paused' }, null, 2000)).toBe('step 912/2000  t 0.02781  dt 3.05e-5  186 steps/s  ETA 4.10 s  [paused]');
  });
});

describe('the command log writer', () => {
  it('keeps exact times in the file and rounds them in the tail people read', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'steerlog-')), 'run.jsonl');
    const log = new CommandLog(path, { alpha: 0.1 });
    let t = 0;
    for (let i = 0; i < 688; i++) t += 0.01; // 6.879999999999898, as a sum of steps gives it
    expect(t).not.toBe(6.88);
    log.append({ seq: 1, step: 688, time: t, source: 'browser', command: { kind: 'set', name: 'alpha', value: 0.2 } });
    log.append({ seq: 2, step: 700, time: 7, source: 'attach', command: { kind: 'stop' } });
    log.close();
    expect(log.tail).toEqual([
      '{"seq":1,"step":688,"time":6.88,"source":"browser","command":{"kind":"set","name":"alpha","value":0.2}}',
      '{"seq":2,"step":700,"time":7,"source":"attach","command":{"kind":"stop"}}',
    ]);
    expect(readCommandLog(path).map((e) => e.time)).toEqual([t, 7]); // replay needs the exact value
    expect(readFileSync(path, 'utf8')).toContain(`"time":${t}`);
    expect([roundTime(0.1 + 0.2), roundTime(1e-13 * 3), roundTime(123456.7890123456), roundTime(Infinity)]).toEqual([0.3, 3e-13, 123456.789012, Infinity]);
  });
});

describe('layering', () => {
  it('steer imports nothing above it (runtime, cli): the runtime calls down into steer, never the reverse', () => {
    const src = join(import.meta.dirname, '..', '..', 'src');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts')) {
          for (const m of readFileSync(p, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
            const target = relative(src, join(dir, m[1]!));
            if (m[1]!.startsWith('.') && /^(runtime|cli)\//.test(target)) offenders.push(`${relative(src, p)} imports ${m[1]}`);
          }
        }
      }
    };
    walk(join(src, 'steer'));
    expect(offenders).toEqual([]);
  });
});
