/**
 * Reads kernel bindings from Fortran source (free form, and fixed form for `.f`/`.for`):
 * external subroutines and functions, module procedures, `bind(C)` routines and interface
 * blocks; explicit-shape array dummies give array lengths from their dimension expressions
 * (`u(nx, ny)` needs `nx*ny` elements, `u(0:n+1)` needs `n+2`). Module variables (scalars,
 * fixed-size, allocatable and pointer arrays) become data bindings.
 *
 * What cannot be called through a plain C ABI (assumed-shape `u(:)`, allocatable or pointer
 * dummies, derived types, complex, procedure arguments, character results) is reported by name
 * with the reason in `skipped`, never guessed.
 */
import { type Bindings, type Intent, type ParamSpec, type ResultSpec, type Signature, type Skipped, type VariableSpec } from './declarations.js';
import { type Expr, extent, identifiers, parseExpr, product, substitute } from './expr.js';
import { type ScalarName } from './ctypes.js';
import { mangleFortran } from './fortran.js';

/** One logical statement: lower-cased outside string literals, continuations joined. */
interface Stmt { readonly s: string; readonly line: number }

interface TypeSpec {
  readonly base: 'integer' | 'real' | 'logical' | 'character' | 'complex' | 'derived' | 'cptr' | 'procedure';
  readonly kind: string | null;
  readonly len: string | null;
  readonly derived?: string;
}

interface Dim { readonly lower: string | null; readonly upper: string | null }

interface Entity {
  type?: TypeSpec;
  dims?: Dim[];
  charLen?: string | null;
  attrs: Set<string>;
  intent?: Intent;
  bindName?: string | null;
  init?: string;
}

interface Scope {
  readonly kind: 'module' | 'procedure' | 'interface' | 'program' | 'type' | 'other';
  readonly name: string;
  readonly line: number;
  readonly entities: Map<string, Entity>;
  readonly order: string[];
  readonly params: Map<string, string>;
  readonly uses: string[];
  contains: boolean;
  implicitNone: boolean;
  readonly implicit: Map<string, TypeSpec>;
  readonly parent: Scope | null;
  // procedures
  proc?: {
    readonly args: string[];
    readonly isFunction: boolean;
    readonly result: string;
    readonly prefixType: TypeSpec | null;
    readonly bind: string | null | undefined;
    readonly where: 'external' | 'module' | 'interface' | 'internal';
    readonly module: string | null;
  };
  abstract?: boolean;
  defaultPrivate?: boolean;
  endWord?: string;
}

/** A source file's text and name. */
export interface FortranFile { readonly text: string; readonly file: string }

const fixedFormExt = /\.(f|for|ftn|f77)$/i;

/**
 * Parses Fortran sources together (so that `use`d modules' kind parameters resolve across
 * files). Never throws: what cannot be bound is listed in `skipped`.
 */
export function parseFortranSources(files: readonly FortranFile[]): Bindings {
  const units: { scope: Scope; file: string }[] = [];
  for (const f of files) {
    for (const scope of scan(statementsOf(f.text, fixedFormExt.test(f.file)))) units.push({ scope, file: f.file });
  }
  const modules = new Map<string, Scope>();
  for (const u of units) if (u.scope.kind === 'module') modules.set(u.scope.name, u.scope);
  const out: Bindings = { kernels: [], variables: [], skipped: [] };
  const seen = new Set<string>();
  for (const u of units) {
    if (u.scope.kind === 'module') {
      for (const v of moduleVariables(u.scope, u.file, modules, out.skipped)) out.variables.push(v);
    } else if (u.scope.proc !== undefined) {
      if (u.scope.proc.where === 'internal' || u.scope.abstract === true) continue;
      const src = `${u.file}:${u.scope.line}`;
      try {
        const sig = procedureSignature(u.scope, src, modules, out.skipped);
        if (seen.has(sig.symbol)) continue;
        seen.add(sig.symbol);
        out.kernels.push(sig);
      } catch (e) {
        if (!(e instanceof FortranParseError)) throw e;
        out.skipped.push({ name: bindingName(u.scope), what: 'kernel', reason: e.message, source: src });
      }
    }
  }
  // two procedures of different modules with one name: neither gets the plain name
  const byName = new Map<string, Signature[]>();
  for (const k of out.kernels) byName.set(k.name, [...(byName.get(k.name) ?? []), k]);
  for (const [name, list] of byName) {
    if (list.length < 2) continue;
    for (const k of list) {
      out.kernels.splice(out.kernels.indexOf(k), 1);
      out.skipped.push({ name, what: 'kernel', reason: `the name ${name} is used by ${list.map((x) => x.symbol).join(' and ')}; declare each under its own name with { fortran: ..., module: ... }`, source: k.source });
    }
  }
  return out;
}

/** Parses one Fortran source; see {@link parseFortranSources}. */
export function parseFortranSource(text: string, file: string): Bindings {
  return parseFortranSources([{ text, file }]);
}

