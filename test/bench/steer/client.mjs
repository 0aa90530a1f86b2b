// A dashboard-like client for the steering-server benchmark: connects to the WebSocket URL given,
// prints "connected", counts status frames until the server closes, then prints "FRAMES n SECONDS s".
import WebSocket from 'ws';

const ws = new WebSocket(process.argv[2]);
let frames = 0;
let first = 0;
ws.on('message', (d) => {
  const m = JSON.parse(String(d));
  if (m.type === 'hello') { process.stdout.write('connected\n'); first = Date.now(); }
  if (m.type === 'status') frames++;
});
ws.on('close', () => { process.stdout.write(`FRAMES ${frames} SECONDS ${(Date.now() - first) / 1000}\n`); process.exit(0); });
ws.on('error', (e) => { process.stderr.write(`client: ${e.message}\n`); process.exit(1); });
