/**
 * The launcher behind `simdeck run`: creates the job's shared-memory segment, starts one Node
 * process per rank, compiles each deck once into a self-contained rank bundle while they start
 * and hands it to them through a pipe (the ranks read no project or user file: see rankBoot.ts),
 * routes their output, watches for failures and hangs, and cleans up (no rank process, no
 * segment left) however the job ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism, constants as osConstants } from 'node:os';
import { resolve } from 'node:path';
import { EXIT_ABORTED, EXIT_DEADLOCK, EXIT_HANG, EXIT_STATUS_DEADLOCK, jobEnvironment, USER_ENV } from '../runtime/jobEnv.js';
import { DeadlockWatch } from '../transport/shm/deadlockWatch.js';
import { readKernelTraceSlot } from '../runtime/kernelTrace.js';
import {
  Abort, createSegment, Decks, defaultRingBytes, H, newSegmentName, R, rankBlockOffset, sweepStale, unlinkSegment, type Segment,
} from '../transport/shm/segment.js';
import { futexWakeAll } from '../system/libc.js';
import type { RunOptions } from './args.js';
import { ArgumentError, DeckError } from '../errors.js';
import { routeLines, type OutputMode } from './output.js';
import { watchInvoker } from './invokerWatch.js';
import { shmBootSource } from '../runtime/rankBoot.js';

/** Exit status the launcher uses when hang diagnosis aborts a job. */
export const EXIT_STATUS_HANG = 124;

interface RankProcess {
  rank: number;
  child: ChildProcess;
  exited: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
}

function signalNumber(signal: NodeJS.Signals): number {
  return (osConstants.signals as Record<string, number>)[signal] ?? 1;
}

/**
 * Runs a job to completion and returns the exit status for the process: 0 when every rank
 * succeeded, else the failing rank's status (128 + signal number when a signal killed it).
 * Writes diagnostics to stderr. Throws DeckError/ArgumentError before any rank starts.
 */
