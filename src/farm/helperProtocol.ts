/** Messages between a rank's deck thread and its helper thread (helper.ts, helperThread.ts). */

/** How to start an isolated child: `node [execArgv] main deck args` with this environment. */
export interface ChildSpec {
  node: string;
  execArgv: string[];
  main: string;
  deck: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Run an external command. */
export interface RunRequest {
  op: 'run';
  id: number;
  file: string;
  args: string[];
  cwd: string | undefined;
  env: Record<string, string>;
  input: Uint8Array | null;
  timeoutMs: number;
  graceMs: number;
  maxBuffer: number;
}

/** Run one task in the isolated child (started if none is alive). */
export interface IsolateRequest {
  op: 'isolate';
  id: number;
  child: ChildSpec;
  key: string;
  mode: 'item' | 'args';
  arg: unknown;
  ctx: { rank: number; index: number; id: string; attempt: number };
  timeoutMs: number;
  graceMs: number;
}

/** Replace the shared data sent to isolated children. */
export interface ShareRequest { op: 'share'; version: number; value: unknown }
/** Stop the isolated child (its input is closed; it exits). */
export interface StopRequest { op: 'stop'; id: number }

export type HelperRequest = RunRequest | IsolateRequest | ShareRequest | StopRequest;

export type HelperReply =
  | { id: number; kind: 'command'; code: number | null; signal: string | null; stdout: string; stderr: string; ms: number; timedOut: boolean }
  | { id: number; kind: 'spawn-error'; message: string }
  | { id: number; kind: 'isolated'; status: string; value?: unknown; error?: unknown; message?: string; signal?: string | null; code?: number | null; ms: number; pid: number }
  | { id: number; kind: 'stopped' };
