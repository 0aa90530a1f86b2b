/**
 * Reduction operators. Built-ins work on numbers, bigints and booleans, element-wise on arrays
 * and typed arrays (results keep the typed-array class); `Op.create` makes a user operator.
 * Non-commutative operators are always applied in rank order: `op(lowerRanks, higherRanks)`.
 */
import { ArgumentError, describe } from '../errors.js';
import { bindMethods } from './bind.js';
import { isDetached } from './codec.js';

type Fn = (a: unknown, b: unknown) => unknown;
type ElementFn = (a: number, b: number) => number;
type BigFn = (a: bigint, b: bigint) => bigint;

/** A reduction operator for reduce, allreduce, scan, exscan and reduceScatter. */
export class Op {
  private constructor(
    /** The operator's name, for messages ('SUM', 'user op', ...). */
    readonly name: string,
    /** Whether ranks' contributions may be combined in any order. */
    readonly commutative: boolean,
    private readonly combine: Fn,
    /** @internal element-wise kernels of built-ins; null for user operators. */
    readonly element: ElementFn | null,
    readonly bigElement: BigFn | null,
    /** @internal the pairwise (value, index) operators MINLOC and MAXLOC. */
    readonly loc: 'min' | 'max' | null = null,
  ) {
    if (typeof combine !== 'function') throw new ArgumentError('an Op is not made with `new Op(...)`: use Op.SUM, Op.MAX, ... or Op.create(fn)');
    bindMethods(this);
  }

  /** Combines two partial results, `a` from lower ranks and `b` from higher ones. Throws ArgumentError on values it cannot combine. */
  apply(a: unknown, b: unknown): unknown {
    return this.combine(a, b);
  }

  static readonly SUM = Op.builtin('SUM', (a, b) => a + b, (a, b) => a + b, (a, b) => (a as number) + (b as number));
  static readonly PROD = Op.builtin('PROD', (a, b) => a * b, (a, b) => a * b);
  static readonly MIN = Op.builtin('MIN', (a, b) => (b < a ? b : a), (a, b) => (b < a ? b : a), (a, b) => ((b as number) < (a as number) ? b : a));
  static readonly MAX = Op.builtin('MAX', (a, b) => (b > a ? b : a), (a, b) => (b > a ? b : a), (a, b) => ((b as number) > (a as number) ? b : a));
  static readonly LAND = Op.builtin('LAND', (a, b) => (a && b ? 1 : 0), (a, b) => (a && b ? 1n : 0n), (a, b) => Boolean(a) && Boolean(b));
  static readonly LOR = Op.builtin('LOR', (a, b) => (a || b ? 1 : 0), (a, b) => (a || b ? 1n : 0n), (a, b) => Boolean(a) || Boolean(b));
  static readonly LXOR = Op.builtin('LXOR', (a, b) => (!a !== !b ? 1 : 0), (a, b) => (!a !== !b ? 1n : 0n), (a, b) => Boolean(a) !== Boolean(b));
  static readonly BAND = Op.builtin('BAND', (a, b) => a & b, (a, b) => a & b);
  static readonly BOR = Op.builtin('BOR', (a, b) => a | b, (a, b) => a | b);
  static readonly BXOR = Op.builtin('BXOR', (a, b) => a ^ b, (a, b) => a ^ b);
  /** Pairs `[value, index]` (or interleaved typed arrays): the smallest value, lowest index on ties. */
  static readonly MINLOC = Op.locOp('MINLOC', 'min');
  /** Pairs `[value, index]`: the largest value, lowest index on ties. */
  static readonly MAXLOC = Op.locOp('MAXLOC', 'max');

  /**
   * A user operator: `fn(a, b)` combines two partial results (whole values: numbers, objects,
   * typed arrays) with `a` from lower ranks. With `commutative: false` (the default, as in
   * mpi4py) simdeck keeps rank order. Throws ArgumentError when `fn` is not a function or `options` is malformed.
   */
  static create(fn: (a: any, b: any) => unknown, options: { commutative?: boolean } = {}): Op {
    if (typeof fn !== 'function') throw new ArgumentError(`Op.create needs a function (a, b) => combined, got ${describe(fn)}`);
    if (typeof options !== 'object' || options === null || (options.commutative !== undefined && typeof options.commutative !== 'boolean')) {
      throw new ArgumentError(`Op.create: options must be { commutative?: boolean }, got ${describe(options)}`);
    }
    return new Op(fn.name ? `user op ${fn.name}` : 'user op', options.commutative === true, fn, null, null);
  }

  private static builtin(name: string, el: ElementFn, big: BigFn, scalar?: Fn): Op {
    const combine: Fn = (a, b) => elementwise(name, a, b, el, big, scalar ?? ((x, y) => el(x as number, y as number)));
    return new Op(name, true, combine, el, big);
  }

