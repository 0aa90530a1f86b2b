/**
 * Runs one assigned task on this rank: in this process, or (isolate) in the rank's isolated child
 * through the helper thread. Used by every rank, rank 0 included.
 */
import { fileURLToPath } from 'node:url';
import { theHelper } from './helper.js';
import { executeTask, type Execution, type TaskContext } from './execute.js';
import type { ChildSpec } from './helperProtocol.js';
import { CHILD_ENV } from './child.js';
import { formatSeconds } from './outcome.js';
import type { BatchHead } from './protocol.js';

// The deck and its arguments as the rank started it (before the deck could change process.argv).
const deckPath = process.argv[1] ?? '';
const deckArgs = process.argv.slice(2);
const cliMain = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Variables of MPI launchers and of simdeck's own job that an isolated child must not see (it is a job of one rank). */
const NOT_FOR_CHILD = /^(OMPI_|PMIX_|PMI_|MPI_LOCALNRANKS|SLURM_STEP_|HYDRA_|MPIR_|SIMDECK_(OUTPUT|TRANSPORT|MPI_BUNDLES|SEGMENT|RANK)$)/;

let spec: ChildSpec | null = null;
function childSpec(): ChildSpec {
  if (spec !== null) return spec;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !NOT_FOR_CHILD.test(k)) env[k] = v;
  env[CHILD_ENV] = '1';
  env.SIMDECK_TRANSPORT = 'shm';
  spec = { node: process.execPath, execArgv: nodeOptionsOnly(process.execArgv), main: cliMain, deck: deckPath, args: deckArgs, env, cwd: process.cwd() };
  return spec;
}

/**
 * The rank's Node options without its `-e` bootstrap (a rank runs `node -e <bootstrap>` and
 * waits for its bundle on a pipe the child would not have): the child is started as
 * `node [options] main.js deck`, a job of one rank.
 */
function nodeOptionsOnly(execArgv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') { i++; continue; }
    if (a.startsWith('--eval=') || a.startsWith('--print=')) continue;
    out.push(a);
  }
  return out;
}

let sharedTold = -1;

/** Runs the task; never throws (a failure is an Execution with its status). */
export function runAssigned(head: BatchHead, arg: unknown, ctx: TaskContext, sharedVersion: number, where: string): Execution {
  if (!head.isolate) {
    const r = executeTask(head.key, head.mode, arg, ctx, where);
    if (head.timeoutMs > 0 && r.ms > head.timeoutMs && r.status !== 'missing') {
      return {
        status: 'timeout', ms: r.ms,
        error: { name: 'TaskTimeout', message: `the task ran ${formatSeconds(r.ms / 1000)}, over its limit of ${formatSeconds(head.timeoutMs / 1000)} (a task run in the rank's own process cannot be stopped early: use isolate: true)`, stack: `(ran on ${where})` },
      };
    }
    return r;
  }
  const helper = theHelper();
  if (sharedTold !== sharedVersion) {
    helper.tell({ op: 'share', version: sharedVersion, value: ctx.shared });
    sharedTold = sharedVersion;
  }
  const { shared: _shared, ...plainCtx } = ctx;
  const id = helper.post({
    op: 'isolate', child: childSpec(), key: head.key, mode: head.mode, arg, ctx: plainCtx,
    timeoutMs: head.timeoutMs, graceMs: head.graceMs,
  });
  const r = helper.wait(id);
  if (r.kind !== 'isolated') return { status: 'error', ms: 0, error: { name: 'Error', message: `unexpected reply from the helper thread (${r.kind})`, stack: '' } };
  const status = r.status as Execution['status'];
  if (status === 'timeout') {
    return { status, ms: r.ms, error: { name: 'TaskTimeout', message: `the task passed its limit of ${formatSeconds(head.timeoutMs / 1000)}; its isolated child's process group was killed (SIGTERM, then SIGKILL)`, stack: `(ran on ${where}, isolated child pid ${r.pid})` } };
  }
  if (status === 'crash' && r.error === undefined) {
    return { status, ms: r.ms, error: { name: 'TaskCrash', message: r.message ?? 'the isolated child process died', stack: `(ran on ${where}, isolated child pid ${r.pid})` } };
  }
  return { status, value: r.value, error: r.error as Execution['error'], ms: r.ms };
}
