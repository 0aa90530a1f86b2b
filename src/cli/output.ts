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
