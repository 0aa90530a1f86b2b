/**
 * The launcher behind `simdeck run`: creates the job's shared-memory segment (as a file of
 * /dev/shm, header written, without koffi), starts one Node process per rank, and while they
 * start hands each rank its deck's self-contained rank bundle through a pipe (the ranks read no
 * project or user file: see rankBoot.ts), compiled once here (or taken from the bundle cache,
 * with V8's code cache of it); then routes their output, watches for failures and hangs, and
 * cleans up (no rank process, no segment left) however the job ends. It maps the segment (and
 * so loads koffi) only when it must look into it: WATCH_DELAY_MS after the start, or at once when
 * a rank fails or a signal comes; a job that ends before never loads it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism, constants as osConstants } from 'node:os';
import { resolve } from 'node:path';
import { bindingMode, EXIT_ABORTED, EXIT_DEADLOCK, EXIT_HANG, EXIT_STATUS_DEADLOCK, jobEnvironment, USER_ENV } from '../runtime/jobEnv.js';
import type { RunOptions } from './args.js';
import { ArgumentError, DeckError } from '../errors.js';
import { routeLines, type OutputMode } from './output.js';
import { watchInvoker } from './invokerWatch.js';
import { RANK_CA_ENV, shmBootSource, type ShmHandover } from '../runtime/rankBoot.js';
import { createSegmentFile, newSegmentName, removeSegmentFile, sweepStale } from '../transport/shm/segmentFile.js';
import { buildRankBundle, cachedRankBundle, type RankBundle } from '../runtime/rankBundle.js';
import { readCodeCache, storeCodeCache } from '../runtime/bundleCache.js';
import type { Segment } from '../transport/shm/segment.js';
import { Abort, defaultRingBytes, H, R, rankBlockOffset } from '../transport/shm/layout.js';
import type { DeadlockWatch } from '../transport/shm/deadlockWatch.js';

/** Exit status the launcher uses when hang diagnosis aborts a job. */
export const EXIT_STATUS_HANG = 124;

