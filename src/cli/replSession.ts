/**
 * The parallel prompt (pyMPI's interactive mode, ipyparallel's %px), run on every rank after the
 * deck: rank 0 reads a line (node:readline: history, tab completion), broadcasts it, every rank
 * evaluates it in its own global scope (so `world.allreduce(world.rank)` works: every rank makes
 * the call), and rank 0 prints each rank's answer as `[r] answer`. `let`/`const` declarations
 * persist between lines; the deck's exports are `deck`, simdeck's are globals (`world`, `Op`, ...).
 * `.exit` or end of input ends the prompt on every rank. Blocks (collective on the world).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Completer } from 'node:readline';
import { inspect } from 'node:util';
import { runInThisContext } from 'node:vm';
import type { Comm } from '../comm/comm.js';

/** Where rank 0 keeps the prompt's history: SIMDECK_HISTORY, else ~/.simdeck_history ("" turns it off). */
function historyFile(): string | null {
  const env = process.env.SIMDECK_HISTORY;
  if (env !== undefined) return env === '' ? null : env;
  try { return join(homedir(), '.simdeck_history'); } catch { return null; }
}

function loadHistory(file: string | null): string[] {
  if (file === null) return [];
  try { return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(-500).reverse(); } catch { return []; }
}

/** Completes the dotted name before the cursor from the global scope (no code is run but property reads). */
export const complete: Completer = (line: string) => {
  const m = /([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\.?)$/.exec(line);
  if (m === null) return [[], line];
  const path = m[1].split('.');
  const partial = path.pop()!;
  let target: unknown = globalThis;
  for (const key of path) {
    try { target = (target as Record<string, unknown>)[key]; } catch { return [[], m[1]]; }
    if (target === null || target === undefined) return [[], m[1]];
  }
  const names = new Set<string>();
  for (let o: unknown = target; o !== null && o !== undefined && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) if (!k.startsWith('_') && k !== 'constructor' && /^[A-Za-z_$][\w$]*$/.test(k)) names.add(k);
  }
  const prefix = path.length > 0 ? path.join('.') + '.' : '';
  const hits = [...names].filter((k) => k.startsWith(partial)).sort().map((k) => prefix + k);
  return [hits, m[1]];
};

/** Evaluates one line on this rank; the answer as text (an error becomes `Uncaught Name: message`). */
async function evaluate(line: string): Promise<string> {
  try {
    let value = runInThisContext(line, { filename: 'prompt' }) as unknown;
    if (value instanceof Promise) value = await value;
    return inspect(value, { depth: 2, breakLength: 100, colors: false });
  } catch (e) {
    return e instanceof Error ? `Uncaught ${e.name}: ${e.message}` : `Uncaught ${inspect(e)}`;
  }
}

/** Prints every rank's answer, each line marked `[r] `. */
function show(answers: string[], out: NodeJS.WritableStream): void {
  const text = answers.map((a, r) => a.split('\n').map((l) => `[${r}] ${l}`).join('\n')).join('\n');
  out.write(text + '\n');
}

/**
 * Runs the prompt on every rank (see the module comment) until `.exit` or end of input.
 * `simdeck` is the package's exports (made globals), `deck` the deck's own exports (or null).
 */
export async function startRepl(simdeck: Record<string, unknown> & { world: Comm }, deck: unknown, name: string): Promise<void> {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(simdeck)) if (!(k in g)) g[k] = v;
  if (deck !== null) g.deck = deck;
  const comm = simdeck.world.dup();
  const me = comm.rank;
  if (me !== 0) {
    for (;;) {
      const line = comm.bcast<string | null>(null, 0);
      if (line === null) break;
      comm.gather(await evaluate(line), 0);
    }
    comm.free();
    return;
  }
  const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const file = historyFile();
  const rl = createInterface({
    input: process.stdin, output: process.stdout, terminal, completer: complete,
    history: loadHistory(file), historySize: 500, removeHistoryDuplicates: true,
    prompt: `simdeck[${comm.size}]> `,
  });
  rl.on('SIGINT', () => { rl.write('\n'); rl.line.length > 0 ? rl.write(null, { ctrl: true, name: 'u' }) : process.stdout.write('(type .exit or press Ctrl-D to leave)\n'); rl.prompt(); });
  process.stdout.write(`simdeck parallel prompt: ${comm.size} rank${comm.size === 1 ? '' : 's'}${name ? ` after ${name} (its exports are deck.*)` : ''}; ` +
    'every rank evaluates each line; .exit to leave\n');
  const lines = rl[Symbol.asyncIterator]();
  for (;;) {
    if (terminal) rl.prompt(); // lines from a pipe: answers only, no prompts in the log
    const next = await lines.next();
    const line = next.done ? '.exit' : (next.value as string);
    if (line.trim() === '') continue;
    if (line.trim() === '.exit') break;
    if (file !== null) { try { appendFileSync(file, line + '\n', { mode: 0o600 }); } catch { /* history is optional */ } }
    comm.bcast(line, 0);
    const answers = comm.gather(await evaluate(line), 0)!;
    show(answers, process.stdout);
  }
  rl.close();
  comm.bcast(null, 0);
  comm.free();
}
