#!/usr/bin/env node
/**
 * Counts the file-system calls each rank of a job makes on the project's and the user's files,
 * with strace (Debian package `strace`):
 *
 *   node scripts/startup-strace.mjs [--transport shm|mpi] [-n 4] [--json] [deck.ts]
 *
 * Runs `simdeck run -n N deck` under `strace -f -v -e trace=%file,%desc,%process`, groups the
 * calls by process (threads folded into their process), finds the rank processes from their
 * environment at execve (SIMDECK_RANK, OMPI_COMM_WORLD_RANK, PMI_RANK), and counts per rank:
 *   - `path`: calls that name a path under the project's tree (this package: dist/, src/,
 *     node_modules/), the deck's directory, the bundle cache or the job's temp directory
 *     (opens, stats, readlinks, accesses, failed lookups included; not getcwd, which only
 *     returns the process's own record of its directory);
 *   - `fd`: calls on descriptors opened on such a path (read, fstat, mmap, close, ...);
 *   - `all`: every %file/%desc call of the process, whatever its target.
 * The reader is the launcher on shm and world rank 0 under MPI; the acceptance figure is the
 * largest `path` count among the other ranks. Exit status 0; the table (or JSON) on stdout.
 * Used by test/runtime/startupFs.test.ts and test/bench/startup.bench.mjs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Parses `strace -f` output into per-process counts. Exported for the test. */
export function countCalls(text, roots) {
  const inRoots = (p) => roots.some((r) => p === r || p.startsWith(r + '/'));
  const tgidOf = new Map(); // tid -> tgid
  const procs = new Map(); // tgid -> { env, argv, path, fd, all, fds: Map }
  const proc = (tid) => {
    const tgid = tgidOf.get(tid) ?? tid;
    let p = procs.get(tgid);
    if (!p) { p = { pid: tgid, argv: '', env: {}, path: 0, fd: 0, all: 0, fds: new Map(), paths: new Map() }; procs.set(tgid, p); }
    return p;
  };
  const pending = new Map(); // tid -> unfinished line
  for (let line of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const tid = Number(m[1]);
    let body = m[2];
    if (body.endsWith('<unfinished ...>')) { pending.set(tid, body.slice(0, -'<unfinished ...>'.length)); continue; }
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(body);
    if (resumed) { body = (pending.get(tid) ?? `${resumed[1]}(`) + resumed[2]; pending.delete(tid); }
    const call = /^(\w+)\((.*)\)\s+=\s+(-?\d+|\?|0x[0-9a-f]+)/.exec(body);
    if (!call) continue;
    const [, name, rawArgs, ret] = call;
    const args = rawArgs.trim();
    if (name === 'clone' || name === 'clone3' || name === 'vfork' || name === 'fork') {
      const child = Number(ret);
      if (child > 0 && /CLONE_THREAD/.test(args)) tgidOf.set(child, tgidOf.get(tid) ?? tid);
      continue;
    }
    if (name === 'exit' || name === 'exit_group' || name === 'wait4' || name === 'waitid' || name === 'kill' || name === 'tgkill') continue;
    const p = proc(tid);
    if (name === 'execve' && ret === '0') {
      const argv = /^"[^"]*", \[(.*?)\], (?:0x[0-9a-f]+ \/\* \d+ vars \*\/|\[(.*)\])$/.exec(args);
      p.argv = argv ? argv[1] : args;
      p.env = {};
      for (const kv of (argv?.[2] ?? '').matchAll(/"([A-Z_][A-Z0-9_]*)=([^"]*)"/g)) p.env[kv[1]] = kv[2];
      p.path = 0; p.fd = 0; p.all = 0; p.fds.clear(); p.paths.clear();
      continue;
    }
    p.all++;
    const path = /"((?:\/|\.)[^"]*)"/.exec(args)?.[1];
    // getcwd reads the process's own record of its directory: no file-system lookup.
    if (path !== undefined && inRoots(path) && name !== 'getcwd') {
      p.path++;
      p.paths.set(`${name} ${path}`, (p.paths.get(`${name} ${path}`) ?? 0) + 1);
      if ((name === 'openat' || name === 'open') && Number(ret) >= 0) p.fds.set(Number(ret), path);
      continue;
    }
    const fdArg = name === 'mmap' ? /^[^,]*,[^,]*,[^,]*,[^,]*, (-?\d+)/.exec(args)?.[1] : /^(\d+)[,)]?/.exec(args)?.[1];
    if (fdArg !== undefined && p.fds.has(Number(fdArg))) {
      p.fd++;
      if (name === 'close') p.fds.delete(Number(fdArg));
    }
  }
  return [...procs.values()];
}