interface RankProcess {
  rank: number;
  child: ChildProcess;
  exited: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Settles when the process has exited (listened for from its spawn on: none is missed while the launcher loads). */
  left: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The segment as the launcher maps it when it must (see runJob). */
interface Mapped {
  seg: Segment;
  deadlockWatch: DeadlockWatch;
  readKernelTraceSlot: (slot: Uint8Array) => string;
  futexWakeAll: (address: number) => void;
}

/** How long after the start the launcher first looks into the segment (maps it), and how often then (ms). */
const WATCH_DELAY_MS = 200;
const WATCH_MS = 50;

function signalNumber(signal: NodeJS.Signals): number {
  return (osConstants.signals as Record<string, number>)[signal] ?? 1;
}

/** Node options that make a process load code of its own at start (which may then use TLS). */
const PRELOADS = /(^|\s)(-r|--require|--import|--loader|--experimental-loader)(\s|=|$)/;

/**
 * Whether the ranks of an app start without NODE_EXTRA_CA_CERTS in their environment (it then
 * travels as RANK_CA_ENV, and the bootstrap puts it back into `process.env` before the deck
 * runs, for the programs the deck starts). Node 20 reads and parses that file at the start of
 * every process, TLS used or not: ~90 ms per rank with a system bundle of ~140 certificates.
 * Only for a deck whose cached bundle cannot reach TLS (rankBundle.ts mayUseTls), with no
 * preloaded code in NODE_OPTIONS or SIMDECK_NODE_ARGS, and unless SIMDECK_RANK_CA=1.
 */
function ranksSkipCa(bundle: RankBundle | null, nodeArgs: string[]): boolean {
  const e = process.env;
  if (!e.NODE_EXTRA_CA_CERTS || e.SIMDECK_RANK_CA === '1' || bundle === null || bundle.mayUseTls) return false;
  return !PRELOADS.test(e.NODE_OPTIONS ?? '') && !PRELOADS.test(nodeArgs.join(' '));
}

/**
 * What goes down a rank's pipe: the handover line, the bundle, and V8's code cache of it
 * (rankBoot.ts ShmHandover). `makeCodeCache` asks the rank for a code cache when none was sent
 * or V8 rejects it.
 */
function handover(bundle: RankBundle, codeCache: Buffer | null, makeCodeCache: boolean): Buffer[] {
  const head: ShmHandover = { bundle: bundle.text.length, codeCache: codeCache?.length ?? 0, makeCodeCache };
  return [Buffer.from(JSON.stringify(head) + '\n'), bundle.text, ...(codeCache === null ? [] : [codeCache])];
}

/**
 * Collects the code cache a rank writes back up its pipe (`{"codeCache":n}` and n bytes) and
 * keeps it with the bundle. Resolves when the pipe closes. Never rejects.
 */
function keepCodeCache(pipe: Socket, bundle: RankBundle, store: (entry: string, text: Buffer, data: Buffer) => void): Promise<void> {
  return new Promise((done) => {
    const parts: Buffer[] = [];
    pipe.on('data', (b: Buffer) => parts.push(b));
    const finish = () => {
      const data = Buffer.concat(parts);
      parts.length = 0;
      const nl = data.indexOf(10);
      if (nl > 0 && bundle.entry !== null) {
        try {
          const n = (JSON.parse(data.toString('utf8', 0, nl)) as { codeCache: number }).codeCache;
          if (n > 0 && data.length === nl + 1 + n) store(bundle.entry, bundle.text, data.subarray(nl + 1));
        } catch { /* not kept */ }
      }
      done();
    };
    pipe.once('end', finish);
    pipe.once('close', finish);
    pipe.once('error', finish);
  });
}

/**
 * Runs a job to completion and returns the exit status for the process: 0 when every rank
 * succeeded, else the failing rank's status (128 + signal number when a signal killed it).
 * Writes diagnostics to stderr. Throws DeckError/ArgumentError before any rank runs a deck
 * (ranks already started then end at once), and a system error when the segment cannot be
 * created (before any rank starts).
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
  // The decks' bundles from the cache (when there): they say what the ranks need at start.
  const cached = opts.apps.map((app) => cachedRankBundle('shm', app.deck));
  const segName = newSegmentName();
  createSegmentFile(segName, { size, ringBytes: defaultRingBytes(size), spin, cma: process.env[USER_ENV.CMA] !== '0' });

  // Extra Node options for every rank (--cpu-prof, --max-old-space-size=..., --inspect=0, ...).
  const nodeArgs = (process.env[USER_ENV.NODE_ARGS] ?? '').split(/\s+/).filter((a) => a !== '');
  const ranks: RankProcess[] = [];
  // The rank bundle of each app goes down these pipes (descriptor 3 of each rank).
  const bundlePipes: Socket[][] = opts.apps.map(() => []);
  const boot = ['-e', shmBootSource()];
  let rank = 0;
  opts.apps.forEach((app, appIndex) => {
    const appRanks = Array.from({ length: app.ranks }, (_, k) => rank + k);
    const base: NodeJS.ProcessEnv = { ...process.env };
    if (ranksSkipCa(cached[appIndex], nodeArgs)) {
      base[RANK_CA_ENV] = base.NODE_EXTRA_CA_CERTS;
      delete base.NODE_EXTRA_CA_CERTS;
    }
    for (let k = 0; k < app.ranks; k++, rank++) {
      const env = {
        ...base,
        ...jobEnvironment({
          segment: segName, rank, launcherPid: process.pid, bundle: '',
          deck: resolve(app.deck), args: app.args, appIndex, appRanks,
        }),
      };
      const out = output === 'raw' || (output === 'rank0' && rank === 0) ? 'inherit' : output === 'rank0' ? 'ignore' : 'pipe';
      const err = output === 'raw' ? 'inherit' : 'pipe';
      const child = spawn(process.execPath, [...nodeArgs, ...boot], { env, stdio: [rank === 0 ? 'inherit' : 'ignore', out, err, 'pipe'] });
      const pipe = child.stdio[3] as Socket;
      pipe.on('error', () => { /* the rank is gone: its exit is reported */ });
      bundlePipes[appIndex].push(pipe);
      const p: RankProcess = { rank, child, exited: false, code: null, signal: null, left: Promise.resolve({ code: null, signal: null }) };
      p.left = new Promise((settle) => child.once('exit', (code, signal) => {
        p.exited = true;
        p.code = code;
        p.signal = signal;
        settle({ code, signal });
      }));
      ranks.push(p);
    }
  });

  const routes: Promise<void>[] = [];
  for (const p of ranks) {
    if (p.child.stdout) routes.push(routeLines(p.child.stdout, process.stdout, `[${p.rank}] `));
    if (p.child.stderr) routes.push(routeLines(p.child.stderr, process.stderr, output === 'raw' ? '' : `[${p.rank}] `));
  }

  // The segment is mapped here (koffi) only when the launcher must read or change it: the first
  // watch (WATCH_DELAY_MS after the start), or a rank's failure, a signal. A short job never needs it.
  let unlinked = false;
  let finished = false;
  let mapped: Mapped | null = null;
  let mapping: Promise<Mapped | null> | null = null;
  const map = (): Promise<Mapped | null> => (mapping ??= (async () => {
    const [segment, { DeadlockWatch }, { readKernelTraceSlot }, { futexWakeAll }] = await Promise.all([
      import('../transport/shm/segment.js'), import('../transport/shm/deadlockWatch.js'), import('../runtime/kernelTrace.js'),
      import('../system/libc.js'),
    ]);
    if (unlinked) return null; // the job has ended meanwhile
    const seg = segment.attachSegment(segName);
    mapped = { seg, deadlockWatch: new DeadlockWatch(seg), readKernelTraceSlot, futexWakeAll };
    return mapped;
  })().catch(() => null));
  const cleanup = () => {
    if (!unlinked) { removeSegmentFile(segName); unlinked = true; }
  };

  // Every deck is read and compiled once, here, while the ranks start; an empty pipe means it failed.
  const bundling = (async () => {
    const bundles: RankBundle[] = [];
    for (let i = 0; i < opts.apps.length; i++) bundles.push(cached[i] ?? await buildRankBundle('shm', opts.apps[i].deck));
    bundles.forEach((bundle, i) => {
      const codeCache = bundle.codeCacheable && bundle.entry !== null ? readCodeCache(bundle.entry, bundle.text) : null;
      bundlePipes[i].forEach((pipe, k) => {
        // The app's first rank makes V8's code cache when there is none it can use.
        const make = k === 0 && bundle.codeCacheable && bundle.entry !== null;
        if (make) routes.push(keepCodeCache(pipe, bundle, storeCodeCache));
        const parts = handover(bundle, codeCache, make);
        for (let j = 0; j < parts.length - 1; j++) pipe.write(parts[j]);
        pipe.end(parts[parts.length - 1]);
      });
    });
  })();
  const decksReady = bundling.then(
    () => null,
    (e: unknown) => {
      for (const pipes of bundlePipes) for (const pipe of pipes) pipe.end();
      return e;
    },
  );

  const status = await new Promise<number>((finish) => {
    let failure: { rank: number; status: number; report: string } | null = null;
    let hung = false;
    let deadlocked = false;
    let killTimer: NodeJS.Timeout | null = null;
    let interrupted: NodeJS.Signals | null = null;

    const abortJob = (code: number, abortRank: number) => {
      void map().then((m) => {
        if (m === null) return; // the kill below ends the ranks
        if (Atomics.compareExchange(m.seg.i32, H.ABORT, Abort.NONE, code) === Abort.NONE) {
          Atomics.store(m.seg.i32, H.ABORT_RANK, abortRank);
        }
        for (let r = 0; r < size; r++) { // wake every rank
          const at = rankBlockOffset(r) + R.DOORBELL;
          Atomics.add(m.seg.i32, at >> 2, 1);
          m.futexWakeAll(m.seg.address + at);
        }
      });
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

    const check = (m: Mapped) => {
      const seg = m.seg;
      if (!unlinked && Atomics.load(seg.i32, H.ATTACHED) === size) cleanup();
      if (!deadlocked && !hung && failure === null && interrupted === null && m.deadlockWatch.check(Date.now(), (r) => ranks[r].exited)) {
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
    };
    let watch: NodeJS.Timeout | null = null;
    const startWatch = setTimeout(() => {
      void map().then((m) => {
        if (m === null || finished) return;
        check(m);
        watch = setInterval(() => check(m), WATCH_MS);
      });
    }, WATCH_DELAY_MS);

    let remaining = ranks.length;
    for (const p of ranks) {
      void p.left.then(async ({ code, signal }) => {
        const ok = code === 0;
        // A rank that failed: the abort word (was it stopped by another's failure?), its kernel slot, the abort.
        const m = ok ? null : await map();
        const quietAbort = (code === EXIT_ABORTED && m !== null && Atomics.load(m.seg.i32, H.ABORT) !== Abort.NONE) || (deadlocked && code === EXIT_DEADLOCK);
        if (!ok && failure === null && !hung && !deadlocked && interrupted === null && !quietAbort) {
          const status = signal ? 128 + signalNumber(signal) : code ?? 1;
          let report = signal
            ? `simdeck: rank ${p.rank} was killed by signal ${signal}`
            : `simdeck: rank ${p.rank} failed with exit status ${code}`;
          if (signal && m !== null) {
            const kernel = m.readKernelTraceSlot(m.seg.u8.subarray(rankBlockOffset(p.rank) + R.KERNEL));
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
      finished = true;
      clearTimeout(startWatch);
      if (watch !== null) clearInterval(watch);
      stopWatching();
      if (killTimer) clearTimeout(killTimer);
      await Promise.all(routes);
      if (mapping !== null) await mapping; // a mapping under way ends before the name goes
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
  if (bindingMode(e[USER_ENV.BIND]) === null) {
    throw new ArgumentError(`${USER_ENV.BIND} must be auto, none or 0, got ${JSON.stringify(e[USER_ENV.BIND])}`);
  }
  return { output: output as OutputMode | null, hangTimeout, wait: wait as 'auto' | 'spin' | 'block' | null };
}
