// What the launcher keeps between jobs for a faster start: V8's code cache of a rank bundle
// (ranks compile the bundle from it), and, for a deck whose bundle cannot reach TLS, ranks that
// start without NODE_EXTRA_CA_CERTS (Node 20 parses that file at every process start) but give
// it back to the deck and the programs it starts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeIfAvailable } from '../helpers/needs.js';
import { linesOf, root, simdeck, startSimdeck } from '../helpers/job.js';

const decks = join(root, 'test', 'decks', 'startup');

/** The JSON line each rank printed, by rank. */
function reports(stdout: string, n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, k) => JSON.parse(linesOf(stdout, k)[0] ?? 'null') as Record<string, unknown>);
}

describe('V8 code cache of rank bundles', () => {
  it('is made on the first run and used by the next (imports of packages left on disk still work); a deck with an import() of its own gets none', () => {
    const cache = mkdtempSync(join(tmpdir(), 'simdeck-test-cache-'));
    const codeCaches = () => readdirSync(join(cache, 'bundles')).filter((n) => n.endsWith('.v8'));
    const run = (deck: string) => simdeck(['run', '-n', '2', join(decks, deck)], { SIMDECK_CACHE_DIR: cache });
    try {
      const first = run('lazy.ts');
      expect(first.stderr).toBe('');
      expect(reports(first.stdout, 2)).toEqual([{ rank: 0, ws: 'function' }, { rank: 1, ws: 'function' }]);
      expect(codeCaches()).toHaveLength(1);
      const file = join(cache, 'bundles', codeCaches()[0]);
      const made = statSync(file);
      // From the code cache: ws is still imported. A cache V8 rejected would be made again (a new file).
      const second = run('lazy.ts');
      expect(second.stderr).toBe('');
      expect(reports(second.stdout, 2)).toEqual([{ rank: 0, ws: 'function' }, { rank: 1, ws: 'function' }]);
      const after = statSync(file);
      expect([after.ino, after.mtimeMs, after.size]).toEqual([made.ino, made.mtimeMs, made.size]);
      for (let i = 0; i < 2; i++) {
        const computed = run('computed.ts');
        expect(computed.stderr).toBe('');
        expect(reports(computed.stdout, 2)).toEqual([{ rank: 0, answer: 42 }, { rank: 1, answer: 42 }]);
      }
      expect(codeCaches()).toHaveLength(1);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 120_000);
});

const openssl = (() => {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true, why: '' } : { ok: false, why: 'openssl is not installed' };
})();

/** A self-signed certificate for 127.0.0.1 and its key, made in `dir` with openssl. */
function makeCertificate(dir: string): { key: string; cert: string } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  return { key, cert };
}

describeIfAvailable('NODE_EXTRA_CA_CERTS and rank start-up', openssl, 'openssl', 'apt-get install openssl', () => {
  it('ranks of a deck that cannot reach TLS start without it, and the deck and its programs still see it', () => {
    const cache = mkdtempSync(join(tmpdir(), 'simdeck-test-cache-'));
    const ca = makeCertificate(cache).cert;
    const run = (env: Record<string, string> = {}) =>
      simdeck(['run', '-n', '2', join(decks, 'ca.ts')], { SIMDECK_CACHE_DIR: cache, NODE_EXTRA_CA_CERTS: ca, ...env });
    const seen = (atStart: boolean) => [0, 1].map((rank) => ({ rank, atStart, env: ca, child: ca, carried: null }));
    try {
      // Not compiled yet: what the deck may reach is not known, so the ranks get it at start.
      const cold = run();
      expect(cold.stderr).toBe('');
      expect(reports(cold.stdout, 2)).toEqual(seen(true));
      const warm = run();
      expect(warm.stderr).toBe('');
      expect(reports(warm.stdout, 2)).toEqual(seen(false));
      // SIMDECK_RANK_CA=1: at start all the same.
      expect(reports(run({ SIMDECK_RANK_CA: '1' }).stdout, 2)).toEqual(seen(true));
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 120_000);

  it('ranks of a deck that makes https requests get it at start, and trust its certificates', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'simdeck-test-cache-'));
    const { key, cert } = makeCertificate(cache);
    const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('trusted'));
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const run = async (env: Record<string, string>) => {
      const job = startSimdeck(['run', '-n', '2', join(decks, 'tls.ts'), url], { SIMDECK_CACHE_DIR: cache, ...env });
      const { code } = await job.exited;
      return { code, ...job.out };
    };
    try {
      for (let i = 0; i < 2; i++) { // not compiled yet, then from the bundle cache
        const r = await run({ NODE_EXTRA_CA_CERTS: cert });
        expect(r.stderr).toBe('');
        expect(reports(r.stdout, 2)).toEqual([{ rank: 0, atStart: true, body: 'trusted' }, { rank: 1, atStart: true, body: 'trusted' }]);
      }
      // Without it the server is not trusted (what the above would show if the ranks had started without it).
      const untrusted = await run({ NODE_EXTRA_CA_CERTS: '' });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/self[- ]signed certificate/);
    } finally {
      server.close();
      rmSync(cache, { recursive: true, force: true });
    }
  }, 120_000);
});
