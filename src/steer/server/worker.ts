/**
 * The steering server's thread (started by openSteeringLink on rank 0): an HTTP server for the
 * dashboard's static files and the latest plot frames, and a WebSocket endpoint for commands and
 * live status. Every HTTP request and WebSocket upgrade must carry the job's token and pass the
 * Host/Origin checks (security.ts); every frame is size-limited and checked (protocol.ts); a bad
 * frame gets an error reply and never reaches the loop. Requests go to the main thread over a
 * MessagePort plus a doorbell word it can test and sleep on; status comes back latest-wins and
 * is sent to each client only while that client keeps up (a slow client skips frames). The thread
 * has no timer: it wakes for a request, a status or a reply to send, a plot or metrics panel.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { BroadcastChannel, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ParamDescription, SteerCommand, SteerReply, SteerRequest, SteerStatus } from '../link.js';
import { METRICS_CHANNEL, PLOT_CHANNEL } from '../publish.js';
import { checkFrame, MAX_FRAME_BYTES } from './protocol.js';
import { refusal, tokenMatches, tokenOf } from './security.js';
import { W, type ToWorker, type WorkerConfig, type WorkerStarted } from './shared.js';

/** Requests one client may have waiting for the loop's reply. */
const MAX_PENDING_PER_CLIENT = 64;
/** Status frames are not sent to a client with more than this many bytes still unsent. */
const SLOW_CLIENT_BYTES = 256 * 1024;
/** Live plots and metric panels kept (latest of each). */
const MAX_PLOTS = 32;
const MAX_PANELS = 32;
const MAX_PNG_BYTES = 32 * 2 ** 20;
const MAX_CLIENTS = 64;
/** Replies a client has left unread before it is disconnected. */
const MAX_UNREAD_BYTES = 8 * 2 ** 20;

interface Client {
  ws: WebSocket;
  /** Server request id -> the client's own id, for requests still waiting for the loop. */
  pending: Map<number, number>;
  statusSent: number;
}

const config = workerData as WorkerConfig;
const words = new Int32Array(config.shared);
const port: MessagePort = config.port2;
const clients = new Set<Client>();
const waiting = new Map<number, Client>();
let nextRequest = 1;
let params: ParamDescription[] = config.params;
/**
 * Whether the deck declared its parameters (given at open, or announced by a Simulation). The
 * server opened at start-up knows none until the deck constructs its Simulation: commands that
 * arrive before then wait here, in order, and go to the loop once the schema is known. The same
 * holds between two Simulations of a deck: once a loop has finished, commands wait for the next.
 */
let declared = config.params.length > 0;
const held: { client: Client; serverId: number; command: SteerCommand }[] = [];
let status: SteerStatus | null = null;
let statusFrame = '';
let statusVersion = 0;
let closing = false;
const plots = new Map<string, { step: number; time: number; png: Buffer; version: number }>();
const panels = new Map<string, Record<string, number | string>>();
let plotVersion = 0;

function readStatic(name: string): Buffer {
  return readFileSync(join(config.staticDir, name));
}
const files: Record<string, { type: string; body: Buffer }> = {
  '/': { type: 'text/html; charset=utf-8', body: Buffer.from(readStatic('index.html').toString('utf8').replaceAll('__TOKEN__', config.token).replaceAll('__TITLE__', escapeHtml(config.title))) },
  '/dashboard.js': { type: 'text/javascript; charset=utf-8', body: readStatic('dashboard.js') },
  '/dashboard.css': { type: 'text/css; charset=utf-8', body: readStatic('dashboard.css') },
  '/favicon.svg': { type: 'image/svg+xml', body: readStatic('favicon.svg') },
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(client: Client, message: unknown): void {
  if (client.ws.readyState !== 1) return;
  // A client that floods us with frames but never reads the answers is cut off rather than buffered without end.
  if (client.ws.bufferedAmount > MAX_UNREAD_BYTES) { client.ws.terminate(); return; }
  client.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
}

function plotMessage(name: string): unknown {
  const p = plots.get(name)!;
  return { type: 'plot', name, step: p.step, time: p.time, src: `/plots/${encodeURIComponent(name)}?token=${config.token}&v=${p.version}` };
}

function headers(type: string): Record<string, string> {
  return {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  };
}

function deny(res: ServerResponse, code: number, why: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${why}\n`);
}

function handle(req: IncomingMessage, res: ServerResponse, boundPort: number): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const refused = refusal(req, boundPort, config.remote);
  if (refused !== null) return deny(res, 403, `forbidden: ${refused}`);
  if (!tokenMatches(tokenOf(req, url), config.token)) return deny(res, 401, 'unauthorized: this job needs its token (see the URL it printed, or `simdeck attach`)');
  if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'method not allowed');
  const file = files[url.pathname];
  if (file !== undefined) {
    res.writeHead(200, headers(file.type));
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return;
  }
  if (url.pathname === '/api/status') {
    res.writeHead(200, headers('application/json'));
    res.end(JSON.stringify({ status, params }));
    return;
  }
  if (url.pathname.startsWith('/plots/')) {
    let name: string;
    try { name = decodeURIComponent(url.pathname.slice(7)); } catch { return deny(res, 400, 'bad plot name'); }
    const p = plots.get(name);
    if (p === undefined) return deny(res, 404, 'no such plot');
    res.writeHead(200, headers('image/png'));
    res.end(req.method === 'HEAD' ? undefined : p.png);
    return;
  }
  deny(res, 404, 'not found');
}

function refuseUpgrade(socket: Duplex, code: number, text: string): void {
  socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${text}\n`);
  socket.destroy();
}

