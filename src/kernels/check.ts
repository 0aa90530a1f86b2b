/**
 * Argument checks and conversions around one native kernel call.
 *
 * For each signature two wrappers are generated as JavaScript source (so that a call costs a few
 * inline comparisons, with no loops, closures or allocation): a *checked* one that tests the
 * argument count, each argument's type (a plain Array where a typed array is declared is refused,
 * never silently copied), the element type of typed arrays, array lengths against their length
 * expressions, NaN / non-integer / negative sizes and detached buffers; and an *unchecked* one
 * that only converts (Fortran by-reference scalars, strings, logicals). When the fast test fails,
 * {@link diagnose} re-examines the arguments and throws a {@link KernelArgumentError} that names
 * the kernel, the parameter and what to change. Generated code contains only identifiers and
 * numbers derived from the parsed signature, never user text.
 */
import { describe } from '../errors.js';
import { enterKernel } from '../runtime/kernelTrace.js';
import { type ParamSpec, type Signature, describeSignature } from './declarations.js';
import { KernelArgumentError, type KernelArgumentProblem } from './errors.js';
import { type Expr, evaluate, exprToJs, exprToString, identifiers } from './expr.js';
import { type ScalarName, type TypedArrayConstructor, scalarInfo } from './ctypes.js';

/** What the library tells every call: whether module-data views must be re-checked after it. */
export interface CallHooks {
  /** True once a view of reallocatable data (allocatable, pointer) has been handed out. */
  watching: boolean;
  /** Re-reads descriptors; refreshes or detaches views of reallocated data. */
  refresh(): void;
}

/** A callable kernel. Call it with plain numbers, booleans, strings and typed arrays. */
export interface KernelFunction {
  (...args: any[]): any;
  /** The same kernel without argument checks (conversions only); faster, and a wrong call may crash the process. */
  readonly unchecked: (...args: any[]) => any;
  /** The contract the checks enforce. */
  readonly signature: Signature;
}

/** True if the typed array's buffer has been detached (transferred). Never throws. */
export function isDetached(view: ArrayBufferView): boolean {
  const b = view.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof b.detached === 'boolean') return b.detached;
  if (b.byteLength !== 0 || typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer) return false;
  try {
    new Uint8Array(b);
    return false;
  } catch {
    return true;
  }
}

/** Encodes a JS string for a Fortran `character` argument, blank-padded to `min` bytes. */
function fortranChars(s: string, min: number): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length >= min) return b;
  const out = Buffer.alloc(min, 0x20);
  b.copy(out);
  return out;
}

