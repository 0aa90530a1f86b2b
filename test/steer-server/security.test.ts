// The steering server's security model, against a real steered job (2 ranks, real ws, real HTTP):
// no token -> refused; wrong Origin or Host -> refused; oversized frame -> connection closed;
// 1,000 random malformed frames -> 1,000 error replies and the job's result unchanged; the job
// file is private (0600 in a 0700 directory) and removed at the end; loopback only unless asked.
import { statSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { simdeck, until } from '../helpers/job.js';
import { events, harness, jobFileOf, readOr, startSteered, cleanupJobs } from './helpers.js';

afterEach(cleanupJobs);

const STEPS = 400;

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => done({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** Opens a WebSocket; resolves with the HTTP status it was refused with, or the open socket. */
function openWs(url: string, opts: WebSocket.ClientOptions = {}): Promise<{ refused: number } | { ws: WebSocket; first: Promise<string> }> {
  return new Promise((done, fail) => {
    const ws = new WebSocket(url, opts);
    let resolveFirst: (s: string) => void;
    const first = new Promise<string>((r) => { resolveFirst = r; });
    ws.once('message', (d) => resolveFirst(String(d)));
    ws.once('unexpected-response', (_req, res) => { done({ refused: res.statusCode ?? 0 }); ws.terminate(); });
    ws.once('open', () => done({ ws, first }));
    ws.once('error', (e) => fail(e));
  });
}

/** A random malformed frame (never a valid command). */
function malformed(rng: () => number, i: number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)];
  const junk = () => Array.from({ length: 1 + Math.floor(rng() * 40) }, () => String.fromCharCode(Math.floor(rng() * 0x3000))).join('');
  const cases: (() => string)[] = [
    () => junk(),
    () => JSON.stringify(junk()),
    () => String(Math.floor(rng() * 1e9)),
    () => 'null', () => '[]', () => '{', () => '{"id":1,"command":{"kind":"pause"}',
    () => JSON.stringify({ id: -1 - Math.floor(rng() * 10), command: { kind: 'pause' } }),
    () => JSON.stringify({ id: 1.5, command: { kind: 'stop' } }),
    () => JSON.stringify({ id: i, command: { kind: pick(['Pause', 'STOP', 'exec', 'eval ', '', 'constructor', '__proto__']) } }),
    () => JSON.stringify({ id: i, command: { kind: 'set', name: 'alpha', value: pick([null, [], {}, '1'.repeat(2000)]) } }),
    () => JSON.stringify({ id: i, command: { kind: 'set', name: pick(['nope', '', 'a b', '__proto__', 'x'.repeat(100)]), value: 1 } }),
    () => JSON.stringify({ id: i, command: { kind: 'step', count: pick([0, -3, 1.5, 1e12, '5', null]) } }),
    () => JSON.stringify({ id: i, command: { kind: 'eval', expr: pick(['', '   ', 42, 'x'.repeat(5000)]) } }),
    () => JSON.stringify({ id: i, command: { kind: 'stop', extra: true } }),
    () => JSON.stringify({ id: i, command: { kind: 'pause' }, more: 1 }),
    () => `{"id":${i},"command":{"kind":"set","name":"alpha","value":1e999}}`,
    () => `{"id":${i},"command":{"__proto__":{"kind":"stop"}}}`,
    () => `{"id":${i},"__proto__":{"command":{"kind":"stop"}}}`,
    () => '['.repeat(2000) + ']'.repeat(2000),
    () => JSON.stringify({ id: i, command: [{ kind: 'stop' }] }),
  ];
  return pick(cases)();
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

describe('steering server security (2 ranks)', () => {
  it('refuses what it must, survives 1,000 malformed frames without changing the result, and cleans up', async () => {
    const baseline = simdeck(['run', '-n', '2', harness, String(STEPS), '0'], { SIMDECK_STEER: '' });
    expect(baseline.status, baseline.stderr).toBe(0);
    const expected = /RESULT (\S+)/.exec(baseline.stdout)![1];

    const job = await startSteered(2, STEPS, 15);
    const { port, token, origin } = job;

    // The job file: private, says where the server is.
    const file = jobFileOf(job.runtimeDir)!;
    expect(file).not.toBeNull();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(file, { throwIfNoEntry: true }).isFile()).toBe(true);
    const dirMode = statSync(file.replace(/\/[^/]+$/, '')).mode & 0o777;
    expect(dirMode).toBe(0o700);
    const info = JSON.parse(readOr(file)) as { url: string; token: string; host: string; port: number };
    expect(info).toMatchObject({ token, host: '127.0.0.1', port });
    expect(token).toMatch(/^[0-9a-f]{32}$/);

    // HTTP: no token, wrong token, wrong Host, foreign Origin -> refused; the right token -> the dashboard.
    expect((await get(port, '/')).status).toBe(401);
    expect((await get(port, '/dashboard.js')).status).toBe(401);
    expect((await get(port, `/?token=${'0'.repeat(32)}`)).status).toBe(401);
    expect((await get(port, `/?token=${token.slice(0, 31)}`)).status).toBe(401);
    expect((await get(port, `/?token=${token}`, { Host: `evil.example:${port}` })).status).toBe(403);
    expect((await get(port, `/?token=${token}`, { Origin: 'http://evil.example' })).status).toBe(403);
    const page = await get(port, `/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<meta name="simdeck-token"');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await get(port, '/api/status', { Authorization: `Bearer ${token}` })).status).toBe(200);

    // WebSocket upgrades: no token, wrong token, foreign Origin -> refused with a status; the right ones open.
    expect(await openWs(`ws://127.0.0.1:${port}/ws`)).toEqual({ refused: 401 });
    expect(await openWs(`ws://127.0.0.1:${port}/ws?token=${'f'.repeat(32)}`)).toEqual({ refused: 401 });
    expect(await openWs(job.ws, { origin: 'http://evil.example' })).toEqual({ refused: 403 });
    expect(await openWs(job.ws, { origin: `http://127.0.0.1:${port + 1}` })).toEqual({ refused: 403 });
    const browserLike = await openWs(job.ws, { origin });
    expect('ws' in browserLike).toBe(true);
    if ('ws' in browserLike) {
      expect(JSON.parse(await browserLike.first).type).toBe('hello');
      browserLike.ws.close();
    }

    // An oversized frame closes that connection (1009), and only that one.
    const big = await openWs(job.ws);
    if (!('ws' in big)) throw new Error('refused');
    const closed = new Promise<number>((r) => big.ws.once('close', (code) => r(code)));
    big.ws.send(JSON.stringify({ id: 1, command: { kind: 'eval', expr: 'x'.repeat(20_000) } }));
    expect(await closed).toBe(1009);

    // A client that stops reading its socket (a frozen browser tab) never holds the job up.
    const stalled = await openWs(job.ws);
    if (!('ws' in stalled)) throw new Error('refused');
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();

    // 1,000 malformed frames (and a binary one): an error reply for each; nothing reaches the loop.
    const fuzz = await openWs(job.ws);
    if (!('ws' in fuzz)) throw new Error('refused');
    let errors = 0;
    let replies = 0;
    fuzz.ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { type: string };
      if (m.type === 'error') errors++;
      if (m.type === 'reply') replies++;
    });
    const rng = lcg(12345);
    for (let i = 0; i < 1000; i++) fuzz.ws.send(malformed(rng, i));
    fuzz.ws.send(Buffer.from([1, 2, 3]));
    expect(await until(() => errors >= 1001, 30_000)).toBe(true);
    expect(errors).toBe(1001);
    expect(replies).toBe(0);
    fuzz.ws.close();

    const end = await job.exited;
    stalled.ws.terminate();
    expect(end.code, job.out.stderr).toBe(0);
    expect(events(job.out.stdout, 'APPLIED')).toEqual([]);
    expect(events(job.out.stdout, 'STOPPED')).toEqual([]);
    expect(/RESULT (\S+)/.exec(job.out.stdout)![1]).toBe(expected);
    expect(readOr(file)).toBe(''); // removed at the end
  }, 400_000);

  it('binds loopback only: a non-loopback address is refused without --steer-host, served with it', async () => {
    const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    // The deck asking for 0.0.0.0 without the opt-in fails with the reason (ArgumentError from openSteeringLink).
    const { openSteeringLink } = await import('../../dist/src/steer/server/open.js');
    await expect(openSteeringLink({ params: [], host: '0.0.0.0', allowRemote: false })).rejects.toThrow(/only loopback addresses unless asked.*--steer-host/);
    await expect(openSteeringLink({ params: [], host: '192.0.2.1', allowRemote: false })).rejects.toThrow(/not loopback/);

    const local = await startSteered(1, 150, 10);
    if (external !== undefined) {
      // The default server is not reachable on the machine's other address.
      const err = await new Promise<string>((done) => {
        const s = connect(local.port, external);
        s.once('connect', () => { s.destroy(); done('connected'); });
        s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
      });
      expect(err).toBe('ECONNREFUSED');
    } else {
      console.warn('no non-loopback IPv4 address on this machine: only the bound address is checked');
    }
    expect(JSON.parse(readOr(jobFileOf(local.runtimeDir)!)).host).toBe('127.0.0.1');
    local.child.kill('SIGTERM');
    await local.exited;

    // With the explicit opt-in (simdeck run --steer-host 0.0.0.0) it listens everywhere.
    const open = await startSteered(1, 150, 10, {}, ['--steer-host', '0.0.0.0']);
    expect(JSON.parse(readOr(jobFileOf(open.runtimeDir)!)).host).toBe('0.0.0.0');
    if (external !== undefined) {
      const r = await new Promise<number>((done, fail) => {
        const req = request({ host: external, port: open.port, path: `/api/status?token=${open.token}` }, (res) => { res.resume(); done(res.statusCode ?? 0); });
        req.on('error', fail);
        req.end();
      });
      expect(r).toBe(200);
    }
    open.child.kill('SIGTERM');
    await open.exited;
  }, 300_000);
});
