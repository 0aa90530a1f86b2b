/**
 * The steering server's access rules, kept in one place so they can be read and tested:
 * a random 128-bit token on every request, loopback-only unless asked, the Host header of a
 * loopback server must name a loopback address (no DNS rebinding), and a browser's Origin
 * must be the server's own.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** A fresh token: 128 random bits as 32 hex digits. */
export function newToken(): string {
  return randomBytes(16).toString('hex');
}

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and "localhost". */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The token a request carries: `?token=` in the URL, or `Authorization: Bearer <token>`. */
export function tokenOf(req: IncomingMessage, url: URL): string | null {
  const q = url.searchParams.get('token');
  if (q !== null) return q;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  return null;
}

/** Constant-time comparison of a presented token with the job's. */
export function tokenMatches(presented: string | null, token: string): boolean {
  if (presented === null || presented.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(presented), Buffer.from(token));
}

/**
 * Why a request may not be served (null when it may): Host and Origin checks. A loopback server
 * answers only to Host names that are loopback with its own port; an Origin, when a browser sends
 * one, must be this server's own (`http://` + the Host the request named).
 */
export function refusal(req: IncomingMessage, port: number, remote: boolean): string | null {
  const host = req.headers.host;
  if (typeof host !== 'string' || host === '') return 'missing Host header';
  if (!remote) {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
    if (m === null || !isLoopback(m[1]) || Number(m[2] ?? 80) !== port) return `Host ${JSON.stringify(host.slice(0, 80))} is not this loopback server`;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return `Origin ${JSON.stringify(String(origin).slice(0, 80))} is not this server's`;
  return null;
}