function rankOf(p) {
  for (const v of ['SIMDECK_RANK', 'OMPI_COMM_WORLD_RANK', 'PMI_RANK']) if (p.env[v] !== undefined) return Number(p.env[v]);
  return null;
}

/** Runs one traced job; returns { ranks: [{rank, pid, path, fd, all, top}], launcher, reader }. */
export function traceJob({ transport = 'shm', ranks = 4, deck = join(root, 'test', 'bench', 'decks', 'empty.ts'), mpi = 'openmpi' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'simdeck-strace-'));
  const out = join(dir, 'trace');
  const main = join(root, 'dist', 'src', 'cli', 'main.js');
  const args = ['-f', '-qq', '-o', out, '-s', '512', '-e', 'trace=%file,%desc,%process', '-v',
    process.execPath, main, 'run', ...(transport === 'mpi' ? ['--mpi', mpi] : []), '-n', String(ranks), deck];
  const r = spawnSync('strace', args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`strace ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.error ?? ''}`);
  }
  let user = 'user';
  try { user = userInfo().username; } catch { /* none */ }
  const roots = [root, dirname(resolve(deck)), join(tmpdir(), `simdeck-bundles-${user}`), process.env.SIMDECK_CACHE_DIR ?? join(root, '.no-cache-dir')];
  const text = readFileSync(out, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  // Job directories: /tmp/simdeck-<pid>-XXXXXX (the bundle and the output socket live there).
  const jobDirs = [...new Set([...text.matchAll(/"(\/tmp\/simdeck-\d+-[A-Za-z0-9]+)/g)].map((m) => m[1]))];
  const procs = countCalls(text, [...roots, ...jobDirs]);
  const top = (p) => [...p.paths.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => `${n}× ${k}`);
  const rankProcs = procs.filter((p) => rankOf(p) !== null && /node/.test(p.argv))
    .map((p) => ({ rank: rankOf(p), pid: p.pid, path: p.path, fd: p.fd, all: p.all, top: top(p) }))
    .sort((a, b) => a.rank - b.rank);
  const launcher = procs.find((p) => / "run", /.test(p.argv) && /main\.js/.test(p.argv));
  return {
    transport, ranks: rankProcs,
    launcher: launcher ? { pid: launcher.pid, path: launcher.path, fd: launcher.fd, all: launcher.all } : null,
    readerRank: transport === 'mpi' ? 0 : null,
  };
}

/** The largest `path` count among ranks other than the reader. */
export function worstNonReader(job) {
  return Math.max(...job.ranks.filter((r) => r.rank !== job.readerRank).map((r) => r.path));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2);
  const opt = (name, dflt) => { const i = a.indexOf(name); return i >= 0 ? a[i + 1] : dflt; };
  const job = traceJob({
    transport: opt('--transport', 'shm'), ranks: Number(opt('-n', '4')), mpi: opt('--mpi', 'openmpi'),
    deck: a.find((x) => /\.(m|c)?(t|j)s$/.test(x)) ?? undefined,
  });
  if (a.includes('--json')) {
    process.stdout.write(JSON.stringify(job, null, 2) + '\n');
  } else {
    process.stdout.write(`${job.transport}, ${job.ranks.length} ranks` +
      (job.launcher ? `; launcher: ${job.launcher.path} path calls, ${job.launcher.fd} fd calls, ${job.launcher.all} in all` : '') + '\n');
    for (const r of job.ranks) {
      process.stdout.write(`rank ${r.rank}${r.rank === job.readerRank ? ' (reader)' : ''}: ${r.path} path calls on project/user files, ` +
        `${r.fd} calls on their descriptors, ${r.all} file/descriptor calls in all\n`);
      if (a.includes('-v')) for (const t of r.top) process.stdout.write(`    ${t}\n`);
    }
    process.stdout.write(`largest count on a non-reader rank: ${worstNonReader(job)}\n`);
  }
}
