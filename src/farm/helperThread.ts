/**
 * The helper thread of a rank (a worker_threads Worker with its own event loop, DESIGN
 * principle 7): it starts external commands and isolated child processes, watches their time
 * limits, collects their output and tells the deck's synchronous thread when each one is over.
 * The deck's thread posts requests on a MessagePort and reads replies with receiveMessageOnPort,
 * sleeping on a shared counter in between (see helper.ts).
 *
 * A command or child runs in a process group of its own (spawned detached); on a time limit the
 * whole group gets SIGTERM, then SIGKILL after the grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { workerData, type MessagePort } from 'node:worker_threads';
import { frame, FrameReader } from './frames.js';
import type { ChildSpec, HelperReply, HelperRequest, IsolateRequest, RunRequest } from './helperProtocol.js';

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };

function reply(r: HelperReply): void {
  port.postMessage(r);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

/** Sends SIGTERM to the group now and SIGKILL after `graceMs` (unless cancelled by the returned function). */
function terminate(pid: number | undefined, graceMs: number): () => void {
  killGroup(pid, 'SIGTERM');
  const t = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
  return () => clearTimeout(t);
}

function collect(stream: Readable | null, limit: number): { text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  let cut = false;
  stream?.on('data', (c: Buffer) => {
    if (size >= limit) { cut = true; return; }
    chunks.push(c);
    size += c.length;
  });
  stream?.on('error', () => { /* the process went away */ });
  return { text: () => Buffer.concat(chunks).toString('utf8') + (cut ? `\n[output cut at ${limit} bytes]\n` : '') };
}

// ---------------------------------------------------------------- external commands

