// Building kernels: content cache, flags, compiler errors, and compile-once across processes that
// ask at the same instant (lock file + atomic rename; waiters sleep). Real compilers throughout;
// a wrapper script in front of cc counts the compilations.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { KernelBuildError, buildKernels, cacheDirectory, loadKernels } from '../../src/kernels/index.js';
import { buildNativeExamples } from '../../src/kernels/buildNative.js';
import { describeFortran, example, fixture, freshDir, kernelsBundle, root } from './helpers.js';

/** A `cc` that logs each compile (-c) to `log`, optionally sleeping first, then runs the real cc. */
function countingCc(dir: string, sleepSeconds = 0): { cc: string; compiles: () => number } {
  const log = join(dir, 'cc.log');
  const cc = join(dir, 'cc-counting');
  writeFileSync(cc, `#!/bin/sh
case " $* " in *" -c "*) echo "$$ $*" >> ${JSON.stringify(log)}; sleep ${sleepSeconds};; esac
exec cc "$@"
`);
  chmodSync(cc, 0o755);
  return { cc, compiles: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter((l) => l !== '').length : 0) };
}

function source(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('cache', () => {
  test('compiled once, then served from the cache by content', () => {
    const dir = freshDir(), cacheDir = join(dir, 'cache');
    const { cc, compiles } = countingCc(dir);
    const src = source(dir, 'k.c', 'int k(int x) { return x + 1; }\n');
    const a = buildKernels([src], { cc, cacheDir });
    expect(a.how).toBe('built');
    expect(a.path.startsWith(cacheDir)).toBe(true);
    expect(buildKernels([src], { cc, cacheDir })).toMatchObject({ how: 'cached', path: a.path });
    expect(compiles()).toBe(1);
    // the same content under another name and place is the same library
    const moved = join(freshDir(), 'k.c');
    copyFileSync(src, moved);
    expect(buildKernels([moved], { cc, cacheDir }).hash).toBe(a.hash);
    // new content, new flags, another compiler: new libraries
    writeFileSync(src, 'int k(int x) { return x + 2; }\n');
    const b = buildKernels([src], { cc, cacheDir });
    expect(b.how).toBe('built');
    expect(b.path).not.toBe(a.path);
    expect(buildKernels([src], { cc, cacheDir, cflags: ['-O0'] }).path).not.toBe(b.path);
    expect(buildKernels([src], { cacheDir }).path).not.toBe(b.path);   // `cc` is another compiler command
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.lock') || f.includes('.tmp-'))).toEqual([]);
  });

  test('flags reach the compiler', () => {
    const dir = freshDir();
    const src = source(dir, 'flags.c', 'int value(void) { return VALUE; }\n');
    const three = loadKernels(src, null, { cacheDir: join(dir, 'cache'), cflags: ['-O2', '-DVALUE=3'] });
    const five = loadKernels(src, null, { cacheDir: join(dir, 'cache'), cflags: ['-O2', '-DVALUE=5'] });
    expect(three.value!()).toBe(3);
    expect(five.value!()).toBe(5);
    expect(three.$.path).not.toBe(five.$.path);
  });

  test('a change in a local header changes the library', () => {
    const dir = freshDir(), cacheDir = join(dir, 'cache');
    source(dir, 'inc.h', '#define VALUE 1\n');
    const src = source(dir, 'withinc.c', '#include "inc.h"\nint value(void) { return VALUE; }\n');
    const one = buildKernels([src], { cacheDir });
    writeFileSync(join(dir, 'inc.h'), '#define VALUE 2\n');
    const two = buildKernels([src], { cacheDir });
    expect(two.how).toBe('built');
    expect(two.path).not.toBe(one.path);
    expect(loadKernels(src, null, { cacheDir }).value!()).toBe(2);
  });

  test('the default cache directory: $SIMDECK_CACHE_DIR, else node_modules/.cache/simdeck/kernels of the project', () => {
    const saved = process.env.SIMDECK_CACHE_DIR;
    try {
      delete process.env.SIMDECK_CACHE_DIR;
      expect(cacheDirectory()).toBe(join(root, 'node_modules', '.cache', 'simdeck', 'kernels'));
      process.env.SIMDECK_CACHE_DIR = '/tmp/elsewhere';
      expect(cacheDirectory()).toBe('/tmp/elsewhere');
      expect(cacheDirectory({ cacheDir: '/tmp/mine' })).toBe('/tmp/mine');
    } finally {
      if (saved === undefined) delete process.env.SIMDECK_CACHE_DIR; else process.env.SIMDECK_CACHE_DIR = saved;
    }
  });
});

describe('errors', () => {
  test('a compiler error surfaces with the compiler\'s message', () => {
    const cacheDir = join(freshDir(), 'cache');
    let e: unknown;
    try { loadKernels(fixture('broken.c'), null, { cacheDir }); } catch (x) { e = x; }
    expect(e).toBeInstanceOf(KernelBuildError);
    const err = e as KernelBuildError;
    expect(err.message).toMatch(/compiling .*broken\.c failed/);
    expect(err.message).toMatch(/broken\.c:2:\d+: error: expected expression/);
    expect(err.output).toMatch(/error: expected expression/);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.so') || f.endsWith('.lock'))).toEqual([]);
  });

  test('a missing compiler says which and how to install it', () => {
    const src = fixture('crash.c');
    expect(() => buildKernels([src], { cc: 'no-such-cc-here', cacheDir: freshDir() })).toThrow(/cannot run the C compiler 'no-such-cc-here'/);
    expect(() => buildKernels([example('heat2d/heat.f90')], { fc: 'no-such-gfortran', cacheDir: freshDir() })).toThrow(/apt-get install gfortran/);
  });

  test('unknown source kinds and missing files', () => {
    expect(() => buildKernels([join(root, 'package.json')])).toThrow(/not a C \(\.c\) or Fortran/);
    expect(() => buildKernels(['/no/such/file.c'])).toThrow(/source file not found/);
    expect(() => buildKernels([])).toThrow(/no sources/);
  });
});

describe('one compile per machine', () => {
  /** Starts `n` node processes that call buildKernels on `src` at the same instant. */
  async function race(n: number, src: string, opts: Record<string, unknown>): Promise<{ how?: string; error?: string; cpuMs: number; wallMs: number }[]> {
    const bundle = kernelsBundle();
    const startAt = Date.now() + 800;
    const script = `
      const { buildKernels } = await import(${JSON.stringify(bundle)});
      while (Date.now() < ${startAt}) {}
      const c0 = process.cpuUsage(), t0 = Date.now();
      let out;
      try { out = { how: buildKernels([${JSON.stringify(src)}], ${JSON.stringify(opts)}).how }; }
      catch (e) { out = { error: e.constructor.name + ': ' + e.message }; }
      const c = process.cpuUsage(c0);
      console.log(JSON.stringify({ ...out, cpuMs: (c.user + c.system) / 1000, wallMs: Date.now() - t0 }));`;
    const runs = Array.from({ length: n }, () => new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
    }));
    return (await Promise.all(runs)).map((o) => JSON.parse(o.trim()) as { how?: string; error?: string; cpuMs: number; wallMs: number });
  }

  test('6 processes asking at once: one compiles, the others sleep until the library appears', async () => {
    const dir = freshDir();
    const { cc, compiles } = countingCc(dir, 1);   // a compile that takes over a second
    const src = source(dir, 'race.c', 'double race(double x) { return 2 * x; }\n');
    const results = await race(6, src, { cc, cacheDir: join(dir, 'cache') });
    expect(compiles()).toBe(1);
    expect(results.map((r) => r.how).sort()).toEqual(['built', 'waited', 'waited', 'waited', 'waited', 'waited']);
    for (const r of results.filter((x) => x.how === 'waited')) {
      expect(r.wallMs).toBeGreaterThan(800);
      expect(r.cpuMs / r.wallMs).toBeLessThan(0.3);   // they slept, they did not spin
    }
    expect(readdirSync(join(dir, 'cache')).filter((f) => !f.endsWith('.so'))).toEqual([]);
  });

  test('4 processes, a compiler error: compiled once, every process gets the compiler\'s message', async () => {
    const dir = freshDir();
    const { cc, compiles } = countingCc(dir, 0.5);
    const src = source(dir, 'bad.c', 'int bad(void) { return ; }}\n');
    const results = await race(4, src, { cc, cacheDir: join(dir, 'cache') });
    expect(compiles()).toBe(1);
    for (const r of results) expect(r.error).toMatch(/KernelBuildError: compiling .*bad\.c failed[\s\S]*error:/);
  });

  test('a lock left by a dead process is broken; a live one is waited for, up to a timeout', () => {
    const dir = freshDir(), cacheDir = join(dir, 'cache');
    const src = source(dir, 'stale.c', 'int stale(void) { return 1; }\n');
    // learn the library's path, then plant a lock owned by a process that has exited
    const first = buildKernels([src], { cacheDir });
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    const fresh = join(freshDir(), 'cache');
    const path = first.path.replace(cacheDir, fresh);
    spawnSync('mkdir', ['-p', fresh]);
    writeFileSync(`${path}.lock`, `${dead}\n${hostname()}\n`);
    expect(buildKernels([src], { cacheDir: fresh }).how).toBe('built');
    expect(existsSync(`${path}.lock`)).toBe(false);
    // a lock held by a live process (this one): wait, then give up with a typed error
    const other = join(freshDir(), 'cache');
    spawnSync('mkdir', ['-p', other]);
    writeFileSync(`${first.path.replace(cacheDir, other)}.lock`, `${process.pid}\n${hostname()}\n`);
    const t0 = Date.now();
    expect(() => buildKernels([src], { cacheDir: other, lockTimeoutMs: 400 })).toThrow(/waited 0 s for another process to build/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
  });
});

