// Where the graphics tests keep the pictures they check: docs/images/ (the guide shows them),
// written only when SIMDECK_SAVE_IMAGES=1 so that a normal test run leaves the tree clean.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../helpers/job.js';

/** Saves a PNG the test produced into docs/images/ when SIMDECK_SAVE_IMAGES=1. */
export function saveImage(name: string, png: Uint8Array): void {
  if (process.env.SIMDECK_SAVE_IMAGES !== '1') return;
  const dir = join(root, 'docs', 'images');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), png);
}
