/**
 * `simdeck run -n 4 --interactive [deck.ts]`: each deck of the job is wrapped in a small deck
 * that runs it first (its exports become `deck` at the prompt) and then starts the parallel
 * prompt of replSession.ts on every rank. The wrappers live in a private temporary directory
 * removed when the launcher exits.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeckError } from '../errors.js';
import type { RunOptions } from './args.js';

const distSrc = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Replaces every deck of `opts` by its interactive wrapper. Throws DeckError for a deck that does not exist. */
export function interactiveDecks(opts: RunOptions): void {
  const dir = mkdtempSync(join(tmpdir(), 'simdeck-repl-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  opts.apps.forEach((app, i) => {
    const lines = [`import * as simdeck from ${JSON.stringify(join(distSrc, 'index.js'))};`];
    let name = '';
    if (app.deck !== '') {
      const deck = resolve(app.deck);
      if (!existsSync(deck) || !statSync(deck).isFile()) throw new DeckError(`deck file not found: ${app.deck} (looked for ${deck})`);
      lines.push(`import * as deck from ${JSON.stringify(deck)};`);
      name = basename(deck);
    }
    lines.push(`import { startRepl } from ${JSON.stringify(join(distSrc, 'cli', 'replSession.js'))};`);
    lines.push(`await startRepl(simdeck, ${app.deck !== '' ? 'deck' : 'null'}, ${JSON.stringify(name)});`);
    const wrapper = join(dir, `interactive${i}.ts`);
    writeFileSync(wrapper, lines.join('\n') + '\n');
    app.deck = wrapper;
  });
}
