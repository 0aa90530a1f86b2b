/**
 * Fortran module variables and C globals as live typed-array views of the library's memory:
 * a write from TypeScript is seen by the next kernel call and a write by a kernel is seen by
 * the next read, with no copy.
 *
 * Allocatable (and pointer) module arrays are read through gfortran's array descriptor (data
 * address, bounds; layout in {@link descriptorLayout}). Their view is re-checked on every read
 * and after every kernel call of the library: when Fortran reallocates, the property returns a
 * new view, and the old view is detached (length 0) so that stale reads give `undefined`
 * instead of reading freed memory. C pointer globals (`double *buf` with a length expression
 * over integer globals) work the same way.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { createRequire } from 'node:module';
import { describe } from '../errors.js';
import type { CallHooks } from './check.js';
import { type AnyTypedArray, type TypedArrayConstructor, scalarInfo } from './ctypes.js';
import type { VariableSpec } from './declarations.js';
import { KernelDataError } from './errors.js';
import { type Expr, evaluate, exprToString } from './expr.js';
import { FortranArray, descriptorBytes, descriptorLayout, fromFortranString, toFortranString } from './fortran.js';

const require = createRequire(import.meta.url);

/** What a module-data property returns: a number, bigint, boolean or string for scalars, a live typed array (or null when unallocated) for arrays. */
export type DataValue = any;

/** Facts about one variable at the time of asking. */
export interface VariableInfo {
  readonly name: string;
  readonly module: string | null;
  readonly symbol: string;
  readonly type: string;
  readonly storage: VariableSpec['storage'];
  /** False for an unallocated allocatable (or a null C pointer). */
  readonly allocated: boolean;
  /** Extents (Fortran order for Fortran); [] for scalars. */
  readonly shape: readonly number[];
  /** Lower bounds (Fortran); zeros for C. */
  readonly lbounds: readonly number[];
  /** Address of the data (0n when unallocated). */
  readonly address: bigint;
}

/** Helpers of a {@link ModuleData} object, under its `$` property. */
export interface ModuleDataHelpers {
  /** Module name, or null for the C globals of a library. */
  readonly name: string | null;
  /** Names of the variables, as properties of the module-data object. */
  readonly variables: readonly string[];
  /** Facts about `name` now. Throws KernelDataError for an unknown name. */
  info(name: string): VariableInfo;
  /**
   * A column-major {@link FortranArray} over array `name` with its Fortran bounds, or null when
   * unallocated. A snapshot: after Fortran reallocates, ask again (the old one's data is detached).
   * Throws KernelDataError for an unknown name or a scalar.
   */
  array(name: string): FortranArray<AnyTypedArray> | null;
  /** Re-reads every descriptor now (done automatically after each kernel call). Never throws. */
  refresh(): void;
}

/** A Fortran module's variables (or a library's C globals) as properties, plus helpers under `$`. */
export type ModuleData = { [variable: string]: DataValue } & { readonly $: ModuleDataHelpers };

// ---------------------------------------------------------------------------------------------
// detaching stale views

type Transfer = (this: ArrayBuffer, length?: number) => ArrayBuffer;
let transferFn: Transfer | null | undefined;

/**
 * Detaches `buffer` (its views get length 0) without freeing the memory behind it. Uses
 * `ArrayBuffer.prototype.transfer` where the runtime has it (Node ≥ 21); on Node 20 the same
 * builtin is taken from a fresh V8 context created with the `--harmony-rab-gsab-transfer` flag
 * switched on just for that. Returns false if neither works. Never throws.
 */
