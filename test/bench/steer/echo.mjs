// The floor for a command's round trip: a bare ws echo server on loopback (prints its port).
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
wss.on('listening', () => process.stdout.write(`PORT ${wss.address().port}\n`));