/** Encodes a JS string for a C `char *` of a bind(C) Fortran routine: NUL-terminated. */
function cChars(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

function intCheck(type: ScalarName, v: string): string {
  switch (type) {
    case 'int8': return `(typeof ${v} === 'number' && (${v} << 24 >> 24) === ${v})`;
    case 'uint8': return `(typeof ${v} === 'number' && (${v} & 255) === ${v})`;
    case 'char': return `(typeof ${v} === 'number' && (${v} | 0) === ${v} && ${v} >= -128 && ${v} <= 255)`;
    case 'int16': return `(typeof ${v} === 'number' && (${v} << 16 >> 16) === ${v})`;
    case 'uint16': return `(typeof ${v} === 'number' && (${v} & 65535) === ${v})`;
    case 'int32': return `(typeof ${v} === 'number' && (${v} | 0) === ${v})`;
    case 'uint32': return `(typeof ${v} === 'number' && (${v} >>> 0) === ${v})`;
    case 'int64': return `(typeof ${v} === 'number' ? Number.isSafeInteger(${v}) : typeof ${v} === 'bigint' && BigInt.asIntN(64, ${v}) === ${v})`;
    case 'uint64': return `(typeof ${v} === 'number' ? Number.isSafeInteger(${v}) && ${v} >= 0 : typeof ${v} === 'bigint' && BigInt.asUintN(64, ${v}) === ${v})`;
    case 'float32': case 'float64': return `(typeof ${v} === 'number')`;
    case 'bool': return `(typeof ${v} === 'boolean')`;
  }
}

function valueOk(p: ParamSpec, v: string): string {
  return p.logical ? `(typeof ${v} === 'boolean')` : intCheck(p.type, v);
}

/** Names of parameters that size arrays (they must be non-negative). */
function sizeParams(sig: Signature): Set<string> {
  const s = new Set<string>();
  for (const p of sig.params) if (p.length !== null) for (const id of identifiers(p.length)) s.add(id);
  return s;
}

function ctorTest(ctors: readonly number[], v: string): string {
  return ctors.map((i) => `${v} instanceof T${i}`).join(' || ');
}

interface Generated { checked: string; unchecked: string; ctors: TypedArrayConstructor[]; scratch: AnyScratch[] }
type AnyScratch = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/** Builds the source of the checked and unchecked wrappers of `sig`. */
function generate(sig: Signature): Generated {
  const ctors: TypedArrayConstructor[] = [];
  const ctorIndex = (c: TypedArrayConstructor): number => {
    let i = ctors.indexOf(c);
    if (i < 0) { i = ctors.length; ctors.push(c); }
    return i;
  };
  const scratch: AnyScratch[] = [];
  const sizes = sizeParams(sig);
  const n = sig.params.length;
  const A = sig.params.map((_, i) => `a${i}`);
  const argList = `[${A.join(', ')}]`;
  const fail = (i: number): string => `fail(${i}, ${argList})`;
  const valueOf = new Map<string, string>();
  const chk: string[] = [];
  const temps: string[] = [];
  const callArgs: string[] = [], uncArgs: string[] = [], hidden: string[] = [];
  // first pass: scalars (so that lengths can use their values)
  sig.params.forEach((p, i) => {
    const a = `a${i}`;
    const isSize = sizes.has(p.name);
    if (p.kind === 'value') {
      chk.push(`if (!${valueOk(p, a)}${isSize ? ` || ${a} < 0` : ''}) ${fail(i)};`);
      if (isSize) {
        const v = `v${i}`;
        temps.push(v);
        chk.push(`${v} = ${p.type === 'int64' || p.type === 'uint64' ? `Number(${a})` : a};`);
        valueOf.set(p.name, v);
      }
      const conv = p.logical ? `(${a} ? 1 : 0)` : a;
      callArgs[i] = conv;
      uncArgs[i] = conv;
    } else if (p.kind === 'ref') {
      const info = scalarInfo(p.type);
      const sIdx = scratch.length;
      scratch.push(new (info.arrays[0] as TypedArrayConstructor)(1) as AnyScratch);
      const s = `s${sIdx}`, c = `c${i}`;
      const big = p.type === 'int64' || p.type === 'uint64';
      const store = p.logical ? `(${a} ? 1 : 0)` : big ? `BigInt(${a})` : a;
      const scalarJs = p.logical ? 'boolean' : 'number';
      const acceptScalar = p.intent !== 'out' && p.intent !== 'inout';
      const arrTest = ctorTest(info.arrays.map(ctorIndex), a);
      temps.push(c);
      const branches: string[] = [];
      if (acceptScalar) {
        const extra = big ? ` || typeof ${a} === 'bigint'` : '';
        branches.push(`if (typeof ${a} === '${scalarJs}'${extra}) { if (!${valueOk(p, a)}${isSize ? ` || ${a} < 0` : ''}) ${fail(i)}; ${s}[0] = ${store}; ${c} = ${s}; }`);
      }
      branches.push(`if ((${arrTest}) && ${a}.length >= 1${isSize ? ` && ${a}[0] >= 0` : ''}) ${c} = ${a};`);
      if (p.optional) branches.push(`if (${a} === null) ${c} = null;`);
      chk.push(`${branches.join(' else ')} else ${fail(i)};`);
      if (isSize) {
        const v = `v${i}`;
        temps.push(v);
        chk.push(`${v} = Number(typeof ${a} === 'object' ? ${a}[0] : ${a});`);
        valueOf.set(p.name, v);
      }
      callArgs[i] = c;
      const uncStore = p.logical ? `(${a} ? 1 : 0)` : big ? `BigInt(${a})` : a;
      uncArgs[i] = `(typeof ${a} === 'object' ? ${a} : (${s}[0] = ${uncStore}, ${s}))`;
    }
  });
  const lenJs = (e: Expr): string => exprToJs(e, (id) => {
    const v = valueOf.get(id);
    if (v !== undefined) return v;
    const c = sig.constants.get(id);
    if (c !== undefined) return `(${c})`;
    throw new Error(`length refers to unknown '${id}'`);
  });
  sig.params.forEach((p, i) => {
    const a = `a${i}`;
    const opt = p.optional ? `${a} !== null && ` : '';
    if (p.kind === 'array') {
      const test = ctorTest(scalarInfo(p.type).arrays.map(ctorIndex), a);
      chk.push(`if (${opt}!(${test})) ${fail(i)};`);
      if (p.length !== null) {
        chk.push(`if (${opt}!(${a}.length >= ${lenJs(p.length)} && ${a}.length !== 0) && !emptyOk(${a}, ${lenJs(p.length)})) ${fail(i)};`);
      } else {
        chk.push(`if (${opt}${a}.length === 0 && detached(${a})) ${fail(i)};`);
      }
      callArgs[i] = a;
      uncArgs[i] = a;
    } else if (p.kind === 'pointer') {
      const len = p.length !== null ? lenJs(p.length) : '0';
      chk.push(`if (ArrayBuffer.isView(${a})) { if (!(${a}.byteLength >= ${len} && ${a}.byteLength !== 0) && !emptyOk(${a}, ${len})) ${fail(i)}; }` +
        ` else if (!(typeof ${a} === 'bigint' && ${a} > 0n${p.length !== null ? ' && false' : ''})${p.optional ? ` && ${a} !== null` : ''}) ${fail(i)};`);
      callArgs[i] = a;
      uncArgs[i] = a;
    } else if (p.kind === 'string') {
      const b = `b${i}`;
      if (sig.language === 'c') {
        chk.push(`if (typeof ${a} !== 'string'${p.optional ? ` && ${a} !== null` : ''}) ${fail(i)};`);
        callArgs[i] = a;
        uncArgs[i] = a;
      } else {
        const minLen = p.length !== null ? lenJs(p.length) : '0';
        const acceptString = p.intent !== 'out' && p.intent !== 'inout';
        const enc = p.hiddenLength ? `fchars(${a}, ${minLen})` : `cchars(${a})`;
        temps.push(b);
        chk.push(`${acceptString ? `if (typeof ${a} === 'string') ${b} = ${enc}; else ` : ''}if (${a} instanceof Uint8Array && (${a}.length >= ${minLen} && ${a}.length !== 0 || emptyOk(${a}, ${minLen}))) ${b} = ${a};${p.optional ? ` else if (${a} === null) ${b} = null;` : ''} else ${fail(i)};`);
        callArgs[i] = b;
        uncArgs[i] = `(typeof ${a} === 'string' ? ${enc} : ${a})`;
        if (p.hiddenLength) hidden.push(`(${b} === null ? 0 : ${b}.length)`);
      }
    }
  });
  const resultConv = sig.result.kind === 'value' && sig.result.logical ? ' !== 0' : '';
  const epilogue = `if (hooks.watching) hooks.refresh();`;
  const checked = [
    `return function ${safeName(sig.name)}(${A.join(', ')}) {`,
    `if (arguments.length !== ${n}) fail(-1, Array.prototype.slice.call(arguments));`,
    ...(temps.length > 0 ? [`let ${temps.join(', ')};`] : []),
    // an exotic object (a Proxy of a typed array, a throwing getter) may throw inside a check: that is a refusal too
    'try {',
    ...chk,
    `} catch (e) { if (e instanceof KAE) throw e; refused(e, ${argList}); }`,
    'enter(token);',
    'let r;',
    // koffi refusing a value the checks let through (a Proxy of a typed array, ...) becomes a typed error too
    `try { r = raw(${[...callArgs, ...hidden].join(', ')}); } catch (e) { refused(e, ${argList}); }`,
    epilogue,
    `return r${resultConv};`,
    '};',
  ].join('\n');
  // unchecked: hidden lengths computed from the converted arguments need the conversions first
  const ub = sig.params.map((p, i) => (p.kind === 'string' && sig.language === 'fortran' ? `const u${i} = ${uncArgs[i]};` : ''));
  const uArgs = sig.params.map((p, i) => (p.kind === 'string' && sig.language === 'fortran' ? `u${i}` : uncArgs[i]));
  const uHidden = sig.params.filter((p) => p.kind === 'string' && p.hiddenLength).map((p) => {
    const i = sig.params.indexOf(p);
    return `(u${i} === null ? 0 : u${i}.length)`;
  });
  const unchecked = [
    `return function ${safeName(sig.name)}_unchecked(${A.join(', ')}) {`,
    ...ub.filter((x) => x !== ''),
    'enter(token);',
    `const r = raw(${[...uArgs, ...uHidden].join(', ')});`,
    epilogue,
    `return r${resultConv};`,
    '};',
  ].join('\n');
  return { checked, unchecked, ctors, scratch };
}

function safeName(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : 'kernel';
}

/**
 * Wraps the native function `raw` (declared with the koffi types of {@link koffiTypes}) as a
 * checked {@link KernelFunction} with an `unchecked` sibling. Both call `enterKernel(token)`
 * right before entering native code. Throws Error only on an internal generation bug.
 */
export function makeKernelFunction(sig: Signature, raw: (...args: unknown[]) => unknown, token: Uint8Array, hooks: CallHooks): KernelFunction {
  const g = generate(sig);
  const names = ['raw', 'enter', 'token', 'hooks', 'fail', 'refused', 'KAE', 'emptyOk', 'detached', 'fchars', 'cchars',
    ...g.ctors.map((_, i) => `T${i}`), ...g.scratch.map((_, i) => `s${i}`)];
  const fail = (index: number, args: readonly unknown[]): never => diagnose(sig, args, index);
  const refused = (error: unknown, args: readonly unknown[]): never => {
    try {
      diagnose(sig, args, 0);
    } catch (e) {
      if (e instanceof KernelArgumentError && !/was refused, got/.test(e.message)) throw e;
    }
    throw new KernelArgumentError(`${sig.name}(): an argument was refused by the FFI layer: ${(error as Error)?.message ?? String(error)}`,
      sig.name, '', -1, 'type');
  };
  const emptyOk = (a: ArrayBufferView, need: number): boolean => need === 0 && !isDetached(a);
  const values: unknown[] = [raw, enterKernel, token, hooks, fail, refused, KernelArgumentError, emptyOk, isDetached, fortranChars, cChars, ...g.ctors, ...g.scratch];
  const checked = new Function(...names, g.checked)(...values) as (...args: unknown[]) => unknown;
  const unchecked = new Function(...names, g.unchecked)(...values) as (...args: unknown[]) => unknown;
  Object.defineProperty(checked, 'unchecked', { value: unchecked, enumerable: false });
  Object.defineProperty(checked, 'signature', { value: sig, enumerable: false });
  Object.defineProperty(unchecked, 'signature', { value: sig, enumerable: false });
  return checked as KernelFunction;
}

/** The generated wrapper source, for tests and curiosity. */
export function generatedSource(sig: Signature): { checked: string; unchecked: string } {
  const g = generate(sig);
  return { checked: g.checked, unchecked: g.unchecked };
}

// ---------------------------------------------------------------------------------------------
// diagnosis: the slow path that explains a refused call

function argError(sig: Signature, i: number, problem: KernelArgumentProblem, what: string): KernelArgumentError {
  const p = sig.params[i];
  const head = p === undefined ? `${sig.name}()` : `${sig.name}(): argument ${i + 1} '${p.name}' (${p.decl})`;
  return new KernelArgumentError(`${head} ${what}`, sig.name, p?.name ?? '', i, problem);
}

function typedArrayNames(p: ParamSpec): string {
  return scalarInfo(p.type).arrays.map((c) => c.name).join(' or ');
}

function range(type: ScalarName): string {
  switch (type) {
    case 'int8': return 'an integer from -128 to 127';
    case 'uint8': return 'an integer from 0 to 255';
    case 'char': return 'an integer from -128 to 255';
    case 'int16': return 'an integer from -32768 to 32767';
    case 'uint16': return 'an integer from 0 to 65535';
    case 'int32': return 'an integer from -2147483648 to 2147483647';
    case 'uint32': return 'an integer from 0 to 4294967295';
    case 'int64': return 'a safe integer or a BigInt in int64 range';
    case 'uint64': return 'a non-negative safe integer or a BigInt in uint64 range';
    case 'float32': case 'float64': return 'a number';
    case 'bool': return 'a boolean';
  }
}

function scalarProblem(sig: Signature, i: number, p: ParamSpec, v: unknown, isSize: boolean): KernelArgumentError | null {
  if (p.logical) return typeof v === 'boolean' ? null : argError(sig, i, 'type', `must be a boolean (Fortran logical), got ${describe(v)}`);
  const ok = new Function('a', `return ${intCheck(p.type, 'a')};`)(v) as boolean;
  if (!ok) {
    const wrongType = p.type === 'bool' ? typeof v !== 'boolean'
      : (p.type === 'int64' || p.type === 'uint64') ? typeof v !== 'number' && typeof v !== 'bigint' : typeof v !== 'number';
    const problem: KernelArgumentProblem = wrongType ? 'type' : isSize ? 'size' : 'range';
    return argError(sig, i, problem, `must be ${range(p.type)}, got ${describe(v)}${typeof v === 'number' && Number.isNaN(v) && isSize ? ' (a NaN size)' : ''}`);
  }
  if (isSize && (v as number) < 0) {
    return argError(sig, i, 'size', `sizes an array (${sizedBy(sig, p.name)}) and must not be negative, got ${describe(v)}`);
  }
  return null;
}

function sizedBy(sig: Signature, name: string): string {
  return sig.params.filter((q) => q.length !== null && identifiers(q.length).has(name)).map((q) => q.name).join(', ');
}

function lengthOf(sig: Signature, e: Expr, args: readonly unknown[]): { value: number; env: string } {
  const env: string[] = [];
  const value = evaluate(e, (id) => {
    const c = sig.constants.get(id);
    if (c !== undefined) return c;
    const j = sig.params.findIndex((q) => q.name === id);
    const a = args[j];
    const v = Number(ArrayBuffer.isView(a) ? (a as unknown as ArrayLike<number | bigint>)[0] : a);
    env.push(`${id}=${v}`);
    return v;
  });
  return { value, env: env.join(', ') };
}

/**
 * Finds what is wrong with a call of `sig` with `args` and throws a KernelArgumentError saying
 * so. `index` is the argument the fast check stopped at (-1 for the count). Always throws.
 */
export function diagnose(sig: Signature, args: readonly unknown[], index: number): never {
  if (index === -1 || args.length !== sig.params.length) {
    throw new KernelArgumentError(
      `${sig.name}() expects ${sig.params.length} argument${sig.params.length === 1 ? '' : 's'} (${sig.params.map((p) => p.name).join(', ')}), got ${args.length}; signature: ${describeSignature(sig)}`,
      sig.name, '', -1, 'count');
  }
  const sizes = sizeParams(sig);
  // scalars first, as the generated code does
  for (let i = 0; i < sig.params.length; i++) {
    const p = sig.params[i] as ParamSpec, a = args[i];
    const isSize = sizes.has(p.name);
    if (p.kind === 'value') {
      const e = scalarProblem(sig, i, p, a, isSize);
      if (e !== null) throw e;
    } else if (p.kind === 'ref') {
      const info = scalarInfo(p.type);
      const explicitOut = p.intent === 'out' || p.intent === 'inout';
      if (p.optional && a === null) continue;
      if (ArrayBuffer.isView(a)) {
        if (!info.arrays.some((c) => a instanceof c)) {
          throw argError(sig, i, 'type', `is a scalar passed by reference: pass ${explicitOut ? '' : 'a number or '}a one-element ${info.arrays[0]?.name ?? ''}, got ${describe(a)}`);
        }
        const ta = a as unknown as ArrayLike<number>;
        if (ta.length < 1) {
          throw isDetached(a) ? argError(sig, i, 'detached', 'is a typed array over a detached ArrayBuffer (it was transferred); pass a live array')
            : argError(sig, i, 'length', `is a scalar passed by reference: the ${describe(a)} needs at least 1 element`);
        }
        if (isSize && (ta[0] as number) < 0) throw argError(sig, i, 'size', `sizes an array (${sizedBy(sig, p.name)}) and must not be negative, got ${String(ta[0])}`);
        continue;
      }
      if (explicitOut) {
        throw argError(sig, i, 'type', `is intent(${p.intent ?? ''}): pass a one-element ${info.arrays[0]?.name ?? ''} to receive the value (a plain ${p.logical ? 'boolean' : 'number'} would be lost), got ${describe(a)}`);
      }
      const bigOk = (p.type === 'int64' || p.type === 'uint64') && typeof a === 'bigint';
      if (typeof a !== (p.logical ? 'boolean' : 'number') && !bigOk) {
        throw argError(sig, i, 'type', `must be a ${p.logical ? 'boolean' : 'number'} or a one-element ${info.arrays[0]?.name ?? ''}, got ${describe(a)}`);
      }
      const e = scalarProblem(sig, i, p, a, isSize);
      if (e !== null) throw e;
    }
  }
  for (let i = 0; i < sig.params.length; i++) {
    const p = sig.params[i] as ParamSpec, a = args[i];
    if (p.optional && a === null) continue;
    if (p.kind === 'array') {
      const ctors = scalarInfo(p.type).arrays;
      if (ctors.some((c) => a instanceof c) && !ArrayBuffer.isView(a)) {
        throw argError(sig, i, 'type', `must be a ${typedArrayNames(p)}, got an object that only looks like one (a Proxy?)`);
      }
      if (!ctors.some((c) => a instanceof c)) {
        let hint = '';
        if (Array.isArray(a)) hint = `: a plain Array would be copied, and whatever the kernel writes into it lost; pass new ${ctors[0]?.name ?? ''}(...)`;
        else if (ArrayBuffer.isView(a)) hint = `: its elements are not ${p.logical ? 'logical' : scalarInfo(p.type).c}; convert with ${ctors[0]?.name ?? ''}.from(...)`;
        else if (a === null || a === undefined) hint = p.optional ? '' : ' (declare it { optional: true } to allow null)';
        throw argError(sig, i, 'type', `must be a ${typedArrayNames(p)}, got ${describe(a)}${hint}`);
      }
      const ta = a as unknown as ArrayBufferView & { length: number };
      if (ta.length === 0 && isDetached(ta)) throw argError(sig, i, 'detached', 'is a typed array over a detached ArrayBuffer (it was transferred); pass a live array');
      if (p.length !== null) lengthProblem(sig, i, p, p.length, ta.length, args, 'elements');
    } else if (p.kind === 'pointer') {
      if (ArrayBuffer.isView(a)) {
        if (a.byteLength === 0 && isDetached(a)) throw argError(sig, i, 'detached', 'is a view of a detached ArrayBuffer (it was transferred); pass a live array');
        if (p.length !== null) lengthProblem(sig, i, p, p.length, a.byteLength, args, 'bytes');
      } else if (typeof a === 'bigint') {
        if (a <= 0n) throw argError(sig, i, 'range', `is an address and must be positive, got ${describe(a)}`);
        if (p.length !== null) throw argError(sig, i, 'type', `has a declared length: pass a typed array whose size can be checked, got an address ${describe(a)}`);
      } else {
        throw argError(sig, i, 'type', `must be a typed array${p.length === null ? ' or a BigInt address' : ''}${p.optional ? ' or null' : ''}, got ${describe(a)}`);
      }
    } else if (p.kind === 'string') {
      if (sig.language === 'c') {
        if (typeof a !== 'string') throw argError(sig, i, 'type', `must be a string, got ${describe(a)}`);
      } else {
        const explicitOut = p.intent === 'out' || p.intent === 'inout';
        if (typeof a === 'string' && !explicitOut) continue;
        if (!(a instanceof Uint8Array)) {
          throw argError(sig, i, 'type', explicitOut
            ? `is intent(${p.intent ?? ''}): pass a Uint8Array (Buffer) to receive the characters, got ${describe(a)}`
            : `must be a string or a Uint8Array, got ${describe(a)}`);
        }
        if (a.length === 0 && isDetached(a)) throw argError(sig, i, 'detached', 'is a Uint8Array over a detached ArrayBuffer (it was transferred); pass a live array');
        if (p.length !== null) lengthProblem(sig, i, p, p.length, a.length, args, 'characters');
      }
    }
  }
  throw argError(sig, Math.max(0, index), 'type', `was refused, got ${describe(args[index])}`);
}

function lengthProblem(sig: Signature, i: number, p: ParamSpec, e: Expr, have: number, args: readonly unknown[], unit: string): void {
  const { value, env } = lengthOf(sig, e, args);
  const expr = exprToString(e);
  const shown = e.k === 'num' ? `${value}` : `${expr} = ${value}${env !== '' ? ` (${env})` : ''}`;
  if (!Number.isFinite(value) || !Number.isInteger(value) || value < 0) {
    throw argError(sig, i, 'size', `has length ${shown}, which is not a valid size; check the size arguments`);
  }
  if (have < value) throw argError(sig, i, 'length', `has ${have} ${unit} but needs ${shown}`);
}

/** The koffi parameter and result types the wrappers call `raw` with. */
export function koffiTypes(sig: Signature): { result: string; params: string[] } {
  const params: string[] = [];
  const hidden: string[] = [];
  for (const p of sig.params) {
    switch (p.kind) {
      case 'value': params.push(scalarInfo(p.type).koffi); break;
      case 'ref': case 'array': case 'pointer': params.push('void *'); break;
      case 'string':
        if (sig.language === 'c') params.push('const char *');
        else {
          params.push('void *');
          if (p.hiddenLength) hidden.push('size_t');
        }
        break;
    }
  }
  const r = sig.result;
  const result = r.kind === 'void' ? 'void' : r.kind === 'string' ? 'const char *' : r.kind === 'pointer' ? 'void *' : scalarInfo(r.type).koffi;
  return { result, params: [...params, ...hidden] };
}

