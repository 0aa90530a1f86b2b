// The frame checks and command-line parser, the access rules, and the SteeringLink itself in
// this process (a real worker thread, real ws): poll never blocks, waitForCommands sleeps until a
// request or its timeout, status is latest-wins, replies reach the client that asked.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SteeringClient } from '../../dist/src/steer/server/client.js';
import { listJobs } from '../../dist/src/steer/server/jobFile.js';
import { openSteeringLink } from '../../dist/src/steer/server/open.js';
import { checkFrame, MAX_EXPR_CHARS, parseCommandLine } from '../../dist/src/steer/server/protocol.js';
import { isLoopback } from '../../dist/src/steer/server/security.js';
import type { SteerStatus } from '../../dist/src/steer/link.js';
import { until } from '../helpers/job.js';

describe('frames and command lines', () => {
  it('accepts exactly the documented frames', () => {
    expect(checkFrame('{"id":3,"command":{"kind":"set","name":"alpha","value":0.2}}')).toEqual({ ok: true, frame: { id: 3, command: { kind: 'set', name: 'alpha', value: 0.2 } } });
    expect(checkFrame('{"id":0,"command":{"kind":"step","count":10}}').ok).toBe(true);
    expect(checkFrame(JSON.stringify({ id: 1, command: { kind: 'eval', expr: 'x'.repeat(MAX_EXPR_CHARS) } })).ok).toBe(true);
    expect(checkFrame(JSON.stringify({ id: 1, command: { kind: 'eval', expr: 'x'.repeat(MAX_EXPR_CHARS + 1) } }))).toEqual({ ok: false, id: 1, error: `eval expr must be at most ${MAX_EXPR_CHARS} characters` });
    expect(checkFrame('{"id":1,"command":{"kind":"stop","now":true}}')).toEqual({ ok: false, id: 1, error: 'command stop has unknown member "now"' });
    expect(checkFrame('{"id":1,"command":{"kind":"toString"}}').ok).toBe(false);
    expect(checkFrame('{"id":1,"command":{"__proto__":{"kind":"stop"}}}').ok).toBe(false);
    expect(checkFrame('nonsense')).toEqual({ ok: false, id: null, error: 'frame is not valid JSON' });
  });

  it('never throws on random bytes', () => {
    let s = 7;
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: i % 64 }, () => { s = (s * 1103515245 + 12345) & 0x7fffffff; return String.fromCharCode(s % 0x7f); }).join('');
      expect(checkFrame(text).ok).toBe(false);
    }
  });

  it('parses what people type in simdeck attach', () => {
    expect(parseCommandLine('set alpha=0.2')).toEqual({ kind: 'set', name: 'alpha', value: 0.2 });
    expect(parseCommandLine('set on = true')).toEqual({ kind: 'set', name: 'on', value: true });
    expect(parseCommandLine('set scheme="central"')).toEqual({ kind: 'set', name: 'scheme', value: 'central' });
    expect(parseCommandLine('set scheme=central')).toEqual({ kind: 'set', name: 'scheme', value: 'central' });
    expect(parseCommandLine('step')).toEqual({ kind: 'step', count: 1 });
    expect(parseCommandLine('step 25')).toEqual({ kind: 'step', count: 25 });
    expect(parseCommandLine('step -1')).toEqual({ error: 'step needs count: a whole number from 1 to 1000000000' });
    expect(parseCommandLine('eval world.rank * 2')).toEqual({ kind: 'eval', expr: 'world.rank * 2' });
    expect(parseCommandLine('pause now')).toEqual({ error: 'pause takes no argument' });
    expect(parseCommandLine('set alpha')).toEqual({ error: 'usage: set NAME=VALUE' });
    expect(parseCommandLine('launch')).toHaveProperty('error');
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.0.2.2', '10.0.0.1', 'example.org', '128.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });
});