function onFrame(client: Client, data: Buffer, isBinary: boolean): void {
  if (closing) return send(client, { type: 'error', id: null, error: 'the job is finishing' });
  if (isBinary) return send(client, { type: 'error', id: null, error: 'binary frames are not accepted; send JSON text' });
  const check = checkFrame(data.toString('utf8'));
  if (!check.ok) return send(client, { type: 'error', id: check.id, error: check.error });
  const { id, command } = check.frame;
  if (client.pending.size >= MAX_PENDING_PER_CLIENT) {
    return send(client, { type: 'error', id, error: `too many requests waiting (${MAX_PENDING_PER_CLIENT}); wait for replies` });
  }
  const serverId = nextRequest++;
  client.pending.set(serverId, id);
  waiting.set(serverId, client);
  if (!declared) held.push({ client, serverId, command });
  else forward(client, serverId, command);
}

/** Refuses a `set` of an undeclared parameter, or hands the command to the loop (rings the doorbell). */
function forward(client: Client, serverId: number, command: SteerCommand): void {
  if (command.kind === 'set' && !params.some((p) => p.name === command.name)) {
    const names = params.map((p) => p.name).join(', ') || 'none';
    const id = client.pending.get(serverId);
    client.pending.delete(serverId);
    waiting.delete(serverId);
    return send(client, { type: 'error', id, error: `no steerable parameter ${JSON.stringify(command.name)} (this job has: ${names})` });
  }
  const request: SteerRequest = { id: serverId, source: client.ws.protocol === 'simdeck-attach' ? 'attach' : 'browser', command };
  port.postMessage(request);
  Atomics.add(words, W.REQUESTS, 1);
  Atomics.add(words, W.DOORBELL, 1);
  Atomics.notify(words, W.DOORBELL);
}

/** The deck declared its parameters: tells the clients, then hands over the commands that waited for it. */
function onAnnounce(declaredParams: ParamDescription[]): void {
  params = declaredParams;
  declared = true;
  broadcast({ type: 'params', params });
  for (const h of held.splice(0)) if (waiting.get(h.serverId) === h.client) forward(h.client, h.serverId, h.command);
}

function onReply(reply: SteerReply): void {
  const client = waiting.get(reply.id);
  if (client === undefined) return;
  waiting.delete(reply.id);
  const own = client.pending.get(reply.id)!;
  client.pending.delete(reply.id);
  send(client, { type: 'reply', reply: { ...reply, id: own } });
}

function fanOutStatus(): void {
  if (statusVersion === 0) return;
  for (const c of clients) {
    if (c.statusSent < statusVersion && c.ws.readyState === 1 && c.ws.bufferedAmount < SLOW_CLIENT_BYTES) {
      c.ws.send(statusFrame);
      c.statusSent = statusVersion;
    }
  }
}

function onStatus(s: SteerStatus): void {
  status = s;
  // The loop has ended: commands wait again until the deck's next Simulation declares its parameters.
  if (s.state === 'finished') declared = false;
  statusFrame = JSON.stringify({ type: 'status', status: s });
  statusVersion++;
  fanOutStatus();
}

