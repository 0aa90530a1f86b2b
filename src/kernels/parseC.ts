/**
 * Reads kernel bindings from simple C: prototypes and definitions of exported functions, and
 * global variables. Array lengths come from C99 array-parameter syntax
 * (`void heat_step(int nx, int ny, const double u[nx*ny], ...)`) and from koffi-style
 * qualifiers (`_In_`, `_Out_`, `_Inout_`). What does not fit (structs, function pointers,
 * variadic functions, pointers to pointers, unknown type names) is reported by name in
 * `skipped`, never guessed.
 */
import { type Bindings, type Intent, type ParamSpec, type ResultSpec, type Signature, type Skipped, type VariableSpec } from './declarations.js';
import { type Expr, exprToString, identifiers, parseExpr, product, substitute } from './expr.js';
import { type ScalarName, scalarFromC } from './ctypes.js';

/** A C construct that cannot be bound; `reason` says why. */
export class CParseError extends Error {}

interface Statement { text: string; line: number; definition: boolean }

const typeWords = new Set(['char', 'short', 'int', 'long', 'signed', 'unsigned', 'float', 'double', 'void', 'bool', '_Bool']);
const qualifierWords = new Set(['const', 'volatile', 'restrict', '__restrict', '__restrict__', 'register', '_In_', '_Out_', '_Inout_']);
const storageWords = new Set(['static', 'extern', 'inline', '__inline', '__inline__', '_Noreturn', '_Thread_local', '__thread']);

/**
 * Parses C source or header text. `file` names it in `source` fields. Never throws: what cannot
 * be read is listed in `skipped`. Static functions and variables are not exported and are ignored.
 */
export function parseCSource(text: string, file: string): Bindings {
  const { code, constants, empties } = preprocess(text);
  const aliases = new Map<string, ScalarName | 'void'>();
  const out: Bindings = { kernels: [], variables: [], skipped: [] };
  for (const st of statements(code)) {
    const src = `${file}:${st.line}`;
    let t = st.text.replace(/__attribute__\s*\(\([^()]*(\([^()]*\)[^()]*)*\)\)/g, ' ')
      .replace(/__asm__\s*\([^)]*\)/g, ' ');
    t = t.split(/\s+/).filter((w) => w !== '' && (!empties.has(w) || qualifierWords.has(w))).join(' ');
    if (t === '' || /^(extern\s+"C")$/.test(t)) continue;
    if (/^typedef\b/.test(t)) {
      const m = /^typedef\s+(.+?)\s+([A-Za-z_]\w*)$/.exec(t);
      if (m) {
        const base = stripQualifiers(m[1] ?? '');
        const s = base === 'void' ? 'void' : scalarFromC(base);
        if (s !== null && !/[*[(]/.test(m[1] ?? '')) aliases.set(m[2] ?? '', s);
      }
      continue;
    }
    if (/^(struct|union|enum)\b[^(]*\{\}\s*$/.test(t)) continue;
    if (/^(struct|union|enum)\s+\w+$/.test(t)) continue;   // a forward declaration
    const isStatic = /(^|\s)static\s/.test(`${t} `);
    const fn = splitFunction(t);
    if (fn !== null) {
      if (isStatic) continue;
      try {
        const sig = functionSignature(fn.head, fn.params, src, aliases, constants, out.skipped);
        const prev = out.kernels.findIndex((k) => k.name === sig.name);
        if (prev < 0) out.kernels.push(sig);
        else if (lengthCount(sig) > lengthCount(out.kernels[prev] as Signature)) out.kernels[prev] = sig;
      } catch (e) {
        if (!(e instanceof CParseError)) throw e;
        out.skipped.push({ name: fn.name ?? t.slice(0, 40), what: 'kernel', reason: e.message, source: src });
      }
      continue;
    }
    if (isStatic) continue;
    readGlobals(t, src, aliases, constants, out);
  }
  return out;
}

function lengthCount(s: Signature): number {
  return s.params.filter((p) => p.length !== null).length;
}

/** Removes comments and preprocessor lines, keeping line numbers; collects integer #defines. */
function preprocess(text: string): { code: string; constants: Map<string, number>; empties: Set<string> } {
  const constants = new Map<string, number>();
  const empties = new Set<string>();
  let s = text.replace(/\\\r?\n/g, ' ');
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      const stop = end < 0 ? s.length : end + 2;
      out += s.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop - 1;
    } else if (c === '/' && s[i + 1] === '/') {
      const end = s.indexOf('\n', i);
      const stop = end < 0 ? s.length : end;
      out += ' '.repeat(stop - i);
      i = stop - 1;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < s.length && s[j] !== c && s[j] !== '\n') j += s[j] === '\\' ? 2 : 1;
      out += s.slice(i, j + 1);
      i = j;
    } else {
      out += c;
    }
  }
  s = out;
  const lines = s.split('\n').map((line) => {
    const m = /^\s*#\s*define\s+([A-Za-z_]\w*)\b(?!\()\s*(.*)$/.exec(line);
    if (m) {
      const name = m[1] ?? '', body = (m[2] ?? '').trim();
      if (body === '') empties.add(name);
      else {
        try {
          const e = substitute(parseExpr(body.replace(/(\d+)[uUlL]+\b/g, '$1')), constants);
          if (e.k === 'num' && Number.isInteger(e.v)) constants.set(name, e.v);
        } catch { /* not an integer constant */ }
      }
    }
    return /^\s*#/.test(line) ? '' : line;
  });
  return { code: lines.join('\n'), constants, empties };
}