describe('the link in this process', () => {
  it('polls without blocking, sleeps in waitForCommands, replies, and publishes status latest-wins', async () => {
    const runtime = mkdtempSync(join(tmpdir(), 'simdeck-xdg-'));
    process.env.XDG_RUNTIME_DIR = runtime;
    const link = await openSteeringLink({ params: [{ name: 'alpha', type: 'number', value: 0.1, min: 0, max: 1 }] });
    try {
      expect(link.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/);
      expect(listJobs().map((j) => j.pid)).toEqual([process.pid]);
      expect(link.poll()).toEqual([]);
      // Idle poll: one Atomics.load.
      const t0 = performance.now();
      for (let i = 0; i < 1e6; i++) link.poll();
      const idleNs = (performance.now() - t0) * 1e6 / 1e6;
      console.log(`idle poll: ${idleNs.toFixed(1)} ns`);
      // waitForCommands with nothing coming: returns [] after about the timeout.
      const w0 = Date.now();
      expect(link.waitForCommands(200)).toEqual([]);
      expect(Date.now() - w0).toBeGreaterThanOrEqual(190);

      const file = listJobs()[0];
      const client = await SteeringClient.connect(file.ws);
      expect(client.params.map((p) => p.name)).toEqual(['alpha']);
      const answer = client.request({ kind: 'set', name: 'alpha', value: 0.5 });
      let got = link.poll();
      for (let i = 0; i < 200 && got.length === 0; i++) { await new Promise((r) => setTimeout(r, 10)); got = link.poll(); }
      expect(got).toEqual([{ id: 1, source: 'attach', command: { kind: 'set', name: 'alpha', value: 0.5 } }]);
      link.reply({ id: got[0].id, ok: true, seq: 1, step: 7, time: 0.7 });
      expect(await answer).toEqual({ id: 1, ok: true, seq: 1, step: 7, time: 0.7 });

      // A request that arrives while the loop sleeps wakes it.
      const waiting = client.request({ kind: 'pause' });
      await new Promise((r) => setTimeout(r, 50));
      const woke = link.waitForCommands(10_000);
      expect(woke.map((r) => r.command.kind)).toEqual(['pause']);
      link.reply({ id: woke[0].id, ok: false, error: 'not now' });
      expect(await waiting).toEqual({ id: 2, ok: false, error: 'not now' });

      // Status: many publishes, the client sees the latest one (not every one).
      const seen: number[] = [];
      client.onStatus = (s) => seen.push(s.step);
      const status = (step: number): SteerStatus => ({ step, time: step, dt: 1, wall: 0, stepsPerSecond: 0, eta: null, state: 'running', params: {}, timers: [] });
      for (let step = 1; step <= 100_000; step++) {
        link.publishStatus(status(step));
        if (step % 10_000 === 0) await new Promise((r) => setTimeout(r, 120));
      }
      link.waitForCommands(0); // the loop goes idle: the last status is handed over
      expect(await until(() => seen.at(-1) === 100_000, 5000)).toBe(true);
      expect(seen.length).toBeLessThan(100);
      client.close();
    } finally {
      link.close();
    }
    expect(listJobs()).toEqual([]);
  });

  it('holds commands that arrive before the deck declared its parameters, and hands them over in order once it does', async () => {
    const runtime = mkdtempSync(join(tmpdir(), 'simdeck-xdg-'));
    process.env.XDG_RUNTIME_DIR = runtime;
    // as `simdeck run --steer` opens it: before the deck's Simulation exists, no parameters known
    const link = await openSteeringLink({ params: [] });
    try {
      const client = await SteeringClient.connect(listJobs()[0].ws);
      expect(client.params).toEqual([]);
      // nobody asked for a status yet: a connected client does, within the server's 100 ms cadence
      expect(await until(() => link.wantsStatus!(), 2000)).toBe(true);
      const early = client.request({ kind: 'set', name: 'alpha', value: 0.5 });
      const wrong = client.request({ kind: 'set', name: 'beta', value: 1 });
      const pause = client.request({ kind: 'pause' });
      await new Promise((r) => setTimeout(r, 200));
      expect(link.poll()).toEqual([]); // held in the server, not refused
      link.announce([{ name: 'alpha', type: 'number', value: 0.1, min: 0, max: 1 }]);
      let got = link.poll();
      for (let i = 0; i < 200 && got.length < 2; i++) { await new Promise((r) => setTimeout(r, 10)); got = [...got, ...link.poll()]; }
      expect(got.map((r) => r.command)).toEqual([{ kind: 'set', name: 'alpha', value: 0.5 }, { kind: 'pause' }]);
      expect(await wrong).toEqual({ id: 2, ok: false, error: 'no steerable parameter "beta" (this job has: alpha)' });
      for (const r of got) link.reply({ id: r.id, ok: true, seq: r.id, step: 0, time: 0 });
      expect(await early).toMatchObject({ id: 1, ok: true });
      expect(await pause).toMatchObject({ id: 3, ok: true });
      expect(await until(() => client.params.length === 1, 2000)).toBe(true);
      // once declared, an unknown name is refused at once
      expect(await client.request({ kind: 'set', name: 'gamma', value: 1 })).toEqual({ id: 4, ok: false, error: 'no steerable parameter "gamma" (this job has: alpha)' });
      client.close();
      // the last client gone, the loop is no longer asked for statuses
      expect(await until(() => !link.wantsStatus!(), 2000)).toBe(true);
    } finally {
      link.close();
    }
  });
});