function broadcast(message: unknown): void {
  const text = JSON.stringify(message);
  for (const c of clients) send(c, text);
}

function listenChannels(): BroadcastChannel[] {
  const plotChannel = new BroadcastChannel(PLOT_CHANNEL);
  plotChannel.onmessage = (e: unknown) => {
    const f = (e as { data: unknown }).data as { name?: unknown; step?: unknown; time?: unknown; png?: unknown };
    if (typeof f !== 'object' || f === null || typeof f.name !== 'string' || f.name === '' || f.name.length > 64 || !(f.png instanceof Uint8Array) || f.png.byteLength > MAX_PNG_BYTES) return;
    if (!plots.has(f.name) && plots.size >= MAX_PLOTS) return;
    plots.set(f.name, { step: Number(f.step) || 0, time: Number(f.time) || 0, png: Buffer.from(f.png.buffer, f.png.byteOffset, f.png.byteLength), version: ++plotVersion });
    broadcast(plotMessage(f.name));
  };
  const metricsChannel = new BroadcastChannel(METRICS_CHANNEL);
  metricsChannel.onmessage = (e: unknown) => {
    const m = (e as { data: unknown }).data as { panel?: unknown; values?: unknown };
    if (typeof m !== 'object' || m === null || typeof m.panel !== 'string' || m.panel === '' || m.panel.length > 64) return;
    if (typeof m.values !== 'object' || m.values === null) return;
    if (!panels.has(m.panel) && panels.size >= MAX_PANELS) return;
    const values: Record<string, number | string> = {};
    for (const [k, v] of Object.entries(m.values).slice(0, 64)) if (typeof v === 'number' || typeof v === 'string') values[k.slice(0, 64)] = typeof v === 'string' ? v.slice(0, 256) : v;
    panels.set(m.panel, values);
    broadcast({ type: 'metrics', panel: m.panel, values });
  };
  return [plotChannel, metricsChannel];
}

async function start(): Promise<void> {
  const { WebSocketServer } = await import('ws');
  const wss: WebSocketServer = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
  const server = createServer((req, res) => handle(req, res, boundPort));
  let boundPort = 0;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refused = refusal(req, boundPort, config.remote);
    if (refused !== null) return refuseUpgrade(socket, 403, 'Forbidden');
    if (!tokenMatches(tokenOf(req, url), config.token)) return refuseUpgrade(socket, 401, 'Unauthorized');
    if (url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'Not Found');
    if (closing || clients.size >= MAX_CLIENTS) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = { ws, pending: new Map(), statusSent: statusVersion };
      clients.add(client);
      Atomics.store(words, W.CLIENTS, clients.size);
      send(client, {
        type: 'hello', title: config.title, params, status,
        plots: [...plots.keys()].map(plotMessage), metrics: [...panels].map(([panel, values]) => ({ panel, values })),
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => onFrame(client, data, isBinary));
      ws.on('error', () => ws.terminate());
      ws.on('close', () => {
        clients.delete(client);
        for (const id of client.pending.keys()) waiting.delete(id);
        Atomics.store(words, W.CLIENTS, clients.size); // none left: the loop stops building statuses
      });
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(config.port, config.host, () => { server.off('error', fail); done(); });
  });
  const address = server.address() as { address: string; port: number };
  boundPort = address.port;
  const channels = listenChannels();

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'status': Atomics.add(words, W.STATUS_TAKEN, 1); onStatus(m.status); break;
      case 'reply': onReply(m.reply); break;
      case 'announce': onAnnounce(m.params); break;
      case 'close': {
        closing = true;
        for (const c of channels) c.close();
        fanOutStatus();
        const open = [...clients].map((c) => new Promise<void>((done) => { c.ws.once('close', () => done()); c.ws.close(1001, 'job finished'); }));
        server.close();
        const finished = () => { Atomics.store(words, W.CLOSED, 1); Atomics.notify(words, W.CLOSED); };
        void Promise.race([Promise.all(open), new Promise((r) => setTimeout(r, 300))]).then(finished);
        break;
      }
    }
  });
  const started: WorkerStarted = { ok: true, host: address.address, port: address.port };
  parentPort!.postMessage(started);
}

start().catch((e: unknown) => {
  const failed: WorkerStarted = { ok: false, error: (e as Error).message };
  parentPort!.postMessage(failed);
});
