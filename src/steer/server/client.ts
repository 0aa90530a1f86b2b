/**
 * A Node client of a job's steering server (what `simdeck attach` uses; tests and benchmarks
 * too): connects with the job's token, sends commands and resolves each with the loop's reply,
 * and keeps the latest status, parameter schema and hello. ws is loaded when a client connects.
 */
import type { WebSocket } from 'ws';
import type { ParamDescription, SteerCommand, SteerReply, SteerStatus } from '../link.js';
import { SteeringServerError } from './errors.js';

/** What the server said first. */
export interface Hello {
  title: string;
  params: ParamDescription[];
  status: SteerStatus | null;
}

/** A connected client (see the module comment). */
export class SteeringClient {
  /** The latest status the server sent (null before the first). */
  status: SteerStatus | null = null;
  params: ParamDescription[] = [];
  title = '';
  /** Called with every status frame. */
  onStatus: ((s: SteerStatus) => void) | null = null;
  /** Called when the connection ends (code 1001: the job finished). */
  onClose: ((code: number, reason: string) => void) | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { done: (r: SteerReply) => void }>();

  private constructor(private readonly ws: WebSocket) {}

  /**
   * Connects to `wsUrl` (ws://host:port/ws?token=...) and resolves once the server's hello
   * arrived. Throws SteeringServerError when the server refuses or cannot be reached.
   */
  static async connect(wsUrl: string, timeoutMs = 10_000): Promise<SteeringClient> {
    const { default: WebSocketClass } = await import('ws');
    const ws = new WebSocketClass(wsUrl, 'simdeck-attach', { handshakeTimeout: timeoutMs, perMessageDeflate: false });
    const client = new SteeringClient(ws);
    await new Promise<void>((ready, fail) => {
      const failed = (why: string) => fail(new SteeringServerError(`cannot attach to ${wsUrl.replace(/token=[^&]+/, 'token=…')}: ${why}`));
      ws.once('unexpected-response', (_req, res) => failed(`the server answered ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
      ws.once('error', (e) => failed(e.message));
      ws.on('message', (data) => {
        const first = client.receive(String(data));
        if (first) ready();
      });
    });
    ws.on('error', () => { /* reported by close */ });
    ws.on('close', (code, reason) => {
      for (const w of client.waiting.values()) w.done({ id: -1, ok: false, error: code === 1001 ? 'the job finished' : `connection closed (${code})` });
      client.waiting.clear();
      client.onClose?.(code, reason.toString());
    });
    return client;
  }

  /** Handles one frame; returns true for the hello. */
  private receive(text: string): boolean {
    let m: { type?: string; [k: string]: unknown };
    try { m = JSON.parse(text) as typeof m; } catch { return false; }
    switch (m.type) {
      case 'hello':
        this.title = String(m.title ?? '');
        this.params = (m.params as ParamDescription[]) ?? [];
        this.status = (m.status as SteerStatus | null) ?? null;
        return true;
      case 'status':
        this.status = m.status as SteerStatus;
        this.onStatus?.(this.status);
        return false;
      case 'params':
        this.params = m.params as ParamDescription[];
        return false;
      case 'reply': {
        const r = m.reply as SteerReply;
        this.settle(r.id, r);
        return false;
      }
      case 'error': {
        const id = typeof m.id === 'number' ? m.id : null;
        if (id !== null) this.settle(id, { id, ok: false, error: String(m.error) });
        return false;
      }
      default:
        return false;
    }
  }

  private settle(id: number, reply: SteerReply): void {
    const w = this.waiting.get(id);
    if (w === undefined) return;
    this.waiting.delete(id);
    w.done(reply);
  }

  /**
   * The next status the server sends (the loop sends one within about 0.1 s of a client connecting),
   * or the latest known one after `timeoutMs` (a loop busy in a long step, or paused). Never rejects.
   */
  freshStatus(timeoutMs = 1000): Promise<SteerStatus | null> {
    return new Promise((done) => {
      const previous = this.onStatus;
      const finish = () => { clearTimeout(timer); this.onStatus = previous; done(this.status); };
      const timer = setTimeout(finish, timeoutMs);
      this.onStatus = (s) => { previous?.(s); finish(); };
    });
  }

  /** Sends a command; resolves with the loop's reply (or the server's refusal as `ok: false`). Never rejects. */
  request(command: SteerCommand): Promise<SteerReply> {
    const id = this.nextId++;
    return new Promise((done) => {
      if (this.ws.readyState !== 1) return done({ id, ok: false, error: 'not connected' });
      this.waiting.set(id, { done });
      this.ws.send(JSON.stringify({ id, command }));
    });
  }

  /** Sends raw text as a frame (tests of hostile input). */
  sendRaw(text: string | Buffer): void {
    this.ws.send(text);
  }

  /** Closes the connection. */
  close(): void {
    this.ws.close(1000);
  }
}
