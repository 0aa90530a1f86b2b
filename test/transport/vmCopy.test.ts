// Single copies between processes (src/system/libc.ts): readFromProcess (process_vm_readv, what
// the shared-memory transport's large messages use) and writeToProcess (process_vm_writev, a
// sender writing into its peer's array: test/bench/ab/couple-split.mjs) and readRowsFromProcess
// (rows of a peer's 2-D array, a split coupling target reading its sender's source rows) against
// a real peer process, both ways, with a length that does not end on a page.
import { describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { addressOf, readFromProcess, readRowsFromProcess, writeToProcess } from '../../src/system/libc.js';

const peerFile = join(import.meta.dirname, 'fixtures', 'vmPeer.mjs');

describe.skipIf(process.platform !== 'linux')('process_vm_readv / process_vm_writev', () => {
  it('reads a peer\'s array and writes part of it, the rest untouched', async () => {
    const child = fork(peerFile, [], { stdio: 'inherit' });
    const messages: unknown[] = [];
    let wake: (() => void) | null = null;
    child.on('message', (m) => { messages.push(m); wake?.(); });
    const next = async (): Promise<any> => { while (messages.length === 0) await new Promise<void>((r) => { wake = r; }); return messages.shift(); };
    const { pid, address } = await next();
    const got = new Float64Array(64);
    expect(readFromProcess(pid, addressOf(got), address, 64 * 8)).toBe(0);
    expect(Array.from(got)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    // as an 8x8 array: columns 2..6 of rows 1..7, packed (and rows 1..3 whole: one run)
    const rows = new Float64Array(7 * 5).fill(NaN);
    expect(readRowsFromProcess(pid, addressOf(rows), address + (8 + 2) * 8, 5 * 8, 8 * 8, 7)).toBe(0);
    expect(Array.from(rows)).toEqual(Array.from({ length: 35 }, (_, k) => 8 * (1 + Math.floor(k / 5)) + 2 + (k % 5)));
    const whole = new Float64Array(24);
    expect(readRowsFromProcess(pid, addressOf(whole), address + 8 * 8, 8 * 8, 8 * 8, 3)).toBe(0);
    expect(Array.from(whole)).toEqual(Array.from({ length: 24 }, (_, k) => 8 + k));
    // elements 3..40 become -3..-40
    const put = new Float64Array(38).map((_, k) => -(k + 3));
    expect(writeToProcess(pid, addressOf(put), address + 3 * 8, 38 * 8)).toBe(0);
    child.send('check');
    const { values } = await next();
    expect(values).toEqual(Array.from({ length: 64 }, (_, i) => (i >= 3 && i < 41 ? -i : i)));
    // a peer that is gone: an errno, no throw
    await new Promise((r) => child.once('exit', r));
    expect(writeToProcess(pid, addressOf(put), address, 8)).toBeGreaterThan(0);
    expect(readRowsFromProcess(pid, addressOf(rows), address, 5 * 8, 8 * 8, 7)).toBeGreaterThan(0);
  });
});
