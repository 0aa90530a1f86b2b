/**
 * Length expressions: `'nx*ny'`, `'(n+2)*2'`, Fortran extents `0:n+1`. They are parsed into a
 * small tree (never `eval`ed as text), folded, checked against the kernel's integer parameters and
 * compiled into the generated argument check.
 */

/** A parsed integer expression. */
export type Expr =
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'id'; readonly name: string }
  | { readonly k: 'neg'; readonly a: Expr }
  | { readonly k: 'bin'; readonly op: '+' | '-' | '*' | '/' | '%' | '**'; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'call'; readonly fn: 'min' | 'max' | 'abs' | 'mod'; readonly args: readonly Expr[] };

const functions = new Set(['min', 'max', 'abs', 'mod']);

/**
 * Parses `text` (integer literals, identifiers, `+ - * / % **`, parentheses, `min max abs mod`).
 * Throws a SyntaxError saying where it stopped.
 */
export function parseExpr(text: string): Expr {
  const tokens = text.match(/\s*(\d+(?:_\w+)?|[A-Za-z_]\w*|\*\*|[-+*/%(),]|\S)/g) ?? [];
  const toks = tokens.map((t) => t.trim());
  let i = 0;
  const peek = (): string | undefined => toks[i];
  const fail = (what: string): never => {
    throw new SyntaxError(`cannot read length expression '${text}': ${what}`);
  };
  const expect = (t: string): void => {
    if (toks[i] !== t) fail(`expected '${t}' at '${toks.slice(i).join('') || 'end'}'`);
    i++;
  };
  function sum(): Expr {
    let a = product();
    while (peek() === '+' || peek() === '-') {
      const op = toks[i++] as '+' | '-';
      a = { k: 'bin', op, a, b: product() };
    }
    return a;
  }
  function product(): Expr {
    let a = unary();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = toks[i++] as '*' | '/' | '%';
      a = { k: 'bin', op, a, b: unary() };
    }
    return a;
  }
  function unary(): Expr {
    if (peek() === '-') { i++; return { k: 'neg', a: unary() }; }
    if (peek() === '+') { i++; return unary(); }
    return power();
  }
  function power(): Expr {
    const a = primary();
    if (peek() === '**') { i++; return { k: 'bin', op: '**', a, b: unary() }; }
    return a;
  }
  function primary(): Expr {
    const t = toks[i++];
    if (t === undefined) return fail('unexpected end');
    if (t === '(') { const e = sum(); expect(')'); return e; }
    if (/^\d/.test(t)) return { k: 'num', v: Number.parseInt(t, 10) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === '(') {
        const fn = t.toLowerCase();
        if (!functions.has(fn)) fail(`unknown function '${t}'`);
        i++;
        const args: Expr[] = [sum()];
        while (peek() === ',') { i++; args.push(sum()); }
        expect(')');
        return { k: 'call', fn: fn as 'min', args };
      }
      return { k: 'id', name: t };
    }
    return fail(`unexpected '${t}'`);
  }
  const e = sum();
  if (i < toks.length) fail(`unexpected '${toks.slice(i).join('')}'`);
  return e;
}

/** Names of the identifiers `e` refers to, each once. */
export function identifiers(e: Expr, into: Set<string> = new Set()): Set<string> {
  switch (e.k) {
    case 'id': into.add(e.name); break;
    case 'neg': identifiers(e.a, into); break;
    case 'bin': identifiers(e.a, into); identifiers(e.b, into); break;
    case 'call': for (const a of e.args) identifiers(a, into); break;
    default: break;
  }
  return into;
}

/** Evaluates `e` with identifier values from `env` (integer division truncates, as in C and Fortran). */
export function evaluate(e: Expr, env: (name: string) => number): number {
  switch (e.k) {
    case 'num': return e.v;
    case 'id': return env(e.name);
    case 'neg': return -evaluate(e.a, env);
    case 'bin': {
      const a = evaluate(e.a, env), b = evaluate(e.b, env);
      switch (e.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return Math.trunc(a / b);
        case '%': return a % b;
        case '**': return a ** b;
      }
      break;
    }
    case 'call': {
      const v = e.args.map((a) => evaluate(a, env));
      switch (e.fn) {
        case 'min': return Math.min(...v);
        case 'max': return Math.max(...v);
        case 'abs': return Math.abs(v[0] ?? Number.NaN);
        case 'mod': return (v[0] ?? Number.NaN) % (v[1] ?? Number.NaN);
      }
    }
  }
  return Number.NaN;
}