/** A Fortran construct that cannot be bound; the message says why. */
export class FortranParseError extends Error {}

function bindingName(scope: Scope): string {
  const b = scope.proc?.bind;
  return typeof b === 'string' ? b : scope.name;
}

// ---------------------------------------------------------------------------------------------
// source form

/** Splits source into statements, joining continuations and dropping comments. */
function statementsOf(text: string, fixed: boolean): Stmt[] {
  const lines = text.split(/\r?\n/);
  const out: Stmt[] = [];
  if (fixed) {
    let cur: { s: string; line: number } | null = null;
    lines.forEach((raw, i) => {
      if (/^[cC*!]/.test(raw) || /^\s*#/.test(raw) || raw.trim() === '') return;
      const body = stripComment(raw.slice(6, 72).replace(/\t/g, ' '));
      const cont = raw.length > 5 && raw[5] !== ' ' && raw[5] !== '0' && !/^\t/.test(raw);
      if (cont && cur !== null) cur.s += body;
      else {
        if (cur !== null) out.push(...splitSemicolons(cur.s, cur.line));
        cur = { s: body, line: i + 1 };
      }
    });
    if (cur !== null) out.push(...splitSemicolons((cur as { s: string }).s, (cur as { line: number }).line));
  } else {
    let buf = '', start = 0, continuing = false;
    lines.forEach((raw, i) => {
      if (/^\s*#/.test(raw)) return;
      let body = stripComment(raw).trim();
      if (body === '' && continuing) return;
      if (continuing && body.startsWith('&')) body = body.slice(1);
      if (!continuing) start = i + 1;
      if (body.endsWith('&')) {
        buf += body.slice(0, -1);
        continuing = true;
        return;
      }
      buf += body;
      continuing = false;
      if (buf.trim() !== '') out.push(...splitSemicolons(buf, start));
      buf = '';
    });
    if (buf.trim() !== '') out.push(...splitSemicolons(buf, start));
  }
  return out.map((st) => ({ s: lowerOutsideStrings(st.s).replace(/\s+/g, ' ').trim(), line: st.line })).filter((st) => st.s !== '');
}

function stripComment(line: string): string {
  let q: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q !== null) { if (c === q) q = null; }
    else if (c === '"' || c === "'") q = c;
    else if (c === '!') return line.slice(0, i);
  }
  return line;
}

function splitSemicolons(s: string, line: number): Stmt[] {
  const out: Stmt[] = [];
  let q: string | null = null, cur = '';
  for (const c of s) {
    if (q !== null) { if (c === q) q = null; cur += c; continue; }
    if (c === '"' || c === "'") q = c;
    if (c === ';') { out.push({ s: cur, line }); cur = ''; } else cur += c;
  }
  out.push({ s: cur, line });
  return out;
}

