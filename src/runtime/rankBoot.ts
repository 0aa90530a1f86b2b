/**
 * The bootstrap a rank process starts with (`node -e <source>`): it reads no
 * project or user file, receives the rank bundle (rankBundle.ts) from the reader, and evaluates
 * it from memory (a script compiled with vm, see {@link evaluate}):
 *
 * - shared memory: the launcher writes the bundle into a pipe the rank inherits as descriptor 3,
 *   and closes it (empty when the deck did not compile: the rank exits quietly and the launcher
 *   says why; the launcher's death ends the pipe too). The rank reads it with blocking reads
 *   (it has nothing else to do meanwhile; Node's net and stream modules are not loaded for it).
 *   With the bundle may come V8's code cache of it, which the rank compiles it from; when there
 *   is none (or V8 rejects it), the rank the launcher asks makes one after the deck and writes
 *   it back up the same pipe (see {@link ShmHandover}), and the launcher keeps it with the bundle;
 * - MPI: world rank 0 reads the bundles the launcher compiled (or compiles them itself when
 *   their files are not on its node) and broadcasts them with MPI_Bcast; every rank first
 *   brings up just enough MPI for that: koffi's native module by absolute path, libmpi by
 *   soname, MPI_Init_thread, MPI_Comm_rank, MPI_Bcast. The bundle's MPI transport then finds
 *   MPI initialized and goes on from there.
 *
 * An error thrown while the bundle is evaluated (the deck failed) goes to the bundle's own
 * handler (`simdeck.rankFailed`), else it is uncaught and fail-fast reports it.
 */

export { bundleText, BUNDLE_FILENAME } from './bundleText.js';

/**
 * What the launcher writes down a shared-memory rank's pipe: this as one line of JSON, then
 * `bundle` bytes of bundle text, then `codeCache` bytes of V8's code cache of it (0: none).
 * When `makeCodeCache` is set and the rank ran the bundle without a code cache that V8
 * accepted, it writes back up the pipe one line of JSON `{"codeCache":n}` and n bytes of V8's
 * code cache, made after the deck ended.
 */
export interface ShmHandover {
  bundle: number;
  codeCache: number;
  makeCodeCache: boolean;
}

/**
 * The environment variable that carries NODE_EXTRA_CA_CERTS past a rank's start (see the
 * launcher): the bootstrap puts it back into `process.env` at once, for the programs the deck starts.
 */
export const RANK_CA_ENV = 'SIMDECK_NODE_EXTRA_CA_CERTS';

/**
 * Evaluates a bundle from memory (runs in the rank; serialized into the bootstrap source): the
 * bundle is an async function's source (see rankBundle's asScript), compiled as a script named
 * `simdeck-bundle` (the name bundleStacks.ts maps frames of), from V8's code cache `codeCache`
 * when given; its import() calls of externals go to the import function it is called with,
 * the rest to Node (importModuleDynamically). `made` gets V8's code cache of the bundle after
 * it ran, unless `codeCache` was given and V8 accepted it.
 */