describe('build:native', () => {
  test('builds every example source into the cache loadKernels uses', () => {
    const results = buildNativeExamples(join(root, 'native-examples'));
    const names = results.map((r) => r.source.replace(`${root}/`, ''));
    expect(names).toEqual(expect.arrayContaining(['native-examples/heat2d/heat.c', 'native-examples/advect/advect.f90', 'native-examples/heat2d/heat.f90']));
    const heat = results.find((r) => r.source.endsWith('heat2d/heat.c'));
    expect(heat?.error).toBeUndefined();
    expect(loadKernels(example('heat2d/heat.c')).$.path).toBe(heat?.result?.path);
  });
});

describeFortran('Fortran builds', () => {
  test('modules are compiled before the files that use them, whatever the order given', () => {
    const dir = freshDir();
    const user = source(dir, 'user.f90', 'subroutine use_it(x)\n  use provider\n  real(8) :: x\n  x = provided\nend subroutine\n');
    const provider = source(dir, 'provider.f90', 'module provider\n  real(8) :: provided = 42\nend module\n');
    const k = loadKernels([user, provider], null, { cacheDir: join(dir, 'cache') });
    const x = new Float64Array(1);
    k.use_it!(x);
    expect(x[0]).toBe(42);
    expect(k.$.module('provider').provided).toBe(42);
  });

  test('C and Fortran in one library', () => {
    const dir = freshDir();
    const c = source(dir, 'twice.c', 'double twice(double x) { return 2 * x; }\n');
    const f = source(dir, 'thrice.f90', 'real(8) function thrice(x) bind(C)\n  real(8), value :: x\n  thrice = 3 * x\nend function\n');
    const k = loadKernels([c, f], null, { cacheDir: join(dir, 'cache') });
    expect(k.twice!(2)).toBe(4);
    expect(k.thrice!(2)).toBe(6);
  });
});