/** Splits code into top-level statements; function bodies and initializers are skipped. */
function statements(code: string): Statement[] {
  const out: Statement[] = [];
  let buf = '';
  let line = 1, startLine = 1;
  const push = (definition: boolean): void => {
    const text = buf.replace(/\s+/g, ' ').trim();
    if (text !== '') out.push({ text, line: startLine, definition });
    buf = '';
  };
  for (let i = 0; i < code.length; i++) {
    const c = code[i] ?? '';
    if (c === '\n') line++;
    if (buf.trim() === '' && /\S/.test(c)) startLine = line;
    if (c === ';') { push(false); continue; }
    if (c === '}') { continue; }
    if (c === '{') {
      const head = buf.replace(/\s+/g, ' ').trim();
      if (/^extern "C"$/.test(head)) { buf = ''; continue; }
      // skip the balanced block
      let depth = 1, j = i + 1;
      for (; j < code.length && depth > 0; j++) {
        if (code[j] === '{') depth++;
        else if (code[j] === '}') depth--;
        else if (code[j] === '\n') line++;
      }
      i = j - 1;
      if (/\)\s*$/.test(head) && !/=/.test(head)) { push(true); continue; }
      buf += ' {} ';
      continue;
    }
    buf += c;
  }
  push(false);
  return out;
}

/** If `t` declares a function, its head (everything before the parameter list) and parameters. */
function splitFunction(t: string): { head: string; params: string; name: string | null } | null {
  if (!t.endsWith(')')) return null;
  let depth = 0, open = -1;
  for (let i = t.length - 1; i >= 0; i--) {
    if (t[i] === ')') depth++;
    else if (t[i] === '(') { depth--; if (depth === 0) { open = i; break; } }
  }
  if (open <= 0) return null;
  const head = t.slice(0, open).trim();
  if (/=/.test(head)) return null;
  const m = /([A-Za-z_]\w*)\s*\)?$/.exec(head);
  return { head, params: t.slice(open + 1, -1), name: m ? m[1] ?? null : null };
}

function stripQualifiers(s: string): string {
  return s.split(/\s+/).filter((w) => w !== '' && !qualifierWords.has(w) && !storageWords.has(w)).join(' ');
}

interface Declarator {
  name: string | null;
  base: string;
  pointers: number;
  constPointee: boolean;
  intent: Intent | null;
  dims: (Expr | null)[];
}