  private static locOp(name: string, kind: 'min' | 'max'): Op {
    const better = (va: unknown, ia: unknown, vb: unknown, ib: unknown) =>
      (kind === 'min' ? (vb as number) < (va as number) : (vb as number) > (va as number)) || (vb === va && (ib as number) < (ia as number));
    const combine: Fn = (a, b) => {
      if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
        checkLive(name, a, b);
        const x = a as unknown as ArrayLike<number>, y = b as unknown as ArrayLike<number>;
        checkSameLength(name, x.length, y.length);
        if (x.length % 2 !== 0) throw new ArgumentError(`${name} on typed arrays needs interleaved (value, index) pairs: an even length, got ${x.length}`);
        const out = (a as unknown as { slice(): ArrayLike<number> & { [i: number]: number } }).slice();
        for (let i = 0; i < x.length; i += 2) if (better(x[i], x[i + 1], y[i], y[i + 1])) { out[i] = y[i]; out[i + 1] = y[i + 1]; }
        return out;
      }
      if (Array.isArray(a) && Array.isArray(b) && a.length === 2 && b.length === 2) return better(a[0], a[1], b[0], b[1]) ? b : a;
      throw new ArgumentError(`${name} takes [value, index] pairs or typed arrays of interleaved pairs, got ${describe(a)}`);
    };
    return new Op(name, true, combine, null, null, kind);
  }
}

function checkLive(name: string, a: ArrayBufferView, b: ArrayBufferView): void {
  if (a instanceof DataView || b instanceof DataView) throw new ArgumentError(`${name} cannot combine a DataView; pass typed arrays`);
  for (const v of [a, b]) {
    if (v.byteLength === 0 && isDetached(v)) throw new ArgumentError(`${name}: a ${v.constructor.name}'s buffer was detached (transferred); pass live arrays`);
  }
}

function checkSameLength(name: string, a: number, b: number): void {
  if (a !== b) throw new ArgumentError(`${name}: ranks contributed arrays of different lengths (${a} and ${b}); every rank must pass the same length`);
}

function elementwise(name: string, a: unknown, b: unknown, el: ElementFn, big: BigFn, scalar: Fn): unknown {
  if (typeof a === 'number' && typeof b === 'number') return el(a, b);
  if (typeof a === 'bigint' && typeof b === 'bigint') return big(a, b);
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    checkLive(name, a, b);
    const x = a as unknown as { length: number; [i: number]: number | bigint; slice(): typeof x };
    const y = b as unknown as typeof x;
    checkSameLength(name, x.length, y.length);
    const out = x.slice();
    if (typeof x[0] === 'bigint') for (let i = 0; i < x.length; i++) out[i] = big(x[i] as bigint, y[i] as bigint);
    else for (let i = 0; i < x.length; i++) out[i] = el(x[i] as number, y[i] as number);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    checkSameLength(name, a.length, b.length);
    return a.map((v, i) => elementwise(name, v, b[i], el, big, scalar));
  }
  if ((typeof a === 'string' && typeof b === 'string') || (typeof a === 'boolean' && typeof b === 'boolean')) return scalar(a, b);
  throw new ArgumentError(`${name} cannot combine ${describe(a)} with ${describe(b)}; pass numbers, bigints, arrays or typed arrays of the same kind, or use Op.create`);
}

/** Throws ArgumentError unless `op` is an Op. */
export function checkOp(op: unknown, what: string): Op {
  if (!(op instanceof Op)) throw new ArgumentError(`${what}: op must be an Op (Op.SUM, Op.MAX, ..., or Op.create(fn)), got ${describe(op)}`);
  return op;
}

/**
 * Throws ArgumentError when a built-in `op` cannot combine `value` whatever the other ranks
 * pass (an object, a function, an odd-length MINLOC array...), so that a reduction refuses it
 * before sending anything. User operators accept anything.
 */
export function checkOperand(op: Op, value: unknown, what: string): void {
  if (op.loc !== null) {
    const typed = ArrayBuffer.isView(value) && !(value instanceof DataView);
    if (typed ? (value as unknown as ArrayLike<number>).length % 2 === 0 : Array.isArray(value) && value.length === 2) return;
    throw new ArgumentError(`${what}: ${op.name} takes a [value, index] pair or a typed array of interleaved (value, index) pairs (even length), got ${describe(value)}`);
  }
  if (op.element === null || combinable(value, 0)) return;
  throw new ArgumentError(`${what}: ${op.name} cannot combine ${describe(value)}; pass a number, bigint, boolean, string, typed array or an array of them, or use Op.create(fn)`);
}

function combinable(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'number': case 'bigint': case 'boolean': case 'string': return true;
    case 'object':
      if (v === null) return false;
      if (ArrayBuffer.isView(v)) return !(v instanceof DataView);
      if (!Array.isArray(v) || depth > 64) return false;
      for (const x of v) if (!combinable(x, depth + 1)) return false;
      return true;
    default: return false;
  }
}
