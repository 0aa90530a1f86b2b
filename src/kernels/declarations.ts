/**
 * Contracts: what a kernel's parameters are (element type, length as an expression of other
 * arguments, intent, by value or by reference) and what a module variable or C global is. Both
 * the user's declarations and the bindings read from C and Fortran sources end up as these
 * records, from which the checked calls and the live data views are built.
 */
import { KernelDeclarationError } from './errors.js';
import { type Expr, exprToString, identifiers, parseExpr } from './expr.js';
import { type ScalarName, isIntegerType, isScalarName } from './ctypes.js';

/** Data flow of a pointer argument. `null`: not stated (treated as inout, but numbers are accepted for by-reference scalars). */
export type Intent = 'in' | 'out' | 'inout';

/**
 * How an argument travels:
 * - `value`: a scalar by value (C `int n`, Fortran `value`);
 * - `ref`: a scalar by reference (Fortran default, or a C pointer declared `byRef`): the caller
 *   passes a plain number (copied into scratch memory) or a one-element typed array;
 * - `array`: a typed array of the element type, passed zero-copy;
 * - `string`: a JS string (C `const char *`, Fortran `character`);
 * - `pointer`: C `void *`: any typed array, a BigInt address, or null when optional.
 */
export type ParamKind = 'value' | 'ref' | 'array' | 'string' | 'pointer';

/** One parameter of a kernel, as checked before each call. */
export interface ParamSpec {
  readonly name: string;
  kind: ParamKind;
  /** Scalar or element type. `char` for strings. */
  type: ScalarName;
  /** Fortran logical: JS booleans in, stored as `type` (0 or 1). */
  readonly logical: boolean;
  /** Required element count (bytes for `pointer`; characters for fixed-length Fortran strings); null = unchecked. */
  length: Expr | null;
  intent: Intent | null;
  optional: boolean;
  /** Fortran `character` outside bind(C): its length is passed as a hidden size_t after all arguments. */
  readonly hiddenLength: boolean;
  /** How it was declared, for error messages. */
  readonly decl: string;
}

/** Kind of value a kernel returns. */
export interface ResultSpec {
  readonly kind: 'void' | 'value' | 'string' | 'pointer';
  readonly type: ScalarName;
  readonly logical: boolean;
}

/** A kernel: which symbol to call and how to check and convert its arguments. */
export interface Signature {
  /** Name exposed to JavaScript. */
  name: string;
  /** Symbol in the shared library (`heat_step`, `heat_step_`, `__advect_MOD_step`). */
  symbol: string;
  readonly language: 'c' | 'fortran';
  readonly result: ResultSpec;
  readonly params: ParamSpec[];
  /** Where the declaration came from (`file:line` or `declaration`). */
  readonly source: string;
  /** Constants (C #define, Fortran parameter) usable in length expressions. */
  readonly constants: ReadonlyMap<string, number>;
}

/** Where a module variable or global lives and how to view it. */
export type Storage = 'scalar' | 'fixed' | 'allocatable' | 'pointer' | 'cpointer';

/** A Fortran module variable or a C global variable. */
export interface VariableSpec {
  /** Name exposed to JavaScript (lower case for Fortran). */
  readonly name: string;
  /** Fortran module name; null for a C global. */
  readonly module: string | null;
  readonly symbol: string;
  readonly type: ScalarName;
  readonly logical: boolean;
  /** Fortran character scalar: its length in bytes. */
  readonly charLen: number | null;
  readonly storage: Storage;
  /** Fixed arrays: extents (Fortran order for Fortran, declaration order for C). */
  readonly shape: readonly number[] | null;
  /** Fixed Fortran arrays: lower bounds. */
  readonly lbounds: readonly number[] | null;
  /** Allocatable and pointer arrays: rank. */
  readonly rank: number;
  /** C pointer globals: element count as an expression of integer globals (null until declared). */
  length: Expr | null;
  readonly readonly: boolean;
  readonly source: string;
  readonly decl: string;
}

/** Something read from source that was not bound, or bound with a check left out, and why. */
export interface Skipped {
  readonly name: string;
  /** `kernel` and `variable` were not bound; `length` means the kernel was bound but this length is not checked. */
  readonly what: 'kernel' | 'variable' | 'length';
  readonly reason: string;
  readonly source: string;
}

/** What a parser read from one source. */
export interface Bindings {
  readonly kernels: Signature[];
  readonly variables: VariableSpec[];
  readonly skipped: Skipped[];
}

/** A per-parameter contract given by the user. A string or number is a length. */
export interface ParamContract {
  /** Element count (bytes for `void *`), a number or an expression of integer arguments: `'nx*ny'`. */
  readonly length?: string | number;
  /** Element type of a `void *` parameter (turns it into a typed array parameter). */
  readonly type?: ScalarName;
  readonly intent?: Intent;
  /** Scalar by reference: `true` turns a C `int *` into a by-reference scalar (plain numbers accepted). */
  readonly byRef?: boolean;
  /** `null` is accepted (passed as a NULL pointer). */
  readonly optional?: boolean;
}

/**
 * A kernel declaration. `c`, `fortran` or `proto` (either language, detected) gives the
 * prototype; with none, the declaration amends the binding read from source under the same name.
 */
export interface KernelDeclaration {
  /** A C prototype in koffi syntax: `'void heat_step(int nx, int ny, const double *u, double *unew, double alpha)'`. */
  readonly c?: string;
  /** A Fortran interface: `subroutine step(n, u)` then its declarations (`integer :: n`, `real(8) :: u(n)`). */
  readonly fortran?: string;
  /** Either of the above; Fortran if it starts with `subroutine` or `function`. */
  readonly proto?: string;
  /** Symbol to call when it is not the declared name (or its Fortran mangling). */
  readonly symbol?: string;
  /** Fortran module of a module procedure (symbol `__<module>_MOD_<name>`). */
  readonly module?: string;
  /** Per-parameter contracts by parameter name. */
  readonly args?: Readonly<Record<string, string | number | ParamContract>>;
}

