// The steering server's costs, side by side in one run (rounds interleaved, medians):
//  1. per step of a loop on rank 0 with steering off, on with no client, and on with a client that
//     receives status at 10 Hz — on an empty step and on a 512x512 five-point stencil step in JS;
//  2. the latency from a command sent by a client to the loop's reply, with the loop running
//     (picked up at the next step boundary by poll) and paused (woken from waitForCommands),
//     against the floor: a bare ws echo on loopback;
//  3. the CPU a paused loop uses (waitForCommands with the server running, no client).
//   npx tsc -p . && node test/bench/run.mjs steer-server      (BENCH_ROUNDS to change)
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { fmt, markdownTable, median } from './peers.mjs';

const here = join(import.meta.dirname, 'steer');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const log = (...a) => console.error(...a);

/** Starts a node script; resolves to the child and an async line reader. */
function start(script, args) {
  const child = spawn(process.execPath, [join(here, script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { child, next: async () => (await lines.next()).value ?? '' };
}

async function loopRun(mode, work, steps) {
  const p = start('loop.mjs', [mode, work, String(steps)]);
  let client = null;
  if (mode === 'client') {
    const url = (await p.next()).replace(/^URL /, '');
    client = start('client.mjs', [url]);
    if ((await client.next()) !== 'connected') throw new Error('client did not connect');
    p.child.stdin.write('go\n');
  }
  const result = JSON.parse(await p.next());
  if (client) {
    const m = /FRAMES (\d+) SECONDS ([\d.]+)/.exec(await client.next());
    result.hz = m ? Number(m[1]) / Math.max(Number(m[2]), 1e-3) : null;
  }
  return result;
}

/** Sequential round trips of `count` requests over one WebSocket; returns the times in µs. */
async function roundTrips(url, count, frame) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((ok, fail) => { ws.once('open', ok); ws.once('error', fail); });
  const times = [];
  let waiting = null;
  ws.on('message', (d) => { const m = JSON.parse(String(d)); if (m.type === 'reply' || m.echo) waiting?.(); });
  for (let i = 0; i < count + 20; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise((r) => { waiting = r; ws.send(frame(i + 1)); });
    if (i >= 20) times.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  ws.close();
  return times;
}

async function latency(mode, count) {
  const p = start('loop.mjs', [mode]);
  const url = (await p.next()).replace(/^URL /, '');
  const times = await roundTrips(url, count, (id) => JSON.stringify({ id, command: { kind: 'checkpoint' } }));
  const ws = new WebSocket(url);
  await new Promise((ok) => ws.once('open', ok));
  ws.send(JSON.stringify({ id: 1, command: { kind: 'stop' } }));
  await new Promise((ok) => p.child.once('exit', ok));
  return times;
}

async function echoLatency(count) {
  const p = start('echo.mjs', []);
  const port = (await p.next()).replace(/^PORT /, '');
  const times = await roundTrips(`ws://127.0.0.1:${port}`, count, (id) => JSON.stringify({ echo: id, command: { kind: 'checkpoint' } }));
  p.child.kill();
  return times;
}

const modes = ['off', 'idle', 'client'];
const works = { empty: 2_000_000, stencil: 600 };
const per = {};
const cpu = {};
const pausedCpu = [];
const hz = [];
const lat = { running: [], paused: [], echo: [] };
for (let round = 0; round < ROUNDS; round++) {
  log(`steer-server round ${round + 1}/${ROUNDS}`);
  for (const [work, steps] of Object.entries(works)) {
    for (const mode of modes) {
      const r = await loopRun(mode, work, steps);
      (per[`${work}/${mode}`] ??= []).push(r.nsPerStep);
      (cpu[`${work}/${mode}`] ??= []).push(r.cpuNsPerStep);
      if (r.hz) hz.push(r.hz);
    }
  }
  lat.echo.push(...await echoLatency(100));
  lat.running.push(...await latency('serve-running', 100));
  lat.paused.push(...await latency('serve-paused', 100));
  const idle = start('loop.mjs', ['paused-idle']);
  pausedCpu.push(JSON.parse(await idle.next()).cpuFraction);
}

const m = (k) => median(per[k]);
const c = (k) => median(cpu[k]);
const rows = [];
for (const work of Object.keys(works)) {
  const off = c(`${work}/off`);
  const unit = work === 'empty' ? (ns) => `${fmt(ns)} ns` : (ns) => `${fmt(ns / 1e3)} µs`;
  for (const mode of modes) {
    const extra = c(`${work}/${mode}`) - off;
    rows.push([work === 'empty' ? 'empty step' : 'stencil 512² (JS)', mode === 'off' ? 'steering off' : mode === 'idle' ? 'on, no client' : 'on, client at 10 Hz',
      unit(m(`${work}/${mode}`)), unit(c(`${work}/${mode}`)), mode === 'off' ? '—' : unit(extra), mode === 'off' ? '—' : `${fmt((100 * extra) / off)}%`]);
  }
}
const q = (xs, f) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(f * s.length))]; };
console.log(`Rank 0's loop with the steering link (one process; ${ROUNDS} interleaved rounds, medians). ` +
  'With steering, every step polls the link and publishes its status object (updated in place) (latest-wins: handed to the server only when it asked, ~10 Hz with a client). ' +
  `The client received ${fmt(median(hz))} status frames/s. Timings on this shared 2-core VM are noisy; compare within the table.\n`);
console.log(markdownTable(['step', 'steering', 'wall per step', 'CPU per step', 'extra CPU per step', 'extra'], rows));
console.log('\n"CPU per step" is the CPU time of the loop\'s whole process (its main thread and the server\'s thread) per step; ' +
  'it counts what the server thread does for the loop and is less at the mercy of other processes than wall time. "Extra" is against steering off.');
console.log('\nA command\'s round trip from a WebSocket client to the loop\'s reply (100 sequential `checkpoint` requests per round), against a bare `ws` echo on loopback:\n');
console.log(markdownTable(['path', 'median', '90th percentile', 'vs echo'], [
  ['bare ws echo (the floor)', `${fmt(median(lat.echo))} µs`, `${fmt(q(lat.echo, 0.9))} µs`, '1.00x'],
  ['loop running (poll at each step)', `${fmt(median(lat.running))} µs`, `${fmt(q(lat.running, 0.9))} µs`, `${fmt(median(lat.running) / median(lat.echo))}x`],
  ['loop paused (woken from waitForCommands)', `${fmt(median(lat.paused))} µs`, `${fmt(q(lat.paused, 0.9))} µs`, `${fmt(median(lat.paused) / median(lat.echo))}x`],
]));
console.log(`\nWhile paused (waitForCommands(1000) in a loop, server running, no client), the process used ${fmt(100 * median(pausedCpu))}% of a core ` +
  '(median over the rounds; the 2-rank job test measures whole paused jobs the same way from /proc).');