export function detachBuffer(buffer: ArrayBuffer): boolean {
  if (transferFn === undefined) {
    const native = (ArrayBuffer.prototype as unknown as { transfer?: Transfer }).transfer;
    if (typeof native === 'function') transferFn = native;
    else {
      try {
        const v8 = require('node:v8') as typeof import('node:v8');
        const vm = require('node:vm') as typeof import('node:vm');
        v8.setFlagsFromString('--harmony-rab-gsab-transfer');
        try {
          const fn = vm.runInNewContext('ArrayBuffer.prototype.transfer') as unknown;
          transferFn = typeof fn === 'function' ? fn as Transfer : null;
        } finally {
          v8.setFlagsFromString('--no-harmony-rab-gsab-transfer');
        }
      } catch {
        transferFn = null;
      }
    }
  }
  if (transferFn === null || buffer.byteLength === 0) return false;
  try {
    transferFn.call(buffer, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// variables

interface Handle {
  readonly spec: VariableSpec;
  get(): DataValue;
  set(value: unknown): void;
  info(): VariableInfo;
  /** For arrays: shape and bounds of the current view. */
  current(): { view: AnyTypedArray | null; shape: number[]; lbounds: number[] };
  /** Re-reads the descriptor; true if anything changed. */
  check(): void;
}

function ctorOf(spec: VariableSpec): TypedArrayConstructor {
  return scalarInfo(spec.type).arrays[0] as TypedArrayConstructor;
}

function typeName(spec: VariableSpec): string {
  if (spec.charLen !== null) return `character(len=${spec.charLen})`;
  return spec.logical ? `logical(${scalarInfo(spec.type).size})` : scalarInfo(spec.type).c;
}

function qualified(spec: VariableSpec): string {
  return spec.module === null ? spec.name : `${spec.module}.${spec.name}`;
}

function scalarHandle(spec: VariableSpec, address: bigint): Handle {
  const bytes = spec.charLen ?? scalarInfo(spec.type).size;
  const raw = koffi.view(address, bytes);
  const chars = spec.charLen !== null ? new Uint8Array(raw) : null;
  const view = chars ?? new (ctorOf(spec))(raw);
  const cell = view as unknown as { [i: number]: number | bigint };
  return {
    spec,
    get: () => {
      if (chars !== null) return fromFortranString(chars);
      const v = cell[0];
      return spec.logical ? v !== 0 && v !== 0n : v;
    },
    set: (value) => {
      if (spec.readonly) throw new KernelDataError(`${qualified(spec)} is read-only (${spec.decl})`, qualified(spec));
      if (chars !== null) {
        if (typeof value !== 'string') throw new KernelDataError(`${qualified(spec)} is ${typeName(spec)}: assign a string, got ${describe(value)}`, qualified(spec));
        try { chars.set(toFortranString(value, chars.length)); } catch (e) { throw new KernelDataError(`${qualified(spec)}: ${(e as Error).message}`, qualified(spec)); }
        return;
      }
      if (spec.logical) {
        if (typeof value !== 'boolean') throw new KernelDataError(`${qualified(spec)} is logical: assign a boolean, got ${describe(value)}`, qualified(spec));
        cell[0] = spec.type === 'int64' ? (value ? 1n : 0n) : value ? 1 : 0;
        return;
      }
      cell[0] = checkedScalar(spec, value);
    },
    info: () => ({ name: spec.name, module: spec.module, symbol: spec.symbol, type: typeName(spec), storage: spec.storage, allocated: true, shape: [], lbounds: [], address }),
    current: () => ({ view, shape: [], lbounds: [] }),
    check: () => undefined,
  };
}

function checkedScalar(spec: VariableSpec, value: unknown): number | bigint {
  const big = spec.type === 'int64' || spec.type === 'uint64';
  if (big) {
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  } else if (typeof value === 'number') {
    if (spec.type === 'float32' || spec.type === 'float64') return value;
    const probe = new (ctorOf(spec))(1) as unknown as number[];
    probe[0] = value;
    if (probe[0] === value) return value;
  }
  throw new KernelDataError(`${qualified(spec)} is ${typeName(spec)}: cannot store ${describe(value)}`, qualified(spec));
}

function fixedHandle(spec: VariableSpec, address: bigint): Handle {
  const shape = [...(spec.shape ?? [])];
  const count = shape.reduce((a, b) => a * b, 1);
  const view = new (ctorOf(spec))(koffi.view(address, count * scalarInfo(spec.type).size)) as AnyTypedArray;
  const lbounds = [...(spec.lbounds ?? shape.map(() => (spec.module === null ? 0 : 1)))];
  return {
    spec,
    get: () => view,
    set: (value) => assignArray(spec, view, value),
    info: () => ({ name: spec.name, module: spec.module, symbol: spec.symbol, type: typeName(spec), storage: spec.storage, allocated: true, shape, lbounds, address }),
    current: () => ({ view, shape, lbounds }),
    check: () => undefined,
  };
}

function assignArray(spec: VariableSpec, view: AnyTypedArray | null, value: unknown): void {
  if (spec.readonly) throw new KernelDataError(`${qualified(spec)} is read-only (${spec.decl})`, qualified(spec));
  if (view === null) throw new KernelDataError(`${qualified(spec)} is not allocated; allocate it from the kernel side first`, qualified(spec));
  const src = value as ArrayLike<number> & ArrayLike<bigint>;
  if (value === null || typeof value !== 'object' || typeof src.length !== 'number' || src.length !== view.length) {
    throw new KernelDataError(`${qualified(spec)} has ${view.length} elements: assign an array of exactly that length (it is copied into the variable), got ${describe(value)}`, qualified(spec));
  }
  try {
    (view as unknown as { set(a: ArrayLike<unknown>): void }).set(src);
  } catch (e) {
    throw new KernelDataError(`${qualified(spec)}: cannot store ${describe(value)}: ${(e as Error).message}`, qualified(spec));
  }
}

interface Current { base: bigint; shape: number[]; lbounds: number[]; view: AnyTypedArray | null }

/** Reads where a moving array is now; `changed()` is an allocation-free test run first. */
interface Reader {
  read(): { base: bigint; shape: number[]; lbounds: number[] };
  /** True if the descriptor (or pointer and length) changed since the last call. */
  changed(): boolean;
}

/**
 * An allocation-free test of whether the 32-bit words at `indices` of `memory` changed since the
 * last call (true on the first call). Generated as one unrolled comparison, since it runs after
 * every kernel call for every watched array.
 */
function wordProbe(memory: ArrayBuffer, indices: readonly number[]): () => boolean {
  const words = new Int32Array(memory);
  const snap = new Int32Array(words.length);
  const same = indices.map((i) => `w[${i}] === s[${i}]`).join(' && ') || 'true';
  const copy = indices.map((i) => `s[${i}] = w[${i}];`).join(' ');
  return new Function('w', 's', `let first = true;
    return function changed() {
      if (!first && ${same}) return false;
      first = false;
      ${copy}
      return true;
    };`)(words, snap) as () => boolean;
}

/** A view whose address and extents are read from memory each time (allocatable, pointer, C pointer). */
function movingHandle(spec: VariableSpec, reader: Reader, lib: LibraryData): Handle {
  let cur: Current = { base: 0n, shape: [], lbounds: [], view: null };
  const elem = scalarInfo(spec.type).size;
  let broken = false;
  const check = (): void => {
    if (!reader.changed() && !broken) return;
    let now: ReturnType<Reader['read']>;
    try {
      now = reader.read();
      broken = false;
    } catch (e) {
      // a descriptor simdeck cannot view: drop (and detach) the old view, and say so on every read
      broken = true;
      if (cur.view !== null) detachBuffer(cur.view.buffer as ArrayBuffer);
      cur = { base: 0n, shape: [], lbounds: [], view: null };
      throw e;
    }
    const same = now.base === cur.base && now.shape.length === cur.shape.length && now.shape.every((n, k) => n === cur.shape[k]);
    if (same) {
      if (!now.lbounds.every((n, k) => n === cur.lbounds[k])) cur = { ...cur, lbounds: now.lbounds };
      return;
    }
    const old = cur.view;
    let view: AnyTypedArray | null = null;
    if (now.base !== 0n) {
      const count = now.shape.reduce((a, b) => a * b, 1);
      view = new (ctorOf(spec))(koffi.view(now.base, count * elem)) as AnyTypedArray;
    }
    cur = { base: now.base, shape: now.shape, lbounds: now.lbounds, view };
    if (old !== null) detachBuffer(old.buffer as ArrayBuffer);
  };
  const handle: Handle = {
    spec,
    get: () => {
      check();
      if (cur.view !== null) lib.watch(handle);
      return cur.view;
    },
    set: (value) => { check(); assignArray(spec, cur.view, value); },
    info: () => {
      check();
      return { name: spec.name, module: spec.module, symbol: spec.symbol, type: typeName(spec), storage: spec.storage, allocated: cur.base !== 0n, shape: cur.shape, lbounds: cur.lbounds, address: cur.base };
    },
    current: () => {
      check();
      if (cur.view !== null) lib.watch(handle);
      return { view: cur.view, shape: cur.shape, lbounds: cur.lbounds };
    },
    check,
  };
  return handle;
}

function descriptorReader(spec: VariableSpec, address: bigint): Reader {
  const L = descriptorLayout;
  const raw = koffi.view(address, descriptorBytes(spec.rank));
  const words = new BigInt64Array(raw);
  const bytes = new Int8Array(raw);
  const elem = BigInt(scalarInfo(spec.type).size);
  const where = qualified(spec);
  // the words that matter: the data address, and each dimension's stride and bounds
  const watched = [L.base / 4, L.base / 4 + 1];
  for (let k = 0; k < spec.rank; k++) for (let w = 0; w < 6; w++) watched.push((L.dims + L.dimBytes * k) / 4 + w);
  const changed = wordProbe(raw, watched);
  const read = (): { base: bigint; shape: number[]; lbounds: number[] } => {
    const base = words[L.base / 8] as bigint;
    if (base === 0n) return { base, shape: [], lbounds: [] };
    const rank = bytes[L.rank];
    const elemLen = words[L.elemLen / 8];
    if (rank !== spec.rank || elemLen !== elem) {
      throw new KernelDataError(
        `${where}: its array descriptor says rank ${rank} and element size ${String(elemLen)}, the declaration (${spec.decl}) says rank ${spec.rank} and ${elem}; ` +
        'the library was not compiled by a gfortran whose descriptor simdeck knows (gfortran 8 or later)', where);
    }
    const shape: number[] = [], lbounds: number[] = [];
    let expected = 1n;
    for (let k = 0; k < spec.rank; k++) {
      const o = (L.dims + L.dimBytes * k) / 8;
      const stride = words[o] as bigint, lb = words[o + 1] as bigint, ub = words[o + 2] as bigint;
      const n = ub >= lb ? ub - lb + 1n : 0n;
      if (stride !== expected && n > 1n) {
        throw new KernelDataError(`${where} points at non-contiguous memory (stride ${String(stride)} in dimension ${k + 1}); simdeck can only view contiguous arrays`, where);
      }
      expected *= n;
      shape.push(Number(n));
      lbounds.push(Number(lb));
    }
    const span = words[L.span / 8] as bigint;
    if (span !== elem && span !== 0n) throw new KernelDataError(`${where} points at strided memory (span ${String(span)}); simdeck can only view contiguous arrays`, where);
    return { base, shape, lbounds };
  };
  return { read, changed };
}

function cPointerReader(spec: VariableSpec, address: bigint, length: Expr, globals: (name: string) => number): Reader {
  const raw = koffi.view(address, 8);
  const word = new BigUint64Array(raw);
  const pointerChanged = wordProbe(raw, [0, 1]);
  let lastLength = Number.NaN;
  const changed = (): boolean => {
    const moved = pointerChanged();
    let n: number;
    try { n = evaluate(length, globals); } catch { return true; }
    const resized = n !== lastLength && !(Number.isNaN(n) && Number.isNaN(lastLength));
    lastLength = n;
    return moved || resized;
  };
  const read = (): { base: bigint; shape: number[]; lbounds: number[] } => {
    const base = word[0] as bigint;
    if (base === 0n) return { base, shape: [], lbounds: [] };
    const n = evaluate(length, globals);
    if (!Number.isInteger(n) || n < 0) {
      throw new KernelDataError(`${spec.name}: its length ${exprToString(length)} evaluates to ${n}, not a valid size`, spec.name);
    }
    return { base, shape: [n], lbounds: [0] };
  };
  return { read, changed };
}

// ---------------------------------------------------------------------------------------------
// per-library registry

function sameSpec(a: VariableSpec, b: VariableSpec): boolean {
  const key = (v: VariableSpec): string => JSON.stringify([v.symbol, v.type, v.logical, v.charLen, v.storage, v.shape, v.lbounds, v.rank, v.length, v.readonly]);
  return key(a) === key(b);
}

/**
 * The data side of one loaded library: resolves variable symbols, builds module-data objects,
 * and implements the {@link CallHooks} kernel calls use to refresh views after each call.
 */
export class LibraryData implements CallHooks {
  watching = false;
  private readonly handles = new Map<string, Handle>();
  private readonly moving: Handle[] = [];
  private readonly watched: Handle[] = [];
  private readonly objects = new Map<string | null, ModuleData>();

  constructor(private readonly lib: LibraryHandle, readonly path: string) {}

  /** Marks that a view of `h` is out, so kernel calls re-check its descriptor from now on. */
  watch(h: Handle): void {
    if (!this.watched.includes(h)) this.watched.push(h);
    this.watching = true;
  }

  /**
   * Re-reads the descriptors of the arrays whose views were handed out (the others are read when
   * next asked for). Never throws (a bad descriptor is reported on the next read). About 10 ns per
   * watched array when nothing moved.
   */
  refresh(): void {
    const w = this.watched;
    for (let i = 0; i < w.length; i++) {
      try { (w[i] as Handle).check(); } catch { /* reported when read */ }
    }
  }

  /**
   * Resolves `spec`'s symbol and makes its handle. Returns null (and the reason) if the symbol is
   * not exported or the variable cannot be viewed.
   */
  add(spec: VariableSpec): string | null {
    let address: bigint;
    try {
      address = this.lib.symbol(spec.symbol) as bigint;
    } catch {
      return `symbol ${spec.symbol} is not exported by ${this.path} (private, unused or optimized away?)`;
    }
    if (typeof address !== 'bigint' || address === 0n) return `symbol ${spec.symbol} has no address`;
    const key = `${spec.module ?? ''}.${spec.name}`;
    const existing = this.handles.get(key);
    if (existing !== undefined) {
      if (sameSpec(existing.spec, spec)) return null;
      const i = this.moving.indexOf(existing);
      if (i >= 0) this.moving.splice(i, 1);
      const j = this.watched.indexOf(existing);
      if (j >= 0) this.watched.splice(j, 1);
      this.objects.delete(spec.module);
    }
    let h: Handle;
    switch (spec.storage) {
      case 'scalar': h = scalarHandle(spec, address); break;
      case 'fixed': h = fixedHandle(spec, address); break;
      case 'allocatable': case 'pointer':
        h = movingHandle(spec, descriptorReader(spec, address), this);
        this.moving.push(h);
        break;
      case 'cpointer': {
        const length = spec.length;
        if (length === null) return `${spec.name} is a pointer: give its length, e.g. loadKernels(..., { globals: { ${spec.name}: 'n_${spec.name}' } })`;
        const globals = (name: string): number => {
          const g = this.handles.get(`.${name}`);
          const v = g?.spec.storage === 'scalar' ? g.get() as unknown : undefined;
          if (typeof v !== 'number' && typeof v !== 'bigint') throw new KernelDataError(`${spec.name}: its length refers to '${name}', which is not an integer global`, spec.name);
          return Number(v);
        };
        h = movingHandle(spec, cPointerReader(spec, address, length, globals), this);
        this.moving.push(h);
        break;
      }
    }
    this.handles.set(key, h);
    this.objects.delete(spec.module);
    return null;
  }

  /** Names of the modules that have variables ('' stands for C globals). */
  modules(): string[] {
    return [...new Set([...this.handles.values()].map((h) => h.spec.module ?? ''))];
  }

  /** The module-data object of `module` (null: C globals). Created once. Throws KernelDataError if it has no variables. */
  module(module: string | null): ModuleData {
    const existing = this.objects.get(module);
    if (existing !== undefined) return existing;
    const mine = [...this.handles.values()].filter((h) => h.spec.module === module);
    if (mine.length === 0) {
      const known = this.modules().filter((m) => m !== '');
      throw new KernelDataError(module === null
        ? `${this.path} has no C globals simdeck could read`
        : `no module '${module}' with variables in ${this.path}${known.length > 0 ? ` (modules: ${known.join(', ')})` : ''}`, module ?? '');
    }
    const byName = new Map(mine.map((h) => [h.spec.name, h]));
    const handle = (name: string): Handle => {
      const h = byName.get(name);
      if (h === undefined) throw new KernelDataError(`no variable '${name}' in ${module === null ? 'the C globals' : `module ${module}`} (variables: ${[...byName.keys()].join(', ')})`, name);
      return h;
    };
    const helpers: ModuleDataHelpers = {
      name: module,
      variables: [...byName.keys()],
      info: (name) => handle(name).info(),
      array: (name) => {
        const h = handle(name);
        if (h.spec.storage === 'scalar') throw new KernelDataError(`${qualified(h.spec)} is a scalar`, name);
        const c = h.current();
        if (c.view === null) return null;
        return new FortranArray(c.view, c.shape, c.lbounds);
      },
      refresh: () => { for (const h of mine) { try { h.check(); } catch { /* reported when read */ } } },
    };
    const obj = Object.create(null) as Record<string, unknown>;
    Object.defineProperty(obj, '$', { value: helpers, enumerable: false });
    for (const [name, h] of byName) {
      Object.defineProperty(obj, name, { get: () => h.get(), set: (v: unknown) => h.set(v), enumerable: true });
    }
    Object.freeze(obj);
    const md = obj as ModuleData;
    this.objects.set(module, md);
    return md;
  }
}
