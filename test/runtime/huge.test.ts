// Messages past 2 GiB on both large-message paths. Slow (seconds), but CI runs it.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { root, simdeck } from '../helpers/job.js';

const deck = join(root, 'test', 'decks', 'huge.ts');

describe('messages larger than 2 GiB', () => {
  it.each([
    ['single-copy process_vm_readv', {}],
    ['ring streaming', { SIMDECK_SHM_CMA: '0' }],
  ])('arrive whole by %s', (_name, env) => {
    const r = simdeck(['run', '-n', '2', deck], env as Record<string, string>, 300_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[0] OK sent');
    expect(r.stdout).toContain('[1] OK received');
  });
});