export async function runJob(opts: RunOptions): Promise<number> {
  sweepStale();
  const size = opts.apps.reduce((n, a) => n + a.ranks, 0);
  const env = environmentOptions();
  const output: OutputMode = opts.output ?? env.output ?? (size > 1 ? 'prefixed' : 'raw');
  const hangTimeout = opts.hangTimeout ?? env.hangTimeout;
  const waitMode = opts.wait ?? env.wait ?? 'auto';
  const transport = opts.transport === 'auto' && process.env.SIMDECK_TRANSPORT === 'mpi' ? 'mpi' : opts.transport;
  if (transport === 'mpi') return (await import('./mpiLauncher.js')).runMpiJob(opts, output, hangTimeout, waitMode);
  const spin = waitMode === 'spin' || (waitMode === 'auto' && size <= availableParallelism());

  for (const app of opts.apps) {
    if (!existsSync(app.deck) || !statSync(app.deck).isFile()) {
      throw new DeckError(`deck file not found: ${app.deck} (looked for ${resolve(app.deck)})`);
    }
  }
  const segName = newSegmentName();
  const seg = createSegment(segName, {
    size, ringBytes: defaultRingBytes(size), spin, cma: process.env[USER_ENV.CMA] !== '0',
  });
  let unlinked = false;
  const cleanup = () => {
    if (!unlinked) { unlinkSegment(segName); unlinked = true; }
  };

  // Extra Node options for every rank (--cpu-prof, --max-old-space-size=..., --inspect=0, ...).
  const nodeArgs = (process.env[USER_ENV.NODE_ARGS] ?? '').split(/\s+/).filter((a) => a !== '');
  const ranks: RankProcess[] = [];
  // The rank bundle of each app goes down these pipes (descriptor 3 of each rank).
  const bundlePipes: Writable[][] = opts.apps.map(() => []);
  const boot = ['-e', shmBootSource()];
  let rank = 0;
  opts.apps.forEach((app, appIndex) => {
    const appRanks = Array.from({ length: app.ranks }, (_, k) => rank + k);
    for (let k = 0; k < app.ranks; k++, rank++) {
      const env = {
        ...process.env,
        ...jobEnvironment({
          segment: segName, rank, launcherPid: process.pid, bundle: '',
          deck: resolve(app.deck), args: app.args, appIndex, appRanks,
        }),
      };
      const out = output === 'raw' || (output === 'rank0' && rank === 0) ? 'inherit' : output === 'rank0' ? 'ignore' : 'pipe';
      const err = output === 'raw' ? 'inherit' : 'pipe';
      const child = spawn(process.execPath, [...nodeArgs, ...boot], { env, stdio: [rank === 0 ? 'inherit' : 'ignore', out, err, 'pipe'] });
      const pipe = child.stdio[3] as Writable;
      pipe.on('error', () => { /* the rank is gone: its exit is reported */ });
      bundlePipes[appIndex].push(pipe);
      const p: RankProcess = { rank, child, exited: false, code: null, signal: null };
      ranks.push(p);
    }
  });

  const routes: Promise<void>[] = [];
  for (const p of ranks) {
    if (p.child.stdout) routes.push(routeLines(p.child.stdout, process.stdout, `[${p.rank}] `));
    if (p.child.stderr) routes.push(routeLines(p.child.stderr, process.stderr, output === 'raw' ? '' : `[${p.rank}] `));
  }

  // Every deck is read and compiled once, here, while the ranks start; an empty pipe means it failed.
  const bundling = (async () => {
    const { bundleRank } = await import('../runtime/rankBundle.js');
    const payloads: Buffer[] = [];
    for (const app of opts.apps) {
      const text = await bundleRank('shm', app.deck);
      payloads.push(Buffer.from(text));
    }
    payloads.forEach((payload, i) => { for (const pipe of bundlePipes[i]) pipe.end(payload); });
  })();
  const decksReady = bundling.then(
    () => { Atomics.store(seg.i32, H.DECKS, Decks.READY); return null; },
    (e: unknown) => {
      for (const pipes of bundlePipes) for (const pipe of pipes) pipe.end();
      Atomics.store(seg.i32, H.DECKS, Decks.FAILED);
      return e;
    },
  );

  const status = await new Promise<number>((finish) => {
    let failure: { rank: number; status: number; report: string } | null = null;
    let hung = false;
    let deadlocked = false;
    const deadlockWatch = new DeadlockWatch(seg);
    let killTimer: NodeJS.Timeout | null = null;
    let interrupted: NodeJS.Signals | null = null;

    const abortJob = (code: number, abortRank: number) => {
      if (Atomics.compareExchange(seg.i32, H.ABORT, Abort.NONE, code) === Abort.NONE) {
        Atomics.store(seg.i32, H.ABORT_RANK, abortRank);
      }
      wakeAll(seg);
      if (killTimer === null) {
        // Ranks that block in simdeck calls leave within ~50 ms; kill what is left (computing, or in native code).
        killTimer = setTimeout(() => {
          for (const p of ranks) if (!p.exited) p.child.kill('SIGKILL');
        }, code === Abort.HANG || code === Abort.DEADLOCK ? 1500 : 300);
      }
    };

    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted !== null) return;
      interrupted = signal;
      abortJob(Abort.INTERRUPTED, -1);
      for (const p of ranks) if (!p.exited) p.child.kill('SIGTERM');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    // `npx simdeck run`: killing npx reaches no rank by itself.
    const stopWatching = watchInvoker((what) => {
      process.stderr.write(`simdeck: ${what}; stopping every rank\n`);
      onSignal('SIGHUP');
    });

    const watch = setInterval(() => {
      if (!unlinked && Atomics.load(seg.i32, H.ATTACHED) === size) { unlinkSegment(segName); unlinked = true; }
      if (!deadlocked && !hung && failure === null && interrupted === null && deadlockWatch.check(Date.now(), (r) => ranks[r].exited)) {
        deadlocked = true;
        process.stderr.write('simdeck: deadlock: every rank is blocked in a simdeck call that no message in flight can complete; ' +
          'each rank says what it waits for, then the job ends\n');
        abortJob(Abort.DEADLOCK, -1);
      }
      if (hangTimeout !== null && !hung && !deadlocked && failure === null) {
        const now = Date.now();
        for (let r = 0; r < size; r++) {
          const since = seg.f64[(rankBlockOffset(r) + R.BLOCKED_SINCE) >> 3];
          if (since !== 0 && now - since > hangTimeout * 1000 && !ranks[r].exited) {
            hung = true;
            process.stderr.write(`simdeck: hang: rank ${r} has been blocked for more than ${hangTimeout} s; ` +
              'every rank reports what it waits for, then the job is aborted\n');
            abortJob(Abort.HANG, r);
            break;
          }
        }
      }
    }, 50);

    let remaining = ranks.length;
    for (const p of ranks) {
      p.child.on('exit', (code, signal) => {
        p.exited = true;
        p.code = code;
        p.signal = signal;
        const ok = code === 0;
        const quietAbort = (code === EXIT_ABORTED && Atomics.load(seg.i32, H.ABORT) !== Abort.NONE) || (deadlocked && code === EXIT_DEADLOCK);
        if (!ok && failure === null && !hung && !deadlocked && interrupted === null && !quietAbort) {
          const status = signal ? 128 + signalNumber(signal) : code ?? 1;
          let report = signal
            ? `simdeck: rank ${p.rank} was killed by signal ${signal}`
            : `simdeck: rank ${p.rank} failed with exit status ${code}`;
          if (signal) {
            const kernel = readKernelTraceSlot(seg.u8.subarray(rankBlockOffset(p.rank) + R.KERNEL));
            if (kernel !== '') report += ` (last native kernel entered: ${kernel})`;
          }
          failure = { rank: p.rank, status, report };
          abortJob(signal ? Abort.KILLED : Abort.ERROR, p.rank);
        }
        if ((hung || deadlocked) && !ok && code !== EXIT_HANG && code !== EXIT_DEADLOCK && signal === 'SIGKILL') {
          process.stderr.write(`[rank ${p.rank}] hang: not in a simdeck call (computing or in native code); killed\n`);
        }
        if (--remaining === 0) void done();
      });
    }

    const done = async () => {
      clearInterval(watch);
      stopWatching();
      if (killTimer) clearTimeout(killTimer);
      await Promise.all(routes);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      cleanup();
      if (interrupted !== null) {
        process.stderr.write(`simdeck: interrupted by ${interrupted}; all ranks stopped\n`);
        finish(128 + signalNumber(interrupted));
      } else if (failure !== null) {
        process.stderr.write(`${failure.report}; the job was aborted\n`);
        finish(failure.status);
      } else if (deadlocked) {
        finish(EXIT_STATUS_DEADLOCK);
      } else if (hung) {
        finish(EXIT_STATUS_HANG);
      } else {
        finish(0);
      }
    };
  });
  const bundleError = await decksReady;
  if (bundleError !== null) throw bundleError;
  return status;
}

