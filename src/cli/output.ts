/**
 * Output routing for the launcher: each rank's stdout and stderr arrive on pipes and are written
 * out whole line by whole line, so lines of different ranks never break into each other.
 * In `prefixed` mode every line gets `[r] ` (lines a rank already marks `[rank r]`, its error
 * reports, are left as they are).
 */
import type { Readable, Writable } from 'node:stream';

/** How rank output reaches the terminal. */
export type OutputMode = 'prefixed' | 'rank0' | 'raw';

/** Copies one rank stream to `out` a whole line at a time, optionally prefixed. */
export function routeLines(from: Readable, out: Writable, prefix: string): Promise<void> {
  return new Promise((resolve) => {
    let pending = '';
    from.setEncoding('utf8');
    const emit = (text: string) => {
      if (text.length === 0) return;
      if (prefix === '') { out.write(text); return; }
      const lines = text.split('\n');
      lines.pop(); // text ends with '\n'
      out.write(lines.map((l) => (l.startsWith('[rank ') ? l : prefix + l)).join('\n') + '\n');
    };
    from.on('data', (chunk: string) => {
      const cut = chunk.lastIndexOf('\n');
      if (cut < 0) { pending += chunk; return; }
      emit(pending + chunk.slice(0, cut + 1));
      pending = chunk.slice(cut + 1);
    });
    from.on('end', () => {
      if (pending !== '') emit(pending + '\n');
      resolve();
    });
    from.on('error', () => resolve());
  });
}

/** Output of ranks that connected to a {@link collectRankOutput} socket. */
export interface RankOutputCollector {
  /** Waits until every connected rank's streams have ended (at most `graceMs`), then stops listening. */
  close(graceMs: number): Promise<void>;
}

/**
 * Listens on the Unix socket `path` for rank output (see transport/mpi/outputLink.ts): each
 * connection starts with a line `<rank> <fd>` and carries that rank's stdout (fd 1) or stderr
 * (fd 2), written out whole line by whole line as `mode` says (as `simdeck run` does on shared
 * memory). Resolves once listening.
 */
export async function collectRankOutput(path: string, mode: OutputMode): Promise<RankOutputCollector> {
  const { createServer } = await import('node:net');
  const routes: Promise<void>[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => { /* the rank died: what arrived is written */ });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const cut = head.indexOf(10);
      if (cut < 0) return;
      sock.off('data', onData);
      sock.pause();
      const [rank, fd] = head.subarray(0, cut).toString('latin1').split(' ').map(Number);
      const rest = head.subarray(cut + 1);
      if (rest.length !== 0) sock.unshift(rest);
      const out = fd === 2 ? process.stderr : process.stdout;
      if (mode === 'rank0' && fd === 1 && rank !== 0) { sock.resume(); return; } // dropped, as on shared memory
      const prefix = mode === 'raw' || (mode === 'rank0' && fd === 1) ? '' : `[${rank}] `;
      routes.push(routeLines(sock, out, prefix));
      sock.resume();
    };
    sock.on('data', onData);
  });
  await new Promise<void>((ready, fail) => { server.once('error', fail); server.listen(path, () => ready()); });
  return {
    async close(graceMs: number) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(routes), new Promise((r) => { timer = setTimeout(r, graceMs); })]);
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
