// Peer side of the benchmarks: builds and runs the C + MPI (Open MPI, MPICH) and mpi4py programs
// in test/bench/peers/ and returns their parsed JSON, so a benchmark can put simdeck next to
// them in one run. Every runner resolves to null (reason on stderr) when its peer is not
// installed, and rejects with an Error naming the command when an installed peer fails.
// Messages go to stderr only: a benchmark's stdout is its markdown (see run.mjs).
//
// Launch flags (found on the 2-core Firecracker VM, Debian 12, running as root):
// - Open MPI refuses root without --allow-run-as-root, and more ranks than cores without
//   --oversubscribe. When oversubscribed, Open MPI turns on mpi_yield_when_idle by itself (4
//   ranks: barrier ~4 µs, mostly sys time; with --mca mpi_yield_when_idle 0 it is ~8 ms).
//   MPICH 4.0.2 (device ch4:ucx) keeps busy-polling, so 4 ranks on 2 cores cost a scheduler
//   slice per hop (barrier ~8 ms, allreduce ~4-8 ms); MPIR_CVAR_POLLS_BEFORE_YIELD=1 does not
//   change that. We measure both as they come and say so.
// - No MCA settings are needed here: the vader BTL's default single-copy mechanism (CMA,
//   process_vm_readv) works in this VM, and no hwloc or plm_rsh_agent complaint appears.
//   Where CMA is blocked (containers without CAP_SYS_PTRACE) Open MPI warns and one would set
//   OMPI_MCA_btl_vader_single_copy_mechanism=none: that halves 4 MiB bandwidth (~12.5 -> ~8
//   GB/s here) and cuts 64 MiB to ~2 GB/s, so pass it through `env` only when needed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Directory of the peer sources. */
export const PEERS_DIR = join(here, 'peers');
/** Directory of the compiled peers (gitignored). */
export const OUT_DIR = join(here, 'out');
/** Python with Debian's python3-mpi4py (the `python3` on PATH may be a pyenv one without it). */
export const PYTHON = '/usr/bin/python3';
/** Default ping-pong sizes in bytes: latency at 8 B and 1 KiB, bandwidth at 64 KiB..64 MiB. */
export const PINGPONG_SIZES = [8, 1024, 64 << 10, 1 << 20, 4 << 20, 64 << 20];
/** Collective names, in the order the C and Python programs run them (object forms: mpi4py only). */
export const COLLECTIVES = ['barrier', 'bcast_8B', 'bcast_1MiB', 'allreduce_8B', 'allreduce_1MiB',
  'allgather_8B', 'allgather_1MiB'];
/** mpi4py's pickled-object collectives. */
export const OBJECT_COLLECTIVES = ['bcast_obj_small', 'bcast_obj_1MiB', 'allreduce_obj_8B',
  'allgather_obj_8B'];

const MPIS = {
  openmpi: { cc: 'mpicc.openmpi', launcher: 'mpirun.openmpi' },
  mpich: { cc: 'mpicc.mpich', launcher: 'mpiexec.mpich' },
};
const PROGRAMS = ['pingpong', 'collectives', 'startup'];

function note(msg) {
  process.stderr.write(`peers: ${msg}\n`);
}

function runs(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20000 });
  return r.error ? null : r;
}

let available = null;

/** Launcher command and arguments for an `nranks` job on `mpi` ('openmpi' | 'mpich'); sync. */
export function mpiLaunch(mpi, nranks) {
  const m = MPIS[mpi];
  if (!m) throw new Error(`unknown MPI '${mpi}': use 'openmpi' or 'mpich'`);
  if (mpi === 'openmpi') {
    const args = [];
    if (process.getuid?.() === 0) args.push('--allow-run-as-root');
    if (nranks > cpus().length) args.push('--oversubscribe');
    return { cmd: m.launcher, args: [...args, '-np', String(nranks)] };
  }
  return { cmd: m.launcher, args: ['-n', String(nranks)] };
}

/**
 * Compiles the C peers with each installed mpicc into test/bench/out/ (only when a source is
 * newer than its binary, or when force) and checks mpi4py; sync, cached after the first call.
 * Returns { openmpi: bool, mpich: bool, mpi4py: bool, reasons: { [peer]: string } }.
 * Throws if an installed mpicc fails to compile a peer.
 */
