// A real WebSocket client of the steering server for the steer benchmark (a process of its own,
// started by rank 0 of test/bench/decks/steer.ts; it runs at nice 19). Writes FILE.ready once the server's hello
// arrived, and its results to FILE when done:
//   node client.mjs stream URL FILE          receive status (the server streams it at 10 Hz) until
//                                            SIGTERM; FILE: {"frames":n,"seconds":s}
//   node client.mjs latency URL FILE N       send `set a=1..N` one at a time (3-5 ms apart after each
//                                            reply), then `stop`; FILE: {"sends":[epoch ms, ...]}
//   node client.mjs pause URL FILE MS        after 300 ms send `pause`, wait MS, send `stop`
import { renameSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import WebSocket from 'ws';

// nice 19: a dashboard normally runs on another machine; here it must not take the ranks' cores
setPriority(19);

const [mode, url, file, arg] = process.argv.slice(2);
const ws = new WebSocket(url, 'simdeck-attach', { perMessageDeflate: false });
const epoch = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let frames = 0;
let first = 0;
let nextId = 1;
const waiting = new Map();

/** Writes the result file whole (under a temporary name, then renamed: the deck waits for the name). */
function result(value) {
  writeFileSync(`${file}.tmp`, JSON.stringify(value) + '\n');
  renameSync(`${file}.tmp`, file);
}

function request(command) {
  const id = nextId++;
  return new Promise((done) => { waiting.set(id, done); ws.send(JSON.stringify({ id, command })); });
}

ws.on('message', (d) => {
  const m = JSON.parse(String(d));
  if (m.type === 'hello') { first = epoch(); writeFileSync(`${file}.ready`, 'connected\n'); void run(); }
  if (m.type === 'status') frames++;
  if (m.type === 'reply' || m.type === 'error') {
    const id = m.type === 'reply' ? m.reply.id : m.id;
    const done = waiting.get(id);
    waiting.delete(id);
    if (m.type === 'error' || !m.reply.ok) { process.stderr.write(`client: refused: ${d}\n`); process.exit(1); }
    done?.(m.reply);
  }
});
ws.on('error', (e) => { process.stderr.write(`client: ${e.message}\n`); process.exit(1); });
ws.on('close', () => { if (mode !== 'stream') process.exit(0); });

process.on('SIGTERM', () => {
  result({ frames, seconds: (epoch() - first) / 1000 });
  process.exit(0);
});

async function run() {
  if (mode === 'latency') {
    const sends = [];
    for (let i = 1; i <= Number(arg); i++) {
      await sleep(3 + 2 * Math.random());
      sends.push(epoch());
      await request({ kind: 'set', name: 'a', value: i });
    }
    result({ sends });
    await request({ kind: 'stop' });
  } else if (mode === 'pause') {
    await sleep(300);
    await request({ kind: 'pause' });
    await sleep(Number(arg));
    result({ paused: Number(arg) });
    await request({ kind: 'stop' });
  }
}