async function evaluate(bytes: Buffer, codeCache: Buffer | null = null, made: ((data: Buffer) => void) | null = null): Promise<void> {
  const text = bytes.toString('utf8');
  (globalThis as Record<symbol, unknown>)[Symbol.for('simdeck.bundleText')] = text;
  const { Script, constants } = process.getBuiltinModule('node:vm') as typeof import('node:vm');
  // A script's import() calls (externals by absolute URL) go to Node's own loader through
  // USE_MAIN_CONTEXT_DEFAULT_LOADER; a callback would need --experimental-vm-modules on Node 20.
  // A script compiled from a code cache loses that loader on Node 20, so the bundle's own
  // import() calls of externals call the function passed in instead (this bootstrap's import()).
  // The loader constant's one "experimental" warning is not printed.
  const emitWarning = process.emitWarning;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
    if (String((warning as Error)?.message ?? warning).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    return (emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    const script = new Script(text, {
      filename: 'simdeck-bundle', // BUNDLE_FILENAME (this function is serialized: no outside names)
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      ...(codeCache === null ? {} : { cachedData: codeCache }),
    });
    const run = script.runInThisContext() as (load: (url: string) => Promise<unknown>) => Promise<void>;
    await run((url: string) => import(url));
    if (made !== null && (codeCache === null || script.cachedDataRejected === true)) made(script.createCachedData());
  } catch (e) {
    const failed = (globalThis as Record<symbol, unknown>)[Symbol.for('simdeck.rankFailed')] as ((e: unknown) => void) | undefined;
    if (failed) failed(e);
    else throw e;
  }
}

/** The shared-memory bootstrap: the bundle arrives on descriptor 3 (runs in the rank). */
async function bootShm(caEnv: string): Promise<void> {
  // The launcher may have kept NODE_EXTRA_CA_CERTS from this process's start (Node reads it only then): put it back.
  const ca = process.env[caEnv];
  if (ca !== undefined) {
    process.env.NODE_EXTRA_CA_CERTS = ca;
    delete process.env[caEnv];
  }
  const { readSync, writeSync } = process.getBuiltinModule('node:fs') as typeof import('node:fs');
  let buffer = Buffer.allocUnsafe(1 << 20);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    let n: number;
    try {
      n = readSync(3, buffer, length, buffer.length - length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') { // not expected (the pipe is blocking): wait for it to be readable
        await new Promise((wake) => setTimeout(wake, 1));
        continue;
      }
      if (code === 'EOF' || code === 'ECONNRESET') break;
      throw e;
    }
    if (n === 0) break;
    length += n;
  }
  if (length === 0) process.exit(0); // the deck did not compile: the launcher reports it
  const nl = buffer.indexOf(10);
  const head = JSON.parse(buffer.toString('utf8', 0, nl)) as ShmHandover;
  const bundleAt = nl + 1;
  const cacheAt = bundleAt + head.bundle;
  if (cacheAt + head.codeCache !== length) throw new Error(`simdeck bootstrap: the launcher's pipe held ${length} bytes, not ${cacheAt + head.codeCache}`);
  const send = (data: Buffer) => {
    const out = Buffer.concat([Buffer.from(JSON.stringify({ codeCache: data.length }) + '\n'), data]);
    try {
      for (let at = 0; at < out.length;) at += writeSync(3, out, at, out.length - at);
    } catch { /* the launcher is gone or does not want it */ }
  };
  await evaluate(buffer.subarray(bundleAt, cacheAt), head.codeCache > 0 ? buffer.subarray(cacheAt, length) : null, head.makeCodeCache ? send : null);
}

/** What the MPI bootstrap needs to know, fixed by the launcher. */
export interface MpiBootConfig {
  /** koffi's native module (absolute path). */
  koffi: string;
  /** The MPI library's soname (or path), and whether it is Open MPI (else MPICH's ABI). */
  lib: string;
  openmpi: boolean;
  /** The bundle file of each app (`deckN.js`), as the launcher wrote them (read by world rank 0 when it can). */
  bundles: string[];
  /** The decks, for rank 0 to compile when the bundle files are not on its node. */
  decks: string[];
  /** dist/src/runtime/rankBundle.js of this simdeck, for that case. */
  compiler: string;
}