export function buildPeers({ force = false } = {}) {
  if (available && !force) return available;
  const res = { openmpi: false, mpich: false, mpi4py: false, reasons: {} };
  mkdirSync(OUT_DIR, { recursive: true });
  for (const [mpi, m] of Object.entries(MPIS)) {
    const cc = runs(m.cc, ['-show']);
    const la = runs(m.launcher, ['--version']);
    if (!cc || cc.status !== 0 || !la) {
      res.reasons[mpi] = `${!cc || cc.status !== 0 ? m.cc : m.launcher} not found (install ` +
        `${mpi === 'openmpi' ? 'libopenmpi-dev openmpi-bin' : 'libmpich-dev mpich'})`;
      continue;
    }
    for (const prog of PROGRAMS) {
      const src = join(PEERS_DIR, `${prog}.c`);
      const bin = join(OUT_DIR, `${prog}.${mpi}`);
      if (!force && existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) continue;
      const r = spawnSync(m.cc, ['-O2', '-Wall', '-o', bin, src, '-lm'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${m.cc} ${src} failed:\n${r.stderr}`);
    }
    res[mpi] = true;
  }
  // Debian's python3-mpi4py is built against Open MPI, so it runs under mpirun.openmpi.
  const py = runs(PYTHON, ['-c', 'import mpi4py; mpi4py.rc.initialize = False; ' +
    'from mpi4py import MPI; print(MPI.Get_library_version())']);
  if (!py || py.status !== 0) {
    const why = py ? py.stderr.trim().split('\n').pop() : `${PYTHON} not found`;
    res.reasons.mpi4py = `${PYTHON} cannot load mpi4py (install python3-mpi4py): ${why}`;
  } else if (!/Open MPI/.test(py.stdout)) {
    res.reasons.mpi4py = `mpi4py is not built against Open MPI: ${py.stdout.split('\n')[0]}`;
  } else if (!res.openmpi) {
    res.reasons.mpi4py = 'mpi4py needs Open MPI\'s mpirun.openmpi';
  } else {
    res.mpi4py = true;
  }
  available = res;
  return res;
}

function unavailable(peer) {
  if (peer !== 'mpi4py' && !MPIS[peer]) throw new Error(`unknown MPI '${peer}': use 'openmpi' or 'mpich'`);
  const a = buildPeers();
  if (a[peer]) return false;
  note(`${peer} skipped: ${a.reasons[peer]}`);
  return true;
}

// Runs a job in its own process group; resolves with stdout, rejects on failure or timeout.
function job(cmd, args, { env, timeoutMs = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let out = '', err = '', timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = `${cmd} ${args.join(' ')}`;
      if (timedOut) reject(new Error(`${line}: timed out after ${timeoutMs} ms\n${err}`));
      else if (code !== 0) reject(new Error(`${line}: exit ${code ?? signal}\n${err}`));
      else resolve(out);
    });
  });
}

function parseJson(out, what) {
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`${what}: no JSON on stdout:\n${out}`);
  return JSON.parse(line);
}

function methodArgs({ trials = 15, targetMs = 30, warmupMs = 10 } = {}) {
  return ['-t', String(trials), '-m', String(targetMs), '-w', String(warmupMs)];
}

/**
 * C ping-pong (MPI_Send/MPI_Recv) between 2 ranks; async. opts: { trials=15, targetMs=30,
 * warmupMs=10, env, timeoutMs }. Resolves to null if `mpi` is not installed, else
 * { impl:'c', mpi, library, nranks:2, trials, target_ms, results: [{ path:'buffer', bytes,
 * iters, half_rtt_us, gbps, min_us, max_us, trial_us:[...] }] } (half_rtt_us is the median).
 */
export async function runCPingPong(mpi, sizes = PINGPONG_SIZES, opts = {}) {
  if (unavailable(mpi)) return null;
  const { cmd, args } = mpiLaunch(mpi, 2);
  const out = await job(cmd, [...args, join(OUT_DIR, `pingpong.${mpi}`), ...methodArgs(opts),
    ...sizes.map(String)], opts);
  return { mpi, ...parseJson(out, `pingpong.${mpi}`) };
}

/**
 * mpi4py ping-pong between 2 ranks under Open MPI; async. opts as runCPingPong plus
 * { buffer=true, object=true }. Resolves to null without mpi4py, else { impl:'mpi4py', mpi:
 * 'openmpi', mpi4py, python, library, buffer_kind:'numpy'|'bytearray', nranks, trials,
 * target_ms, results } where results hold { path:'buffer', bytes, ... } per size (Send/Recv),
 * then { path:'object', object:'small', bytes: pickled size, ... } for the small dict and
 * { path:'object', object:'bytes', bytes, ... } per size (send/recv of a bytes object); the
 * timing fields are those of runCPingPong.
 */
export async function runMpi4pyPingPong(sizes = PINGPONG_SIZES, opts = {}) {
  if (unavailable('mpi4py')) return null;
  const { buffer = true, object = true } = opts;
  const { cmd, args } = mpiLaunch('openmpi', 2);
  const out = await job(cmd, [...args, PYTHON, join(PEERS_DIR, 'pingpong.py'),
    ...methodArgs(opts), ...(buffer ? [] : ['--no-buffer']), ...(object ? [] : ['--no-object']),
    ...sizes.map(String)], opts);
  return { mpi: 'openmpi', ...parseJson(out, 'pingpong.py') };
}

/**
 * C collectives on `nranks` ranks (oversubscribed past the core count); async. opts as
 * runCPingPong plus { names = COLLECTIVES }. Resolves to null if `mpi` is not installed, else
 * { impl:'c', mpi, library, nranks, trials, target_ms, results: [{ name, path:'buffer', op,
 * bytes (per rank), total_bytes (allgather: received), iters, us (median per call), min_us,
 * max_us, trial_us:[...] }] }.
 */
export async function runCCollectives(mpi, nranks = 2, opts = {}) {
  if (unavailable(mpi)) return null;
  const { cmd, args } = mpiLaunch(mpi, nranks);
  const out = await job(cmd, [...args, join(OUT_DIR, `collectives.${mpi}`), ...methodArgs(opts),
    ...(opts.names ?? [])], opts);
  return { mpi, ...parseJson(out, `collectives.${mpi}`) };
}

/**
 * mpi4py collectives on `nranks` ranks under Open MPI, buffer forms (COLLECTIVES) and object
 * forms (OBJECT_COLLECTIVES); async. opts as runCCollectives (names default: both lists).
 * Resolves to null without mpi4py, else the runCCollectives shape with impl:'mpi4py', mpi4py,
 * python, buffer_kind, and path:'buffer'|'object' per result.
 */
export async function runMpi4pyCollectives(nranks = 2, opts = {}) {
  if (unavailable('mpi4py')) return null;
  const { cmd, args } = mpiLaunch('openmpi', nranks);
  const out = await job(cmd, [...args, PYTHON, join(PEERS_DIR, 'collectives.py'),
    ...methodArgs(opts), ...(opts.names ?? [])], opts);
  return { mpi: 'openmpi', ...parseJson(out, 'collectives.py') };
}

function timeLaunches(cmd, args, repeats, what) {
  const runs_ms = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.error || r.status !== 0) {
      throw new Error(`${what}: ${cmd} ${args.join(' ')}: ${r.error ?? `exit ${r.status}`}\n${r.stderr}`);
    }
    runs_ms.push(ms);
  }
  return { median_ms: median(runs_ms), min_ms: Math.min(...runs_ms), runs_ms };
}

/**
 * Wall time of `mpirun -np nranks /usr/bin/python3 -c 'from mpi4py import MPI'`, median of
 * `repeats` runs; async. Resolves to null without mpi4py, else { impl:'mpi4py', mpi:'openmpi',
 * nranks, repeats, median_ms, min_ms, runs_ms:[...] }.
 */
export async function timeMpi4pyStartup(nranks = 2, repeats = 5) {
  if (unavailable('mpi4py')) return null;
  const { cmd, args } = mpiLaunch('openmpi', nranks);
  const t = timeLaunches(cmd, [...args, PYTHON, '-c', 'from mpi4py import MPI'], repeats, 'mpi4py start-up');
  return { impl: 'mpi4py', mpi: 'openmpi', nranks, repeats, ...t };
}

/**
 * Wall time of launching a C program that only does MPI_Init/MPI_Finalize on `nranks` ranks,
 * median of `repeats` runs; async. Resolves to null if `mpi` is not installed, else
 * { impl:'c', mpi, nranks, repeats, median_ms, min_ms, runs_ms:[...] }.
 */
export async function timeCStartup(mpi, nranks = 2, repeats = 5) {
  if (unavailable(mpi)) return null;
  const { cmd, args } = mpiLaunch(mpi, nranks);
  const t = timeLaunches(cmd, [...args, join(OUT_DIR, `startup.${mpi}`)], repeats, `${mpi} start-up`);
  return { impl: 'c', mpi, nranks, repeats, ...t };
}

function cpuTimes() {
  // first line of /proc/stat: cpu user nice system idle iowait irq softirq steal ...
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] || 0);
  return { idle, total: f.reduce((a, b) => a + b, 0) };
}

/**
 * How busy the machine is before a measurement: samples /proc/stat over `ms` (default 300) and
 * resolves to { busy_cores, cores, busy_fraction } (null where /proc/stat is missing); async.
 * Other processes spinning on the cores (e.g. a concurrent simdeck job) skew every number here
 * by up to 10x, so a benchmark should print this next to its tables and warn above ~0.2 cores.
 */
export async function cpuBusy(ms = 300) {
  if (!existsSync('/proc/stat')) return null;
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  const n = cpus().length;
  const frac = b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
  return { busy_cores: frac * n, cores: n, busy_fraction: frac };
}

function ownTicks() {
  // utime, stime, cutime, cstime of this process (fields 14-17 of /proc/self/stat); cutime and
  // cstime include every waited-for descendant: the launchers and, through them, the ranks
  const f = readFileSync('/proc/self/stat', 'utf8');
  const a = f.slice(f.lastIndexOf(')') + 2).split(' ').map(Number);
  return a[11] + a[12] + a[13] + a[14];
}

/**
 * Starts watching for other processes' CPU use (e.g. someone else's job on the same machine);
 * sync. Returns { stop() } where stop() -> { wall_s, others_cpu_s, others_cores } (null where
 * /proc is missing): the machine's busy CPU time over the interval minus this process's and
 * its finished children's. Resolution is a clock tick (10 ms); children still running at stop()
 * are counted as others, so stop after awaiting the runs.
 */
export function watchOthersLoad() {
  if (!existsSync('/proc/stat')) return { stop: () => null };
  const a = cpuTimes(), own = ownTicks(), t0 = process.hrtime.bigint();
  return {
    stop() {
      const b = cpuTimes(), hz = 100; // USER_HZ, which /proc reports in on Linux
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const busy = ((b.total - b.idle) - (a.total - a.idle)) / hz;
      const others = Math.max(0, busy - (ownTicks() - own) / hz);
      return { wall_s: wall, others_cpu_s: others, others_cores: wall > 0 ? others / wall : 0 };
    },
  };
}

/** Median of an array of numbers (mean of the middle two for even length; NaN if empty). */
export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Formats a number for a table: 3 significant digits below 100, integers above; '—' for null/NaN. */
export function fmt(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (typeof x !== 'number') return String(x);
  if (Math.abs(x) >= 100) return x.toFixed(0);
  return Number(x.toPrecision(3)).toString();
}

/** Markdown table from headers and rows of cells (numbers go through fmt and align right). */
export function markdownTable(headers, rows) {
  const cell = (c) => (typeof c === 'number' || c === null || c === undefined ? fmt(c) : String(c))
    .replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const numeric = headers.map((_, j) => rows.length > 0 &&
    rows.every((r) => typeof r[j] === 'number' || r[j] === null || r[j] === undefined));
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [
    line(headers.map(cell)),
    line(headers.map((_, j) => (numeric[j] ? '---:' : '---'))),
    ...rows.map((r) => line(headers.map((_, j) => cell(r[j])))),
  ].join('\n');
}

/**
 * C + MPI heat2d (test/bench/peers/heat2d_mpi.c linked with native-examples/heat2d/heat.c, both
 * -O2, compiled into test/bench/out/heat2d.<mpi> when a source is newer) on `nranks` ranks;
 * async. `args` go to the program (-n N -t trials -k steps_per_trial -w warmup -h halo_calls).
 * Resolves to null if `mpi` is not installed, else { mpi, impl:'c', library, nranks, n, trials,
 * steps_per_trial, halo_calls, warmup, step, overlap, kernel, halo: { us (median of the trials'
 * slowest-rank µs per call), trial_us:[...] }, total (global sum of the final field) }.
 */
export async function runCHeat2d(mpi, nranks = 2, args = [], opts = {}) {
  if (unavailable(mpi)) return null;
  const srcs = [join(PEERS_DIR, 'heat2d_mpi.c'), join(here, '..', '..', 'native-examples', 'heat2d', 'heat.c')];
  const bin = join(OUT_DIR, `heat2d.${mpi}`);
  if (!existsSync(bin) || srcs.some((s) => statSync(s).mtimeMs > statSync(bin).mtimeMs)) {
    const r = spawnSync(MPIS[mpi].cc, ['-O2', '-Wall', '-o', bin, ...srcs], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${MPIS[mpi].cc} ${srcs.join(' ')} failed:\n${r.stderr}`);
  }
  const { cmd, args: launch } = mpiLaunch(mpi, nranks);
  const out = await job(cmd, [...launch, bin, ...args.map(String)], opts);
  return { mpi, ...parseJson(out, `heat2d.${mpi}`) };
}