/** Reads `const double *restrict u` / `double u[nx*ny]` / `int` into its parts. */
function declarator(text: string, aliases: ReadonlyMap<string, ScalarName | 'void'>, constants: ReadonlyMap<string, number>): Declarator {
  let t = text.trim();
  if (/\(/.test(t)) throw new CParseError(`'${text}' looks like a function pointer; declare it as void * to pass an address`);
  const dims: (Expr | null)[] = [];
  let m: RegExpExecArray | null;
  while ((m = /\[([^\]]*)\]\s*$/.exec(t)) !== null) {
    const inner = (m[1] ?? '').replace(/\b(static|const|restrict|volatile|__restrict)\b/g, '').trim();
    if (inner === '' || inner === '*') dims.unshift(null);
    else {
      try { dims.unshift(substitute(parseExpr(inner), constants)); } catch (e) { throw new CParseError(`array bound '${m[1]}' of '${text}': ${(e as Error).message}`); }
    }
    t = t.slice(0, m.index).trim();
  }
  const words = t.replace(/\*/g, ' * ').split(/\s+/).filter((w) => w !== '');
  let intent: Intent | null = null;
  let pointers = 0, constPointee = false, seenStar = false;
  const typeParts: string[] = [];
  for (const w of words) {
    if (w === '*') { pointers++; seenStar = true; continue; }
    if (w === '_In_') { intent = 'in'; continue; }
    if (w === '_Out_') { intent = 'out'; continue; }
    if (w === '_Inout_') { intent = 'inout'; continue; }
    if (w === 'const') { if (!seenStar) constPointee = true; continue; }
    if (qualifierWords.has(w) || storageWords.has(w)) continue;
    typeParts.push(w);
  }
  // the last word is the parameter's name unless it is part of the type (`unsigned long`, `size_t`)
  let name: string | null = null;
  const last = typeParts[typeParts.length - 1];
  if (last !== undefined && typeParts.length >= 2 && !typeWords.has(last)) {
    name = last;
    typeParts.pop();
  }
  return { name, base: typeParts.join(' '), pointers: pointers + dims.length, constPointee, intent, dims };
}

function resolveBase(base: string, aliases: ReadonlyMap<string, ScalarName | 'void'>): ScalarName | 'void' | 'str' | null {
  if (base === 'void') return 'void';
  if (base === 'str' || base === 'string') return 'str';
  const s = scalarFromC(base);
  if (s !== null) return s;
  return aliases.get(base) ?? null;
}

function functionSignature(head: string, paramText: string, source: string,
  aliases: ReadonlyMap<string, ScalarName | 'void'>, constants: ReadonlyMap<string, number>, skipped: Skipped[]): Signature {
  const h = declarator(head, aliases, constants);
  if (h.name === null) throw new CParseError(`cannot find the function name in '${head}'`);
  const name = h.name;
  const rbase = resolveBase(h.base, aliases);
  if (rbase === null) throw new CParseError(`${name}: unknown return type '${h.base}'`);
  let result: ResultSpec;
  if (h.pointers === 0) {
    result = rbase === 'void' ? { kind: 'void', type: 'int32', logical: false }
      : rbase === 'str' ? { kind: 'string', type: 'char', logical: false }
        : { kind: 'value', type: rbase, logical: false };
  } else if (h.pointers === 1 && rbase === 'char') {
    result = { kind: 'string', type: 'char', logical: false };
  } else {
    result = { kind: 'pointer', type: 'uint64', logical: false };
  }
  const params: ParamSpec[] = [];
  const parts = splitTop(paramText);
  if (!(parts.length === 1 && (parts[0] === 'void' || parts[0] === ''))) {
    parts.forEach((raw, i) => {
      if (raw === '...') throw new CParseError(`${name} is variadic; declare a fixed prototype to call it`);
      if (/^(struct|union|enum)\b/.test(raw.replace(/^const\s+/, ''))) throw new CParseError(`${name}: parameter '${raw}' is a struct or union; not supported`);
      const d = declarator(raw, aliases, constants);
      const pname = d.name ?? `arg${i + 1}`;
      const base = resolveBase(d.base, aliases);
      if (base === null) throw new CParseError(`${name}: parameter '${raw}': unknown type '${d.base}'`);
      if (d.pointers > 1 && d.dims.length < d.pointers) throw new CParseError(`${name}: parameter '${raw}' is a pointer to a pointer; not supported`);
      params.push(paramFromDeclarator(name, raw, pname, d, base));
    });
  }
  const sig: Signature = { name, symbol: name, language: 'c', result, params, source, constants };
  // lengths that name something other than an integer parameter are left unchecked, and said so
  for (const p of params) {
    if (p.length === null) continue;
    for (const id of identifiers(p.length)) {
      const q = params.find((x) => x.name === id);
      if (q === undefined || q.kind !== 'value' || q.type === 'float32' || q.type === 'float64' || q.type === 'bool') {
        skipped.push({ name: `${name}.${p.name}`, what: 'length', reason: `length '${exprToString(p.length)}' refers to '${id}', which is not an integer parameter; not checked`, source });
        p.length = null;
        break;
      }
    }
  }
  return sig;
}