/** A declaration: a prototype string (C or Fortran) or a {@link KernelDeclaration}. */
export type Declaration = string | KernelDeclaration;

/** Declarations by the name the kernel gets in JavaScript. */
export type Declarations = Readonly<Record<string, Declaration>>;

/** True if `text` reads as a Fortran interface rather than a C prototype. */
export function looksLikeFortran(text: string): boolean {
  const first = text.trim().split('\n')[0]?.toLowerCase() ?? '';
  return /^((pure|elemental|recursive|impure|module)\s+)*subroutine\b/.test(first) ||
    /^((pure|elemental|recursive|impure|module)\s+)*(([a-z]+(\s*\([^)]*\)|\*\d+)?|double\s+precision)\s+)?((pure|elemental|recursive|impure)\s+)*function\b/.test(first) ||
    /^module\b/.test(first);
}

/**
 * Applies the user's per-parameter contracts to `sig` (in place). Throws KernelDeclarationError
 * for a name that is not a parameter or a contract that does not fit the parameter.
 */
export function applyContracts(sig: Signature, args: Readonly<Record<string, string | number | ParamContract>>): void {
  for (const [pname, raw] of Object.entries(args)) {
    const p = sig.params.find((q) => q.name === pname);
    if (p === undefined) {
      throw new KernelDeclarationError(
        `${sig.name}: no parameter named '${pname}' (parameters: ${sig.params.map((q) => q.name).join(', ') || 'none'})`, sig.name);
    }
    const c: ParamContract = typeof raw === 'object' ? raw : { length: raw };
    if (c.type !== undefined) {
      if (!isScalarName(c.type)) throw new KernelDeclarationError(`${sig.name}: parameter '${pname}': unknown element type '${String(c.type)}'`, sig.name);
      if (p.kind === 'pointer') { p.kind = 'array'; p.type = c.type; }
      else if (p.type !== c.type) {
        throw new KernelDeclarationError(
          `${sig.name}: parameter '${pname}' is declared ${p.decl}; change the prototype to change its type (only void * takes a type contract)`, sig.name);
      }
    }
    if (c.byRef !== undefined) {
      if (c.byRef && p.kind === 'array') p.kind = 'ref';
      else if (!c.byRef && p.kind === 'ref') p.kind = 'array';
      else if (c.byRef && p.kind !== 'ref') {
        throw new KernelDeclarationError(`${sig.name}: parameter '${pname}' (${p.decl}) cannot be passed by reference`, sig.name);
      }
    }
    if (c.length !== undefined) {
      if (p.kind !== 'array' && p.kind !== 'pointer' && !(p.kind === 'string' && p.hiddenLength)) {
        throw new KernelDeclarationError(`${sig.name}: parameter '${pname}' (${p.decl}) is not a pointer; a length does not apply`, sig.name);
      }
      p.length = parseLength(sig, pname, c.length);
    }
    if (c.intent !== undefined) {
      if (c.intent !== 'in' && c.intent !== 'out' && c.intent !== 'inout') {
        throw new KernelDeclarationError(`${sig.name}: parameter '${pname}': intent must be 'in', 'out' or 'inout'`, sig.name);
      }
      p.intent = c.intent;
    }
    if (c.optional !== undefined) p.optional = c.optional;
  }
  validateLengths(sig);
}

function parseLength(sig: Signature, pname: string, length: string | number): Expr {
  if (typeof length === 'number') {
    if (!Number.isInteger(length) || length < 0) {
      throw new KernelDeclarationError(`${sig.name}: length of '${pname}' must be a non-negative integer or an expression, got ${length}`, sig.name);
    }
    return { k: 'num', v: length };
  }
  try {
    return parseExpr(length);
  } catch (e) {
    throw new KernelDeclarationError(`${sig.name}: parameter '${pname}': ${(e as Error).message}`, sig.name);
  }
}

/**
 * Throws KernelDeclarationError unless every identifier in a length expression is an integer
 * scalar parameter (by value or by reference) or a known constant.
 */
export function validateLengths(sig: Signature): void {
  for (const p of sig.params) {
    if (p.length === null) continue;
    for (const id of identifiers(p.length)) {
      if (sig.constants.has(id)) continue;
      const q = sig.params.find((x) => x.name === id);
      if (q === undefined || (q.kind !== 'value' && q.kind !== 'ref') || q.logical || !isIntegerType(q.type)) {
        throw new KernelDeclarationError(
          `${sig.name}: length of '${p.name}' is '${exprToString(p.length)}' but '${id}' is not an integer parameter of ${sig.name}`, sig.name);
      }
    }
  }
}

/** A one-line description of `sig` for messages: `heat_step(int32 nx, int32 ny, float64[nx*ny] u, ...)`. */
export function describeSignature(sig: Signature): string {
  const params = sig.params.map((p) => {
    const len = p.length === null ? '' : exprToString(p.length);
    switch (p.kind) {
      case 'value': return `${p.logical ? 'logical' : p.type} ${p.name}`;
      case 'ref': return `${p.logical ? 'logical' : p.type} *${p.name}`;
      case 'array': return `${p.logical ? 'logical' : p.type}[${len}] ${p.name}`;
      case 'string': return `string ${p.name}`;
      case 'pointer': return `void *${p.name}${len ? `[${len} bytes]` : ''}`;
    }
  });
  return `${sig.name}(${params.join(', ')})`;
}