/** Replaces identifiers found in `constants` by their values, then folds constant subtrees. */
export function substitute(e: Expr, constants: ReadonlyMap<string, number>): Expr {
  switch (e.k) {
    case 'num': return e;
    case 'id': {
      const v = constants.get(e.name);
      return v === undefined ? e : { k: 'num', v };
    }
    case 'neg': return fold({ k: 'neg', a: substitute(e.a, constants) });
    case 'bin': return fold({ k: 'bin', op: e.op, a: substitute(e.a, constants), b: substitute(e.b, constants) });
    case 'call': return fold({ k: 'call', fn: e.fn, args: e.args.map((a) => substitute(a, constants)) });
  }
}

function fold(e: Expr): Expr {
  if (e.k === 'num' || e.k === 'id') return e;
  if (identifiers(e).size === 0) return { k: 'num', v: evaluate(e, () => Number.NaN) };
  if (e.k === 'bin') {
    if (e.op === '*' && e.a.k === 'num' && e.a.v === 1) return e.b;
    if ((e.op === '*' || e.op === '/') && e.b.k === 'num' && e.b.v === 1) return e.a;
    if ((e.op === '+' || e.op === '-') && e.b.k === 'num' && e.b.v === 0) return e.a;
    if (e.op === '+' && e.a.k === 'num' && e.a.v === 0) return e.b;
  }
  return e;
}

/** The extent of a Fortran dimension `lower:upper` (upper - lower + 1), folded. */
export function extent(lower: Expr, upper: Expr): Expr {
  if (lower.k === 'num') return addConstant(upper, 1 - lower.v);
  return addConstant(fold({ k: 'bin', op: '-', a: upper, b: lower }), 1);
}

/** `e + c`, merged into a constant term of `e` when it has one (`n+1` plus 1 is `n+2`). */
function addConstant(e: Expr, c: number): Expr {
  if (e.k === 'num') return { k: 'num', v: e.v + c };
  if (e.k === 'bin' && e.b.k === 'num' && (e.op === '+' || e.op === '-')) {
    return addConstant(e.a, e.op === '+' ? e.b.v + c : c - e.b.v);
  }
  if (c === 0) return e;
  return c > 0 ? { k: 'bin', op: '+', a: e, b: { k: 'num', v: c } } : { k: 'bin', op: '-', a: e, b: { k: 'num', v: -c } };
}

/** The product of `factors`, folded (1 for none). */
export function product(factors: readonly Expr[]): Expr {
  let e: Expr = { k: 'num', v: 1 };
  for (const f of factors) e = fold({ k: 'bin', op: '*', a: e, b: f });
  return e;
}

const precedence = { '+': 1, '-': 1, '*': 2, '/': 2, '%': 2, '**': 3 } as const;

/** Prints `e` in C-like syntax, with only the parentheses it needs. */
export function exprToString(e: Expr, parent = 0): string {
  switch (e.k) {
    case 'num': return String(e.v);
    case 'id': return e.name;
    case 'neg': return `-${exprToString(e.a, 4)}`;
    case 'call': return `${e.fn}(${e.args.map((a) => exprToString(a)).join(', ')})`;
    case 'bin': {
      const p = precedence[e.op];
      const s = `${exprToString(e.a, p)}${e.op}${exprToString(e.b, p + 1)}`;
      return p < parent ? `(${s})` : s;
    }
  }
}

/**
 * Compiles `e` to JavaScript source, naming each identifier through `name`. Division truncates.
 * Only numbers, the given names and fixed operators appear in the output, so it is safe to embed.
 */
export function exprToJs(e: Expr, name: (id: string) => string): string {
  switch (e.k) {
    case 'num': return `(${e.v})`;
    case 'id': return name(e.name);
    case 'neg': return `(-${exprToJs(e.a, name)})`;
    case 'call': {
      const args = e.args.map((a) => exprToJs(a, name));
      if (e.fn === 'mod') return `(${args[0]} % ${args[1]})`;
      return `Math.${e.fn}(${args.join(', ')})`;
    }
    case 'bin': {
      const a = exprToJs(e.a, name), b = exprToJs(e.b, name);
      if (e.op === '/') return `Math.trunc(${a} / ${b})`;
      return `(${a} ${e.op} ${b})`;
    }
  }
}