/** The MPI bootstrap: `process.argv` is [node, appIndex, deck, ...args] (runs in the rank). */
async function bootMpi(cfg: MpiBootConfig): Promise<void> {
  const m = { exports: {} as Record<string, (...a: unknown[]) => unknown> };
  process.dlopen(m, cfg.koffi);
  const koffi = m.exports as unknown as {
    load(name: string, opts: { global: boolean }): { func(proto: string): (...a: unknown[]) => number; symbol(name: string): bigint };
  };
  const natives = ((globalThis as Record<symbol, unknown>)[Symbol.for('simdeck.native')] ??= new Map()) as Map<string, unknown>;
  natives.set(cfg.koffi, koffi);
  if (process.env.UCX_MEM_EVENTS === undefined) process.env.UCX_MEM_EVENTS = 'no'; // as library.ts: before MPI_Init
  const lib = koffi.load(cfg.lib, { global: true });
  const H = cfg.openmpi ? 'intptr_t' : 'int';
  const world = cfg.openmpi ? Number(lib.symbol('ompi_mpi_comm_world')) : 0x44000000;
  const byte = cfg.openmpi ? Number(lib.symbol('ompi_mpi_byte')) : 0x4c00010d;
  const check = (rc: number, what: string) => { if (rc !== 0) throw new Error(`simdeck bootstrap: ${what} failed (${rc})`); };
  check(lib.func('int MPI_Init_thread(void *argc, void *argv, int required, _Out_ int *provided)')(null, null, 1, new Int32Array(1)), 'MPI_Init_thread');
  const rank = new Int32Array(1);
  check(lib.func(`int MPI_Comm_rank(${H} comm, _Out_ int *rank)`)(world, rank), 'MPI_Comm_rank');
  const bcast = lib.func(`int MPI_Bcast(void *buf, int count, ${H} type, int root, ${H} comm)`);
  const app = Number(process.argv[1]);
  let payload: Buffer | null = null;
  if (rank[0] === 0) {
    const { readFileSync } = process.getBuiltinModule('node:fs') as typeof import('node:fs');
    let texts: Buffer[] | null = null;
    let failure = '';
    try {
      texts = cfg.bundles.map((f) => readFileSync(f));
    } catch {
      try {
        const { bundleRank } = (await import(cfg.compiler)) as { bundleRank(kind: string, deck: string): Promise<string> };
        texts = [];
        for (const d of cfg.decks) texts.push(Buffer.from(await bundleRank('mpi', d)));
      } catch (e) {
        failure = `simdeck: ${(e as Error).name}: ${(e as Error).message}`;
      }
    }
    const sizes = texts?.map((t) => t.length) ?? [];
    const header = Buffer.from(JSON.stringify({ sizes, failure }) + '\n');
    payload = Buffer.concat([header, ...(texts ?? [])]);
  }
  const size = new Float64Array([payload?.length ?? 0]);
  check(bcast(size, 8, byte, 0, world), 'MPI_Bcast');
  payload ??= Buffer.allocUnsafe(size[0]);
  check(bcast(payload, payload.length, byte, 0, world), 'MPI_Bcast');
  const nl = payload.indexOf(10);
  const header = JSON.parse(payload.subarray(0, nl).toString('utf8')) as { sizes: number[]; failure: string };
  if (header.failure !== '') {
    if (rank[0] === 0) process.stderr.write(header.failure + '\n');
    lib.func('int MPI_Finalize()')();
    process.exit(2);
  }
  const sum = (xs: number[], n: number) => xs.slice(0, n).reduce((a, b) => a + b, 0);
  const at = nl + 1 + sum(header.sizes, app);
  process.argv = [process.argv[0], ...process.argv.slice(2)];
  await evaluate(payload.subarray(at, at + header.sizes[app]));
}

/**
 * Under MPI the bootstrap travels in this environment variable, and the rank's `-e` source is
 * only {@link MPI_BOOT_LOADER}: Open MPI copies a rank's command line into its messages (an
 * MPI_Abort's report fails with "Out of resource" when it is a few kilobytes long).
 */
export const MPI_BOOT_ENV = 'SIMDECK_MPI_BOOT';

/** The `-e` source of an MPI rank: runs the bootstrap in SIMDECK_MPI_BOOT (removed from the environment first). */
export const MPI_BOOT_LOADER =
  `const b = process.env.${MPI_BOOT_ENV}; delete process.env.${MPI_BOOT_ENV}; const v = require('node:vm'); const w = process.emitWarning; ` +
  `process.emitWarning = function (m, ...r) { if (!String((m && m.message) || m).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return w.call(process, m, ...r); }; ` +
  `v.runInThisContext(b, { filename: 'simdeck-boot', importModuleDynamically: v.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });`;

/**
 * A bootstrap as a CommonJS `-e` script (an async function called at once): Node then starts
 * without its ES module loader, which a rank needs only if the deck imports something from disk.
 * A failure is an unhandled rejection, which fail-fast (installed by the bundle) reports.
 */
function script(body: string): string {
  return `(async () => {\n${evaluate.toString()}\n${body}\n})();\n`;
}

/** The `-e` source of a shared-memory rank. */
export function shmBootSource(): string {
  return script(`${bootShm.toString()}\nawait bootShm(${JSON.stringify(RANK_CA_ENV)});`);
}

/** The source of an MPI rank's bootstrap (see MPI_BOOT_ENV), for the job `cfg` describes; the rank's arguments are `appIndex deck ...args`. */
export function mpiBootSource(cfg: MpiBootConfig): string {
  return script(`${bootMpi.toString()}\nawait bootMpi(${JSON.stringify(cfg)});`);
}