function paramFromDeclarator(fn: string, text: string, name: string, d: Declarator, base: ScalarName | 'void' | 'str'): ParamSpec {
  const common = { name, logical: false, optional: false, hiddenLength: false, decl: text.trim() };
  const intent: Intent | null = d.intent ?? (d.pointers > 0 && d.constPointee ? 'in' : null);
  if (d.pointers === 0) {
    if (base === 'void') throw new CParseError(`${fn}: parameter '${text}' has type void`);
    if (base === 'str') return { ...common, kind: 'string', type: 'char', length: null, intent: 'in' };
    return { ...common, kind: 'value', type: base, length: null, intent: null };
  }
  if (base === 'str') throw new CParseError(`${fn}: parameter '${text}' is a pointer to a string; not supported`);
  const length = d.dims.length === 0 ? null : d.dims.some((x) => x === null) ? null : product(d.dims as Expr[]);
  if (base === 'void') return { ...common, kind: 'pointer', type: 'uint8', length, intent };
  if (base === 'char' && d.constPointee && d.dims.length === 0) return { ...common, kind: 'string', type: 'char', length: null, intent: 'in' };
  return { ...common, kind: 'array', type: base, length, intent };
}

/** Splits on commas outside parentheses and brackets. */
export function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const c of s) {
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

function readGlobals(t: string, source: string, aliases: ReadonlyMap<string, ScalarName | 'void'>,
  constants: ReadonlyMap<string, number>, out: Bindings): void {
  // `extern const double g[N], h = 3;` -> specifiers + declarators
  const noInit = splitTop(t).map((d) => d.replace(/=.*$/s, '').trim());
  const first = noInit[0] ?? '';
  let fd: Declarator;
  try { fd = declarator(first, aliases, constants); } catch (e) {
    if (e instanceof CParseError) { out.skipped.push({ name: first, what: 'variable', reason: e.message, source }); return; }
    throw e;
  }
  if (fd.name === null) return;
  const readonly = /\bconst\b/.test(first.split(fd.name)[0] ?? '') && !/\*/.test(first);
  const baseType = fd.base;
  const decls = [first, ...noInit.slice(1).map((d) => `${baseType} ${d}`)];
  for (const text of decls) {
    let d: Declarator;
    try { d = declarator(text, aliases, constants); } catch (e) {
      if (e instanceof CParseError) { out.skipped.push({ name: text, what: 'variable', reason: e.message, source }); continue; }
      throw e;
    }
    if (d.name === null) continue;
    if (out.variables.some((v) => v.name === d.name)) continue;
    const base = resolveBase(d.base, aliases);
    const push = (v: Omit<VariableSpec, 'name' | 'module' | 'symbol' | 'source' | 'decl' | 'logical' | 'charLen' | 'readonly' | 'lbounds'>): void => {
      out.variables.push({ name: d.name ?? '', module: null, symbol: d.name ?? '', source, decl: text, logical: false, charLen: null, readonly, lbounds: null, ...v });
    };
    if (base === null || base === 'void' || base === 'str') {
      out.skipped.push({ name: d.name, what: 'variable', reason: `type '${d.base}' is not a number type`, source });
      continue;
    }
    if (d.dims.length === 0 && d.pointers === 0) push({ type: base, storage: 'scalar', shape: null, rank: 0, length: null });
    else if (d.dims.length > 0 && d.pointers === d.dims.length) {
      const shape = d.dims.map((x) => (x !== null && x.k === 'num' ? x.v : null));
      if (shape.some((x) => x === null)) {
        out.skipped.push({ name: d.name, what: 'variable', reason: `array '${text}' has a size that is not a constant`, source });
        continue;
      }
      push({ type: base, storage: 'fixed', shape: shape as number[], rank: shape.length, length: null });
    } else if (d.pointers === 1 && d.dims.length === 0) {
      push({ type: base, storage: 'cpointer', shape: null, rank: 1, length: null });
    } else {
      out.skipped.push({ name: d.name, what: 'variable', reason: `'${text}' is a pointer to a pointer; not supported`, source });
    }
  }
}

/**
 * Parses one C prototype such as `void heat_step(int nx, int ny, const double *u, double *unew, double alpha)`.
 * Throws CParseError saying what could not be read.
 */
export function parseCPrototype(text: string, source = 'declaration'): Signature {
  const t = text.replace(/\s+/g, ' ').trim().replace(/;$/, '');
  const fn = splitFunction(t);
  if (fn === null) throw new CParseError(`'${text}' is not a C prototype: expected 'type name(params)'`);
  const skipped: Skipped[] = [];
  const sig = functionSignature(fn.head, fn.params, source, new Map(), new Map(), skipped);
  return sig;
}
