// A stand-in step loop for the steering-server benchmark (one process, rank 0's view):
//   node loop.mjs off|idle|client empty|stencil STEPS     time STEPS steps; prints {"nsPerStep":..}
//   node loop.mjs serve-running|serve-paused                answer every request at once until 'stop'
//   node loop.mjs paused-idle                               CPU used by a paused loop over 3 s
// With steering, each step polls the link and publishes a status (latest-wins). In `client` mode it
// prints the WebSocket URL and waits for "go" on stdin (the benchmark connects a client first).
import { readSync } from 'node:fs';
import { openSteeringLink } from '../../../dist/src/steer/server/open.js';

const [mode, work, stepsArg] = process.argv.slice(2);
const N = 512;
let u = new Float64Array(N * N).map((_, i) => (i * 7919) % 13);
let v = new Float64Array(N * N);
function stencil() {
  for (let j = 1; j < N - 1; j++) {
    const r = j * N;
    for (let i = 1; i < N - 1; i++) v[r + i] = u[r + i] + 0.1 * (u[r + i - 1] + u[r + i + 1] + u[r + i - N] + u[r + i + N] - 4 * u[r + i]);
  }
  [u, v] = [v, u];
}
let sink = 0;
const step = work === 'stencil' ? stencil : () => { sink += 1; };
// One status object, updated in place each step (publishStatus copies it when it hands it over).
const current = {
  step: 0, time: 0, dt: 1e-3, wall: 0, stepsPerSecond: 0, eta: null, state: 'running', params: { alpha: 0.1, source: 1 },
  timers: [{ name: 'step', calls: 0, min: 1e-6, mean: 1e-6, max: 1e-6 }, { name: 'halo', calls: 0, min: 1e-6, mean: 1e-6, max: 1e-6 }],
};
const status = (s, state = 'running') => {
  current.step = s;
  current.time = s * 1e-3;
  current.state = state;
  return current;
};
const link = mode === 'off' ? null : await openSteeringLink({ params: [{ name: 'alpha', type: 'number', value: 0.1, min: 0, max: 1 }] });

if (mode === 'paused-idle') {
  // A paused loop with nobody talking to it: how much CPU does waiting cost (over 3 s)?
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  while (Date.now() - t0 < 3000) link.waitForCommands(1000);
  const cpu = process.cpuUsage(cpu0);
  link.close();
  process.stdout.write(JSON.stringify({ cpuFraction: (cpu.user + cpu.system) / 1e3 / (Date.now() - t0) }) + '\n');
  process.exit(0);
}

if (mode.startsWith('serve')) {
  process.stdout.write(`URL ${link.url.replace('http://', 'ws://').replace('/?token', '/ws?token')}\n`);
  let s = 0;
  for (let stopped = false; !stopped;) {
    const got = mode === 'serve-paused' ? link.waitForCommands(1000) : link.poll();
    for (const r of got) {
      link.reply({ id: r.id, ok: true, seq: r.id, step: s, time: s });
      if (r.command.kind === 'stop') stopped = true;
    }
    step();
    link.publishStatus(status(++s, mode === 'serve-paused' ? 'paused' : 'running'));
  }
  link.close();
  process.exit(0);
}

if (mode === 'client') {
  process.stdout.write(`URL ${link.url.replace('http://', 'ws://').replace('/?token', '/ws?token')}\n`);
  const buf = Buffer.alloc(16);
  readSync(0, buf); // "go"
}
const steps = Number(stepsArg);
for (let s = 0; s < Math.min(steps / 10, 1000); s++) { step(); if (link) { link.poll(); link.publishStatus(status(s)); } } // warm up
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
if (link === null) {
  for (let s = 0; s < steps; s++) step();
} else {
  for (let s = 0; s < steps; s++) {
    step();
    const got = link.poll();
    for (const r of got) link.reply({ id: r.id, ok: true, seq: 0, step: s, time: s });
    link.publishStatus(status(s));
  }
}
const wallNs = Number(process.hrtime.bigint() - t0);
const cpu = process.cpuUsage(cpu0);
link?.close();
// CPU time of the whole process (main thread + the server's thread) per step: less at the mercy of
// other processes on a shared machine than wall time, and it counts the server thread's work.
const cpuNsPerStep = ((cpu.user + cpu.system) * 1e3) / steps;
process.stdout.write(JSON.stringify({ nsPerStep: wallNs / steps, cpuNsPerStep, sink: sink > 0 }) + '\n');
process.exit(0);