/** The user's SIMDECK_* settings, checked. Throws ArgumentError naming the variable. */
function environmentOptions(): { output: OutputMode | null; hangTimeout: number | null; wait: 'auto' | 'spin' | 'block' | null } {
  const e = process.env;
  const output = e[USER_ENV.OUTPUT] || null;
  if (output !== null && output !== 'prefixed' && output !== 'rank0' && output !== 'raw') {
    throw new ArgumentError(`${USER_ENV.OUTPUT} must be prefixed, rank0 or raw, got ${JSON.stringify(output)}`);
  }
  const hang = e[USER_ENV.HANG_TIMEOUT] || null;
  const hangTimeout = hang === null ? null : Number(hang);
  if (hangTimeout !== null && !(hangTimeout > 0 && Number.isFinite(hangTimeout))) {
    throw new ArgumentError(`${USER_ENV.HANG_TIMEOUT} must be a positive number of seconds, got ${JSON.stringify(hang)}`);
  }
  const wait = e[USER_ENV.WAIT] || null;
  if (wait !== null && wait !== 'auto' && wait !== 'spin' && wait !== 'block') {
    throw new ArgumentError(`${USER_ENV.WAIT} must be auto, spin or block, got ${JSON.stringify(wait)}`);
  }
  return { output: output as OutputMode | null, hangTimeout, wait: wait as 'auto' | 'spin' | 'block' | null };
}

function wakeAll(seg: Segment): void {
  for (let r = 0; r < seg.shape.size; r++) {
    const at = rankBlockOffset(r) + R.DOORBELL;
    Atomics.add(seg.i32, at >> 2, 1);
    futexWakeAll(seg.address + at);
  }
}
