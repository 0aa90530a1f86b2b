/**
 * The isolated child process (`isolate: true`): a copy of the deck started by a rank's helper
 * thread as a job of one rank, with SIMDECK_FARM_CHILD set. It runs the deck's top level up to
 * its first `new Pool`, where, instead of making a pool, it reads tasks from its stdin, runs each
 * one, and writes the result to fd 3, until its input closes. A segfault in a native kernel kills
 * only this process; the rank reports the task as a `crash` and starts another child.
 */
import { readSync, writeSync } from 'node:fs';
import { dieWithParent } from '../system/libc.js';
import { executeTask, type TaskContext } from './execute.js';
import { frame, unframe } from './frames.js';

/** The variable that marks an isolated child; removed at load so commands it runs do not inherit it. */
export const CHILD_ENV = 'SIMDECK_FARM_CHILD';
const isChild = process.env[CHILD_ENV] === '1';
delete process.env[CHILD_ENV];
// An isolated child dies with the helper thread that started it (and so with its rank).
if (isChild) dieWithParent();

/** True in an isolated child process. */
export function isIsolatedChild(): boolean {
  return isChild;
}

const RESULT_FD = 3;
const pause = new Int32Array(new SharedArrayBuffer(4));

function readFully(buf: Buffer): boolean {
  let got = 0;
  while (got < buf.length) {
    let n: number;
    try {
      n = readSync(0, buf, got, buf.length - got, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') { Atomics.wait(pause, 0, 0, 1); continue; }
      throw e;
    }
    if (n === 0) return false;
    got += n;
  }
  return true;
}

function writeFully(bytes: Buffer): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(RESULT_FD, bytes, off, bytes.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') { Atomics.wait(pause, 0, 0, 1); continue; }
      if (code === 'EPIPE') process.exit(0); // the rank is gone: nothing to report to
      throw e;
    }
  }
}

/** Serves tasks until the parent closes the input, then exits the process. Never returns. */
export function serveAsChild(): never {
  writeFully(frame({ kind: 'ready' }));
  let shared: unknown;
  const head = Buffer.alloc(4);
  for (;;) {
    if (!readFully(head)) process.exit(0);
    const body = Buffer.alloc(head.readUInt32LE(0));
    if (!readFully(body)) process.exit(0);
    const msg = unframe(body) as { key: string; mode: 'item' | 'args'; arg: unknown; ctx: Omit<TaskContext, 'shared'>; shared?: unknown; sharedVersion?: number };
    if (msg.sharedVersion !== undefined) shared = msg.shared;
    const r = executeTask(msg.key, msg.mode, msg.arg, { ...msg.ctx, shared }, `rank ${msg.ctx.rank} (isolated child, pid ${process.pid})`);
    let out: Buffer;
    try {
      out = frame({ kind: 'result', ...r });
    } catch (e) {
      out = frame({ kind: 'result', status: 'error', ms: r.ms, error: { name: 'EncodeError', message: `the task's result cannot be sent back: ${(e as Error).message}`, stack: '' } });
    }
    writeFully(out);
  }
}