function runCommand(req: RunRequest): void {
  const started = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(req.file, req.args, {
      cwd: req.cwd, env: req.env, detached: true, stdio: [req.input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
  } catch (e) {
    reply({ id: req.id, kind: 'spawn-error', message: (e as Error).message });
    return;
  }
  let replied = false;
  let timedOut = false;
  let cancelKill: (() => void) | null = null;
  const out = collect(child.stdout, req.maxBuffer);
  const err = collect(child.stderr, req.maxBuffer);
  if (req.input !== null && child.stdin) {
    child.stdin.on('error', () => { /* the command did not read its input */ });
    child.stdin.end(Buffer.from(req.input));
  }
  const timer = req.timeoutMs > 0
    ? setTimeout(() => { timedOut = true; cancelKill = terminate(child.pid, req.graceMs); }, req.timeoutMs)
    : null;
  child.on('error', (e) => {
    if (replied) return;
    replied = true;
    if (timer) clearTimeout(timer);
    reply({ id: req.id, kind: 'spawn-error', message: e.message });
  });
  child.on('exit', () => {
    // Output pipes may be held open by a background grandchild: stop waiting for them soon.
    setTimeout(() => { child.stdout?.destroy(); child.stderr?.destroy(); }, 200).unref();
  });
  child.on('close', (code, signal) => {
    if (replied) return;
    replied = true;
    if (timer) clearTimeout(timer);
    if (timedOut) { cancelKill?.(); killGroup(child.pid, 'SIGKILL'); } // nothing of the group outlives a timeout
    reply({
      id: req.id, kind: 'command', code, signal, stdout: out.text(), stderr: err.text(),
      ms: performance.now() - started, timedOut,
    });
  });
}

// ---------------------------------------------------------------- isolated children

interface Child {
  proc: ChildProcess;
  input: Writable;
  ready: boolean;
  dead: boolean;
  sharedVersion: number;
  current: { req: IsolateRequest; timer: NodeJS.Timeout | null; timedOut: boolean; started: number; cancelKill: (() => void) | null } | null;
  spec: ChildSpec;
}

let child: Child | null = null;
let shared: { version: number; value: unknown } = { version: 0, value: undefined };
/** How long a child may take to load the deck up to its first Pool. */
const STARTUP_MS = 120_000;

function startChild(spec: ChildSpec): Child {
  const proc = spawn(spec.node, [...spec.execArgv, spec.main, spec.deck, ...spec.args], {
    env: spec.env, cwd: spec.cwd, detached: true, stdio: ['pipe', 'inherit', 'inherit', 'pipe'],
  });
  const c: Child = { proc, input: proc.stdin!, ready: false, dead: false, sharedVersion: -1, current: null, spec };
  c.input.on('error', () => { /* the child died; its exit reports it */ });
  const reader = new FrameReader();
  const startup = setTimeout(() => { if (!c.ready) killGroup(proc.pid, 'SIGKILL'); }, STARTUP_MS);
  (proc.stdio[3] as Readable).on('data', (chunk: Buffer) => {
    for (const msg of reader.push(chunk) as { kind: string }[]) {
      if (msg.kind === 'ready') {
        c.ready = true;
        clearTimeout(startup);
        if (c.current) sendTask(c);
      } else if (msg.kind === 'result' && c.current) {
        const cur = c.current;
        c.current = null;
        if (cur.timer) clearTimeout(cur.timer);
        if (cur.timedOut) { cur.cancelKill?.(); c.dead = true; killGroup(proc.pid, 'SIGKILL'); }
        const r = msg as unknown as { status: string; value?: unknown; error?: unknown; ms: number };
        reply(cur.timedOut
          ? { id: cur.req.id, kind: 'isolated', status: 'timeout', ms: performance.now() - cur.started, pid: proc.pid ?? 0 }
          : { id: cur.req.id, kind: 'isolated', status: r.status, value: r.value, error: r.error, ms: r.ms, pid: proc.pid ?? 0 });
      }
    }
  });
  (proc.stdio[3] as Readable).on('error', () => { /* child gone */ });
  proc.on('error', (e) => {
    if (c.dead) return;
    c.dead = true;
    clearTimeout(startup);
    if (c.current) {
      const cur = c.current;
      c.current = null;
      if (cur.timer) clearTimeout(cur.timer);
      reply({ id: cur.req.id, kind: 'isolated', status: 'crash', message: `the isolated child could not start: ${e.message}`, ms: 0, pid: 0 });
    }
  });
  proc.on('exit', (code, signal) => {
    c.dead = true;
    clearTimeout(startup);
    killGroup(proc.pid, 'SIGKILL'); // what the child started in its group goes with it
    if (child === c) { child = null; ensureSpare(c.spec); }
    if (spare === c) spare = null;
    const cur = c.current;
    if (!cur) return;
    c.current = null;
    if (cur.timer) clearTimeout(cur.timer);
    cur.cancelKill?.();
    const ms = performance.now() - cur.started;
    if (cur.timedOut) {
      reply({ id: cur.req.id, kind: 'isolated', status: 'timeout', ms, pid: proc.pid ?? 0 });
    } else {
      const how = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
      const where = c.ready ? 'while running the task' : "before reaching the deck's first Pool (see its stderr above)";
      reply({ id: cur.req.id, kind: 'isolated', status: 'crash', message: `the isolated child process ${how} ${where}`, signal, code, ms, pid: proc.pid ?? 0 });
    }
  });
  return c;
}

function sendTask(c: Child): void {
  const cur = c.current!;
  const req = cur.req;
  const withShared = c.sharedVersion !== shared.version;
  c.sharedVersion = shared.version;
  cur.started = performance.now();
  try {
    c.input.write(frame({
      kind: 'task', key: req.key, mode: req.mode, arg: req.arg, ctx: req.ctx,
      ...(withShared ? { shared: shared.value, sharedVersion: shared.version } : {}),
    }));
  } catch (e) {
    c.current = null;
    reply({ id: req.id, kind: 'isolated', status: 'error', error: { name: 'EncodeError', message: `the task's arguments cannot be sent to the isolated child: ${(e as Error).message}`, stack: '' }, ms: 0, pid: 0 });
    return;
  }
  if (req.timeoutMs > 0) {
    cur.timer = setTimeout(() => {
      cur.timedOut = true;
      cur.cancelKill = terminate(c.proc.pid, req.graceMs);
    }, req.timeoutMs);
  }
}

/** A second child started ahead of need, so a crash or a time limit does not wait for a new child to load the deck. */
let spare: Child | null = null;

function ensureSpare(spec: ChildSpec): void {
  if (spare === null || spare.dead) spare = startChild(spec);
}

function isolate(req: IsolateRequest): void {
  if (child === null || child.dead) {
    if (spare !== null && !spare.dead) { child = spare; spare = null; } else child = startChild(req.child);
  }
  ensureSpare(req.child);
  const c = child;
  c.current = { req, timer: null, timedOut: false, started: performance.now(), cancelKill: null };
  if (c.ready) sendTask(c);
}

port.on('message', (req: HelperRequest) => {
  switch (req.op) {
    case 'run': runCommand(req); break;
    case 'isolate': isolate(req); break;
    case 'share': shared = { version: req.version, value: req.value }; break;
    case 'stop':
      if (child !== null) { child.input.end(); child = null; }
      if (spare !== null) { const s = spare; spare = null; s.dead = true; s.input.end(); }
      reply({ id: req.id, kind: 'stopped' });
      break;
  }
});