function lowerOutsideStrings(s: string): string {
  let out = '', q: string | null = null;
  for (const c of s) {
    if (q !== null) { if (c === q) q = null; out += c; continue; }
    if (c === '"' || c === "'") q = c;
    out += c.toLowerCase();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// program units

function newScope(kind: Scope['kind'], name: string, line: number, parent: Scope | null): Scope {
  return {
    kind, name, line, parent, entities: new Map(), order: [], params: new Map(), uses: [], contains: false,
    implicitNone: false, implicit: new Map(),
  };
}

const procPrefix = /^((?:(?:pure|elemental|recursive|impure|non_recursive|module)\s+)*)/;
const typePrefixRe = /^(integer|real|logical|complex|double\s*precision|double\s*complex|character|type\s*\([^)]*\))(\s*\([^()]*(?:\([^()]*\)[^()]*)*\)|\s*\*\s*\d+)?\s+/;

/** Walks statements, returning every module, procedure and interface body found. */
function scan(stmts: readonly Stmt[]): Scope[] {
  const found: Scope[] = [];
  const file = newScope('other', '', 0, null);
  let cur: Scope = file;
  const push = (s: Scope): void => { found.push(s); cur = s; };
  for (const { s, line } of stmts) {
    // end of a unit
    const end = /^end\s*(subroutine|function|module|submodule|program|interface|type|block\s*data|enum)?\b\s*(\w*)$/.exec(s);
    if (end !== null && !/^end\s*(do|if|select|where|forall|associate|block(?!\s*data)|critical|team)\b/.test(s)) {
      if (cur.parent !== null) cur = cur.parent;
      continue;
    }
    if (/^contains$/.test(s)) { cur.contains = true; continue; }
    if (cur.kind === 'type' || cur.kind === 'other' && cur !== file) {
      // units nested in skipped ones (submodule procedures, ...) still need their ends counted
      if ((/^(type\b(?!\s*\()|interface\b|abstract\s+interface\b|enum\b|module\s+\w+$)/.test(s) && !/^(type\s+is|module\s+procedure)\b/.test(s))
        || procedureHead(s) !== null) cur = newScope('other', '', line, cur);
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^module\s+(\w+)$/.exec(s)) !== null && m[1] !== 'procedure') {
      push(newScope('module', m[1] ?? '', line, cur));
      continue;
    }
    if (/^(submodule\b|block\s*data\b)/.test(s)) { cur = newScope('other', '', line, cur); continue; }
    if ((m = /^program\s+(\w+)/.exec(s)) !== null) { cur = newScope('program', m[1] ?? '', line, cur); continue; }
    if ((m = /^(abstract\s+)?interface\b\s*(.*)$/.exec(s)) !== null) {
      const iface = newScope('interface', m[2] ?? '', line, cur);
      iface.abstract = m[1] !== undefined;
      cur = iface;
      continue;
    }
    if (/^enum\b/.test(s)) { cur = newScope('other', '', line, cur); continue; }
    if (/^type\b(?!\s*\()/.test(s) && !/^type\s+is\b/.test(s)) { cur = newScope('type', '', line, cur); continue; }
    const proc = procedureHead(s);
    if (proc !== null) {
      const where: NonNullable<Scope['proc']>['where'] =
        cur.kind === 'interface' ? (cur.parent?.kind === 'procedure' || cur.parent?.kind === 'program' ? 'internal' : 'interface')
          : cur.kind === 'module' ? 'module'
            : cur.kind === 'procedure' || cur.kind === 'program' ? 'internal' : 'external';
      const sc = newScope('procedure', proc.name, line, cur);
      sc.proc = { ...proc, where, module: where === 'module' ? cur.name : null };
      if (cur.kind === 'interface' && cur.abstract === true) sc.abstract = true;
      push(sc);
      continue;
    }
    if (cur.kind === 'module' && cur.contains) continue;
    if (cur.kind === 'procedure' || cur.kind === 'module' || cur.kind === 'program') specification(cur, s);
  }
  return found;
}

function procedureHead(s: string): { name: string; args: string[]; isFunction: boolean; result: string; prefixType: TypeSpec | null; bind: string | null | undefined } | null {
  let rest = s;
  const pre = procPrefix.exec(rest);
  rest = rest.slice(pre?.[0].length ?? 0);
  let prefixType: TypeSpec | null = null;
  let isFunction = false;
  if (/^subroutine\s/.test(rest)) rest = rest.slice('subroutine'.length).trim();
  else {
    const t = typePrefixRe.exec(rest);
    if (t !== null) {
      const after = rest.slice(t[0].length);
      const p2 = procPrefix.exec(after);
      const after2 = after.slice(p2?.[0].length ?? 0);
      if (!/^function\s/.test(after2)) return null;
      prefixType = typeSpec(t[0].trim());
      rest = after2.slice('function'.length).trim();
    } else if (/^function\s/.test(rest)) rest = rest.slice('function'.length).trim();
    else return null;
    isFunction = true;
  }
  const m = /^(\w+)\s*(?:\(([^)]*)\))?\s*(.*)$/.exec(rest);
  if (m === null) return null;
  const name = m[1] ?? '';
  const args = (m[2] ?? '').split(',').map((a) => a.trim()).filter((a) => a !== '');
  const tail = m[3] ?? '';
  const r = /\bresult\s*\(\s*(\w+)\s*\)/.exec(tail);
  const b = /\bbind\s*\(\s*c\s*(?:,\s*name\s*=\s*(['"])(.*?)\1\s*)?\)/i.exec(tail);
  const bind = b === null ? undefined : (b[2] !== undefined && b[2].trim() !== '' ? b[2].trim() : null);
  return { name, args, isFunction, result: r?.[1] ?? name, prefixType, bind };
}

/** Reads a type spec such as `real(kind=dp)`, `integer*8`, `character(len=*)`, `double precision`. */
function typeSpec(t: string): TypeSpec | null {
  const s = t.replace(/\s+/g, ' ').trim();
  let m: RegExpExecArray | null;
  if (/^double ?precision$/.test(s)) return { base: 'real', kind: '8', len: null };
  if (/^double ?complex$/.test(s)) return { base: 'complex', kind: '8', len: null };
  if ((m = /^(integer|real|logical|complex)\s*(?:\*\s*(\d+)|\(\s*(?:kind\s*=\s*)?([^)]*)\))?$/.exec(s)) !== null) {
    return { base: m[1] as 'integer', kind: (m[2] ?? m[3] ?? null)?.trim() ?? null, len: null };
  }
  if ((m = /^character\s*(?:\*\s*(\(\s*\*\s*\)|\d+)|\((.*)\))?$/.exec(s)) !== null) {
    let len: string | null = '1', kind: string | null = null;
    if (m[1] !== undefined) len = m[1].replace(/[()\s]/g, '');
    else if (m[2] !== undefined) {
      const parts = m[2].split(',').map((x) => x.trim());
      parts.forEach((p, i) => {
        const kv = /^(len|kind)\s*=\s*(.*)$/.exec(p);
        if (kv !== null) { if (kv[1] === 'len') len = (kv[2] ?? '').trim(); else kind = (kv[2] ?? '').trim(); }
        else if (i === 0) len = p;
        else kind = p;
      });
    }
    return { base: 'character', kind, len };
  }
  if ((m = /^type\s*\(\s*(\w+)\s*\)$/.exec(s)) !== null) {
    if (m[1] === 'c_ptr') return { base: 'cptr', kind: null, len: null };
    return { base: 'derived', kind: null, len: null, derived: m[1] ?? '' };
  }
  if (/^class\s*\(/.test(s)) return { base: 'derived', kind: null, len: null, derived: s };
  if (/^procedure\s*\(/.test(s)) return { base: 'procedure', kind: null, len: null };
  return null;
}

const declStart = /^(integer|real|logical|complex|double\s*precision|double\s*complex|character|type\s*\(|class\s*\(|procedure\s*\()/;

/** Records one specification statement of a module or procedure. */
function specification(scope: Scope, s: string): void {
  let m: RegExpExecArray | null;
  if (/^implicit\s+none\b/.test(s)) { scope.implicitNone = true; return; }
  if ((m = /^implicit\s+(.*)$/.exec(s)) !== null) {
    for (const rule of splitTop(m[1] ?? '')) {
      const r = /^(.*?)\s*\(([^()]*)\)$/.exec(rule);
      if (r === null) continue;
      const t = typeSpec(r[1] ?? '');
      if (t === null) continue;
      for (const range of (r[2] ?? '').split(',')) {
        const [a, b] = range.split('-').map((x) => x.trim());
        if (a === undefined || a === '') continue;
        for (let c = a.charCodeAt(0); c <= (b ?? a).charCodeAt(0); c++) scope.implicit.set(String.fromCharCode(c), t);
      }
    }
    return;
  }
  if ((m = /^use\b\s*(?:,\s*(?:non_)?intrinsic\s*::)?\s*(?:::)?\s*(\w+)/.exec(s)) !== null) { scope.uses.push(m[1] ?? ''); return; }
  if (/^private$/.test(s)) { scope.defaultPrivate = true; return; }
  if ((m = /^parameter\s*\((.*)\)$/.exec(s)) !== null) {
    for (const item of splitTop(m[1] ?? '')) {
      const kv = /^(\w+)\s*=\s*(.*)$/.exec(item);
      if (kv !== null) scope.params.set(kv[1] ?? '', (kv[2] ?? '').trim());
    }
    return;
  }
  // attribute statements: dimension, intent, value, optional, allocatable, pointer, target, save, bind, public, private, protected, external
  if ((m = /^(dimension|intent\s*\(\s*(?:in\s*out|in|out)\s*\)|value|optional|allocatable|pointer|target|save|public|private|protected|external|contiguous|volatile|asynchronous|bind\s*\([^)]*\))\s*(?:::)?\s*(.*)$/.exec(s)) !== null
    && !declStart.test(s)) {
    const attr = normalizeAttr(m[1] ?? '');
    for (const item of splitTop(m[2] ?? '')) {
      const e = /^(\w+)\s*(\((.*)\))?$/.exec(item.trim());
      if (e === null) continue;
      const ent = entity(scope, e[1] ?? '');
      if (e[3] !== undefined) ent.dims = dimsOf(e[3]);
      applyAttr(ent, attr);
    }
    return;
  }
  if (!declStart.test(s)) return;
  // a type declaration: type-spec [, attrs] [::] entities
  let typeText: string, rest: string;
  const dc = s.indexOf('::');
  if (dc >= 0) {
    const head = splitTop(s.slice(0, dc));
    typeText = head[0] ?? '';
    rest = s.slice(dc + 2);
    const t = typeSpec(typeText);
    if (t === null) return;
    const attrs = head.slice(1).map(normalizeAttr);
    declareEntities(scope, t, attrs, rest);
  } else {
    const tm = /^((?:integer|real|logical|complex)\s*(?:\*\s*\d+|\([^()]*\))?|double\s*precision|double\s*complex|character\s*(?:\*\s*(?:\(\s*\*\s*\)|\d+)|\([^()]*\))?|type\s*\(\s*\w+\s*\))\s*(.*)$/.exec(s);
    if (tm === null) return;
    typeText = tm[1] ?? '';
    rest = tm[2] ?? '';
    if (/^function\b/.test(rest) || /^\w*\s*function\b/.test(rest)) return;
    const t = typeSpec(typeText);
    if (t === null) return;
    declareEntities(scope, t, [], rest);
  }
}

function normalizeAttr(a: string): string {
  return a.replace(/\s+/g, '').replace(/^intent\(inout\)$/, 'intent(inout)');
}

function declareEntities(scope: Scope, t: TypeSpec, attrs: readonly string[], rest: string): void {
  const isParam = attrs.includes('parameter');
  let dimAttr: Dim[] | undefined;
  for (const a of attrs) {
    const dm = /^dimension\((.*)\)$/.exec(a);
    if (dm !== null) dimAttr = dimsOf(dm[1] ?? '');
  }
  for (const item of splitTop(rest)) {
    const m = /^(\w+)\s*(?:\((.*?)\))?\s*(?:\*\s*(\(\s*\*\s*\)|\d+))?\s*(?:(=>?)\s*(.*))?$/.exec(item.trim());
    if (m === null) continue;
    const name = m[1] ?? '';
    if (isParam) {
      if (m[5] !== undefined) scope.params.set(name, m[5].trim());
      continue;
    }
    const ent = entity(scope, name);
    ent.type = t;
    if (m[3] !== undefined) ent.charLen = m[3].replace(/[()\s]/g, '');
    if (m[2] !== undefined) ent.dims = dimsOf(m[2]);
    else if (dimAttr !== undefined) ent.dims = dimAttr;
    if (m[5] !== undefined) ent.init = m[5];
    for (const a of attrs) applyAttr(ent, a);
  }
}

function applyAttr(ent: Entity, attr: string): void {
  const im = /^intent\((in|out|inout)\)$/.exec(attr);
  if (im !== null) { ent.intent = im[1] as Intent; return; }
  const bm = /^bind\(c(?:,name=(['"])(.*?)\1)?\)$/.exec(attr);
  if (bm !== null) { ent.bindName = bm[2] !== undefined && bm[2] !== '' ? bm[2] : null; return; }
  if (/^dimension\(/.test(attr)) return;
  ent.attrs.add(attr);
}

function entity(scope: Scope, name: string): Entity {
  let e = scope.entities.get(name);
  if (e === undefined) {
    e = { attrs: new Set() };
    scope.entities.set(name, e);
    scope.order.push(name);
  }
  return e;
}

function dimsOf(text: string): Dim[] {
  return splitTop(text).map((d) => {
    const t = d.trim();
    if (t === '..') return { lower: null, upper: '..' };
    const colon = topColon(t);
    if (colon < 0) return { lower: null, upper: t };
    const lower = t.slice(0, colon).trim(), upper = t.slice(colon + 1).trim();
    return { lower: lower === '' ? null : lower, upper: upper === '' ? null : upper };
  });
}

function topColon(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') depth--;
    else if (s[i] === ':' && depth === 0) return i;
  }
  return -1;
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '', q: string | null = null;
  for (const c of s) {
    if (q !== null) { if (c === q) q = null; cur += c; continue; }
    if (c === '"' || c === "'") q = c;
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; } else cur += c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

// ---------------------------------------------------------------------------------------------
// kinds and constants

const namedKinds: Record<string, number> = {
  c_int: 4, c_short: 2, c_long: 8, c_long_long: 8, c_signed_char: 1, c_size_t: 8, c_int8_t: 1, c_int16_t: 2,
  c_int32_t: 4, c_int64_t: 8, c_intptr_t: 8, c_ptrdiff_t: 8, c_int_least32_t: 4, c_int_fast32_t: 8,
  c_float: 4, c_double: 8, c_long_double: 10, c_bool: 1, c_char: 1,
  int8: 1, int16: 2, int32: 4, int64: 8, real32: 4, real64: 8, real128: 16,
};

/** Looks a name up in `scope`, its hosts and the modules they use. */
function lookupParam(scope: Scope | null, name: string, modules: ReadonlyMap<string, Scope>, depth = 0): { text: string; scope: Scope } | null {
  for (let s = scope; s !== null && depth < 20; s = s.parent) {
    const v = s.params.get(name);
    if (v !== undefined) return { text: v, scope: s };
    for (const u of s.uses) {
      const mod = modules.get(u);
      if (mod !== undefined && mod !== s) {
        const r = lookupParam(mod, name, modules, depth + 1);
        if (r !== null) return r;
      }
    }
  }
  return null;
}

/** Evaluates a kind or an integer constant expression; null when it is not a known constant. */
function constantValue(text: string, scope: Scope, modules: ReadonlyMap<string, Scope>, depth = 0): number | null {
  const t = text.trim();
  if (depth > 20) return null;
  if (/^\d+(_\w+)?$/.test(t)) return Number.parseInt(t, 10);
  if (namedKinds[t] !== undefined) return namedKinds[t];
  let m: RegExpExecArray | null;
  if ((m = /^kind\s*\((.*)\)$/.exec(t)) !== null) {
    const a = (m[1] ?? '').trim();
    if (/^[-+]?(\d+\.?\d*|\.\d+)d[-+]?\d+$/.test(a)) return 8;
    const suffix = /_(\w+)$/.exec(a);
    if (suffix !== null) return constantValue(suffix[1] ?? '', scope, modules, depth + 1);
    if (/^[-+]?(\d+\.\d*|\.\d+)(e[-+]?\d+)?$/.test(a)) return 4;
    if (/^[-+]?\d+$/.test(a) || /^\.(true|false)\.$/.test(a)) return 4;
    return null;
  }
  if ((m = /^selected_real_kind\s*\((.*)\)$/.exec(t)) !== null) {
    const args = splitTop(m[1] ?? '');
    let p = 0, r = 0;
    args.forEach((a, i) => {
      const kv = /^(p|r|radix)\s*=\s*(.*)$/.exec(a);
      const v = constantValue(kv ? kv[2] ?? '' : a, scope, modules, depth + 1) ?? 0;
      if (kv ? kv[1] === 'p' : i === 0) p = v; else if (kv ? kv[1] === 'r' : i === 1) r = v;
    });
    if (p <= 6 && r <= 37) return 4;
    if (p <= 15 && r <= 307) return 8;
    if (p <= 18 && r <= 4931) return 10;
    return 16;
  }
  if ((m = /^selected_int_kind\s*\((.*)\)$/.exec(t)) !== null) {
    const r = constantValue(m[1] ?? '', scope, modules, depth + 1);
    if (r === null) return null;
    return r <= 2 ? 1 : r <= 4 ? 2 : r <= 9 ? 4 : r <= 18 ? 8 : 16;
  }
  if (/^\w+$/.test(t)) {
    const p = lookupParam(scope, t, modules);
    return p === null ? null : constantValue(p.text, p.scope, modules, depth + 1);
  }
  try {
    const e = parseExpr(t);
    const consts = new Map<string, number>();
    for (const id of identifiers(e)) {
      const v = constantValue(id, scope, modules, depth + 1);
      if (v === null) return null;
      consts.set(id, v);
    }
    const r = substitute(e, consts);
    return r.k === 'num' && Number.isFinite(r.v) ? r.v : null;
  } catch {
    return null;
  }
}

/** The scalar type of a type spec, or a reason it has none. */
function scalarOf(t: TypeSpec, scope: Scope, modules: ReadonlyMap<string, Scope>): { type: ScalarName; logical: boolean } | string {
  if (t.base === 'complex') return 'complex is not supported';
  if (t.base === 'derived') return `derived type ${t.derived ?? ''} is not supported`;
  if (t.base === 'procedure') return 'procedure arguments are not supported';
  if (t.base === 'cptr') return { type: 'uint64', logical: false };
  if (t.base === 'character') return { type: 'char', logical: false };
  const kind = t.kind === null ? 4 : constantValue(t.kind, scope, modules);
  if (kind === null) return `kind '${t.kind ?? ''}' is not a constant simdeck can evaluate`;
  if (t.base === 'integer') {
    const m: Record<number, ScalarName> = { 1: 'int8', 2: 'int16', 4: 'int32', 8: 'int64' };
    return m[kind] !== undefined ? { type: m[kind], logical: false } : `integer(${kind}) is not supported`;
  }
  if (t.base === 'logical') {
    const m: Record<number, ScalarName> = { 1: 'uint8', 2: 'int16', 4: 'int32', 8: 'int64' };
    return m[kind] !== undefined ? { type: m[kind], logical: true } : `logical(${kind}) is not supported`;
  }
  if (kind === 4) return { type: 'float32', logical: false };
  if (kind === 8) return { type: 'float64', logical: false };
  return `real(${kind}) has no JavaScript typed array`;
}

function implicitType(scope: Scope, name: string): TypeSpec | null {
  for (let s: Scope | null = scope; s !== null; s = s.parent) {
    const t = s.implicit.get(name[0] ?? '');
    if (t !== undefined) return t;
    if (s.implicitNone) return null;
    if (s.kind === 'module' || s.kind === 'procedure' && s.proc?.where !== 'internal' && s.proc?.where !== 'module') break;
  }
  return /^[i-n]/.test(name) ? { base: 'integer', kind: null, len: null } : { base: 'real', kind: null, len: null };
}

// ---------------------------------------------------------------------------------------------
// bindings

function procedureSignature(scope: Scope, source: string, modules: ReadonlyMap<string, Scope>, skipped: Skipped[]): Signature {
  const proc = scope.proc;
  if (proc === undefined) throw new FortranParseError('not a procedure');
  const name = bindingName(scope);
  const isBindC = proc.bind !== undefined;
  const symbol = mangleFortran(scope.name, { bind: proc.bind, module: proc.module });
  const params: ParamSpec[] = [];
  const intDummies = new Set<string>();
  for (const a of proc.args) {
    if (a === '*') throw new FortranParseError(`${name} has an alternate return (*); not supported`);
    const ent = scope.entities.get(a);
    const t = ent?.type ?? implicitType(scope, a);
    if (t === null) throw new FortranParseError(`${name}: argument '${a}' has no declared type`);
    if (ent?.dims === undefined && t.base === 'integer' && !(ent?.attrs.has('external') ?? false)) intDummies.add(a);
  }
  const constants = new Map<string, number>();
  for (const a of proc.args) {
    const ent: Entity = scope.entities.get(a) ?? { attrs: new Set() };
    const t = ent.type ?? implicitType(scope, a);
    if (t === null) throw new FortranParseError(`${name}: argument '${a}' has no declared type`);
    const decl = declText(a, t, ent);
    if (ent.attrs.has('external')) throw new FortranParseError(`${name}: argument '${a}' is a procedure; not supported`);
    if (ent.attrs.has('allocatable') || ent.attrs.has('pointer')) {
      throw new FortranParseError(`${name}: argument '${decl}' is ${ent.attrs.has('allocatable') ? 'allocatable' : 'a pointer'}: it is passed as an array descriptor; not supported (pass an explicit-shape array instead)`);
    }
    const st = scalarOf(t, scope, modules);
    if (typeof st === 'string') throw new FortranParseError(`${name}: argument '${decl}': ${st}`);
    const byValue = ent.attrs.has('value');
    const optional = ent.attrs.has('optional');
    if (byValue && optional) throw new FortranParseError(`${name}: argument '${a}' is optional and value; not supported`);
    const common = { name: a, logical: st.logical, optional, intent: ent.intent ?? null, decl };
    if (t.base === 'cptr') {
      params.push({ ...common, kind: byValue ? 'pointer' : 'ref', type: 'uint64', length: null, hiddenLength: false });
      continue;
    }
    const dims = ent.dims;
    if (t.base === 'character') {
      const len = ent.charLen ?? t.len ?? '1';
      if (t.kind !== null && constantValue(t.kind, scope, modules) !== 1) throw new FortranParseError(`${name}: argument '${decl}': only kind=1 characters are supported`);
      if (isBindC) {
        params.push({ ...common, kind: 'string', type: 'char', length: null, hiddenLength: false });
        continue;
      }
      if (dims !== undefined) throw new FortranParseError(`${name}: argument '${decl}' is a character array; not supported`);
      if (len === ':') throw new FortranParseError(`${name}: argument '${decl}' has deferred length; not supported`);
      const n = len === '*' ? null : constantValue(len, scope, modules);
      if (len !== '*' && n === null) throw new FortranParseError(`${name}: argument '${decl}': length '${len}' is not a constant`);
      params.push({ ...common, kind: 'string', type: 'char', length: n === null ? null : { k: 'num', v: n }, hiddenLength: true });
      continue;
    }
    if (dims === undefined) {
      params.push({ ...common, kind: byValue ? 'value' : 'ref', type: st.type, length: null, hiddenLength: false });
      continue;
    }
    if (dims.some((d) => d.upper === '..')) throw new FortranParseError(`${name}: argument '${decl}' is assumed-rank: it needs an array descriptor; not supported`);
    if (dims.some((d) => d.upper === null)) {
      throw new FortranParseError(`${name}: argument '${decl}' is assumed-shape: it is passed as an array descriptor; declare it explicit-shape (e.g. ${a}(n)) to call it from simdeck`);
    }
    let length: Expr | null = null;
    if (dims[dims.length - 1]?.upper === '*') {
      skipped.push({ name: `${name}.${a}`, what: 'length', reason: `'${decl}' is assumed-size; its length is not checked`, source });
    } else {
      try {
        length = product(dims.map((d) => extent(boundExpr(d.lower ?? '1', scope, modules, constants), boundExpr(d.upper ?? '', scope, modules, constants))));
        for (const id of identifiers(length)) {
          if (!intDummies.has(id)) throw new FortranParseError(`'${id}' is neither an integer argument nor a constant`);
        }
      } catch (e) {
        length = null;
        skipped.push({ name: `${name}.${a}`, what: 'length', reason: `dimension of '${decl}': ${(e as Error).message}; its length is not checked`, source });
      }
    }
    params.push({ ...common, kind: 'array', type: st.type, length, hiddenLength: false });
  }
  let result: ResultSpec = { kind: 'void', type: 'int32', logical: false };
  if (proc.isFunction) {
    const ent = scope.entities.get(proc.result);
    const t = proc.prefixType ?? ent?.type ?? implicitType(scope, proc.result);
    if (t === null) throw new FortranParseError(`${name}: function result has no declared type`);
    if (t.base === 'character') throw new FortranParseError(`${name}: character function results are not supported`);
    if (ent?.dims !== undefined || ent?.attrs.has('allocatable') || ent?.attrs.has('pointer')) throw new FortranParseError(`${name}: array or pointer function results are not supported`);
    const st = scalarOf(t, scope, modules);
    if (typeof st === 'string') throw new FortranParseError(`${name}: function result: ${st}`);
    result = t.base === 'cptr' ? { kind: 'pointer', type: 'uint64', logical: false } : { kind: 'value', type: st.type, logical: st.logical };
  }
  return { name, symbol, language: 'fortran', result, params, source, constants };
}

function boundExpr(text: string, scope: Scope, modules: ReadonlyMap<string, Scope>, constants: Map<string, number>): Expr {
  const e = parseExpr(text);
  const consts = new Map<string, number>();
  for (const id of identifiers(e)) {
    if (scope.proc?.args.includes(id) === true) continue;
    const v = constantValue(id, scope, modules);
    if (v !== null) { consts.set(id, v); constants.set(id, v); }
  }
  return substitute(e, consts);
}

function declText(name: string, t: TypeSpec, ent: Entity): string {
  const base = t.base === 'derived' ? `type(${t.derived ?? ''})` : t.base === 'cptr' ? 'type(c_ptr)'
    : t.base === 'character' ? `character(len=${ent.charLen ?? t.len ?? '1'})` : `${t.base}${t.kind !== null ? `(${t.kind})` : ''}`;
  const dims = ent.dims === undefined ? '' : `(${ent.dims.map((d) => (d.lower !== null ? `${d.lower}:` : '') + (d.upper ?? (d.lower !== null ? '' : ':'))).join(',')})`;
  const attrs = [...ent.attrs].filter((a) => a !== 'save').map((a) => `, ${a}`).join('') + (ent.intent !== undefined ? `, intent(${ent.intent})` : '');
  return `${base}${attrs} :: ${name}${dims}`;
}

function moduleVariables(mod: Scope, file: string, modules: ReadonlyMap<string, Scope>, skipped: Skipped[]): VariableSpec[] {
  const out: VariableSpec[] = [];
  const source = `${file}:${mod.line}`;
  for (const name of mod.order) {
    const ent = mod.entities.get(name);
    if (ent === undefined || mod.params.has(name)) continue;
    const t = ent.type ?? implicitType(mod, name);
    if (t === null) continue;
    const decl = declText(name, t, ent);
    const skip = (reason: string): void => { skipped.push({ name: `${mod.name}.${name}`, what: 'variable', reason, source }); };
    if (ent.attrs.has('external')) continue;
    const st = scalarOf(t, mod, modules);
    if (typeof st === 'string') { skip(`'${decl}': ${st}`); continue; }
    if (t.base === 'cptr') { skip(`'${decl}': type(c_ptr) module variables are not supported`); continue; }
    const symbol = ent.bindName !== undefined ? (ent.bindName ?? name) : `__${mod.name}_MOD_${name}`;
    const base = {
      name, module: mod.name, symbol, type: st.type, logical: st.logical, readonly: ent.attrs.has('protected'),
      source, decl, length: null,
    };
    if (t.base === 'character') {
      const len = constantValue(ent.charLen ?? t.len ?? '1', mod, modules);
      if (ent.dims !== undefined || len === null) { skip(`'${decl}': only scalar character variables of constant length are supported`); continue; }
      out.push({ ...base, charLen: len, storage: 'scalar', shape: null, lbounds: null, rank: 0 });
      continue;
    }
    const dims = ent.dims;
    if (dims === undefined) {
      if (ent.attrs.has('allocatable') || ent.attrs.has('pointer')) { skip(`'${decl}': allocatable or pointer scalars are not supported`); continue; }
      out.push({ ...base, charLen: null, storage: 'scalar', shape: null, lbounds: null, rank: 0 });
      continue;
    }
    if (ent.attrs.has('allocatable') || ent.attrs.has('pointer')) {
      if (dims.some((d) => d.upper !== null || d.lower !== null)) { skip(`'${decl}': an allocatable needs a deferred shape (:)`); continue; }
      out.push({ ...base, charLen: null, storage: ent.attrs.has('allocatable') ? 'allocatable' : 'pointer', shape: null, lbounds: null, rank: dims.length });
      continue;
    }
    const lb: number[] = [], shape: number[] = [];
    let ok = true;
    for (const d of dims) {
      const lo = constantValue(d.lower ?? '1', mod, modules);
      const hi = d.upper === null || d.upper === '*' ? null : constantValue(d.upper, mod, modules);
      if (lo === null || hi === null) { ok = false; break; }
      lb.push(lo);
      shape.push(Math.max(0, hi - lo + 1));
    }
    if (!ok) { skip(`'${decl}': its bounds are not constants`); continue; }
    out.push({ ...base, charLen: null, storage: 'fixed', shape, lbounds: lb, rank: shape.length });
  }
  return out;
}

/**
 * Parses a Fortran interface given as a declaration (`subroutine step(n, u)` + its declarations;
 * `end` optional). `module` makes it a module procedure. Throws FortranParseError saying why it
 * cannot be bound.
 */
export function parseFortranDeclaration(text: string, module?: string): Signature {
  let body = text.trim();
  if (!/\bend(\s*(subroutine|function)\b.*)?\s*$/i.test(body.split('\n').pop() ?? '')) body += '\nend';
  const wrapped = module !== undefined ? `module ${module}\ncontains\n${body}\nend module` : body;
  const b = parseFortranSource(wrapped, 'declaration');
  const k = b.kernels[0];
  if (k === undefined) {
    const why = b.skipped.find((s) => s.what === 'kernel');
    throw new FortranParseError(why?.reason ?? `'${text.split('\n')[0] ?? ''}' is not a Fortran subroutine or function`);
  }
  return k;
}
