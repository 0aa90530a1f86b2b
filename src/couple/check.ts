/**
 * The coupling check: everything that can be known wrong about a coupling before the first
 * step, from the description alone. Unconnected fields, unit mismatches, shape and dimension
 * mismatches (and targets outside their source), intervals with no common coupling times, and
 * cycles of serial waits. Each gives its typed error naming components and fields.
 */
import type { Description, InterfaceSpec } from './description.js';
import { IntervalError, ShapeMismatchError, UnconnectedFieldError, UnitMismatchError, WaitCycleError } from './errors.js';
import { axisOf, reachProblem } from './mapping.js';

/** Largest number of steps of one component searched for a common coupling time. */
const MAX_RATIO = 10_000;
/** Relative tolerance for "a whole number of steps". */
const TOL = 1e-9;

function label(i: InterfaceSpec): string {
  return `${i.from.key} → ${i.to.key}`;
}

/** Whether `x` is a whole multiple of `dt` (relative tolerance). */
export function isMultiple(x: number, dt: number): boolean {
  const q = x / dt;
  return q >= 1 - TOL && Math.abs(q - Math.round(q)) <= TOL * Math.max(1, q);
}

/** The least common multiple of two time steps within MAX_RATIO steps, or null. */
function commonMultiple(a: number, b: number): number | null {
  for (let p = 1; p <= MAX_RATIO; p++) if (isMultiple(p * a, b)) return p * a;
  return null;
}

/**
 * Runs every check on a description and fills in each interface's `every`. Local and
 * deterministic: every rank holding the same description throws the same error. Throws
 * UnconnectedFieldError, UnitMismatchError, ShapeMismatchError, IntervalError or
 * WaitCycleError, in that order of precedence.
 */
export function checkDescription(d: Description): void {
  // 1. every field is connected
  for (const f of d.fields.values()) {
    const used = d.interfaces.some((i) => (f.role === 'sends' ? i.from : i.to) === f);
    if (!used) {
      throw new UnconnectedFieldError(f.role === 'sends'
        ? `coupling check: ${f.component} sends ${f.key} but no interface carries it to a receiver; add an interface { from: '${f.key}', to: ... } or remove the field`
        : `coupling check: ${f.component} receives ${f.key} but nothing is sent to it; add an interface { from: ..., to: '${f.key}' } or remove the field`, f.key, f.role);
    }
  }
  for (const i of d.interfaces) {
    // 2. units
    if (i.from.units !== i.to.units) {
      throw new UnitMismatchError(`coupling check: ${label(i)}: ${i.from.component} sends ${i.from.name} in '${i.from.units}' but ${i.to.component} expects ${i.to.name} in '${i.to.units}'; ` +
        'convert on one side and declare the same units on both', i.from.key, i.to.key, i.from.units, i.to.units);
    }
    // 3. shapes
    const a = i.from, b = i.to;
    if (a.shape.length !== b.shape.length) {
      throw new ShapeMismatchError(`coupling check: ${label(i)}: ${a.key} is ${a.shape.length}-D [${a.shape.join(', ')}] but ${b.key} is ${b.shape.length}-D [${b.shape.join(', ')}]; ` +
        'an interface maps between grids of the same dimension', a.key, b.key);
    }
    if (a.dof !== b.dof) throw new ShapeMismatchError(`coupling check: ${label(i)}: ${a.key} has ${a.dof} components per point but ${b.key} has ${b.dof}; declare the same dof`, a.key, b.key);
    for (let dim = 0; dim < a.shape.length; dim++) {
      const why = reachProblem(i.map, axisOf(a, dim), axisOf(b, dim));
      if (why !== null) {
        throw new ShapeMismatchError(`coupling check: ${label(i)} (${i.map}): along dimension ${dim} ${why}; ` +
          'the two grids must cover the same region (check origin, spacing and shape)', a.key, b.key);
      }
    }
  }
  // 4. intervals
  for (const i of d.interfaces) {
    const da = d.components.get(i.from.component)!.dt, db = d.components.get(i.to.component)!.dt;
    if (i.every === null) {
      if (da === null && db === null) throw new IntervalError(`coupling check: ${label(i)}: neither ${i.from.component} nor ${i.to.component} declares dt; give the interface an interval (every)`, i.from.key, i.to.key);
      const m = da === null ? db : db === null ? da : commonMultiple(da, db);
      if (m === null) {
        throw new IntervalError(`coupling check: ${label(i)}: ${i.from.component} (dt ${da}) and ${i.to.component} (dt ${db}) reach no common time within ${MAX_RATIO} steps; ` +
          'give the interface an interval (every) that is a whole number of steps of both', i.from.key, i.to.key);
      }
      i.every = m;
    }
    for (const [comp, dt] of [[i.from.component, da], [i.to.component, db]] as const) {
      if (dt !== null && !isMultiple(i.every, dt)) {
        const m = da !== null && db !== null ? commonMultiple(da, db) : dt;
        throw new IntervalError(`coupling check: ${label(i)}: the interval ${i.every} is not a whole number of ${comp} steps (dt ${dt}), so ${i.from.component} and ${i.to.component} ` +
          `have no common coupling time; use a multiple of ${m ?? 'both time steps'} for every`, i.from.key, i.to.key);
      }
    }
  }
  // 5. serial waits: A -serial-> B means B waits for A; a cycle waits forever at time 0
  const next = new Map<string, InterfaceSpec[]>();
  for (const i of d.interfaces) if (i.order === 'serial') next.set(i.from.component, [...(next.get(i.from.component) ?? []), i]);
  const state = new Map<string, 1 | 2>();
  const path: InterfaceSpec[] = [];
  const visit = (c: string): void => {
    state.set(c, 1);
    for (const i of next.get(c) ?? []) {
      const t = i.to.component;
      path.push(i);
      if (state.get(t) === 1) {
        const from = path.findIndex((p) => p.from.component === t);
        const loop = path.slice(from);
        const names = [...loop.map((p) => p.from.component), t];
        throw new WaitCycleError(`coupling check: the serial interfaces ${loop.map(label).join(', ')} form a wait cycle ${names.join(' → ')}: ` +
          `each of these components waits for the previous one before sending, so at coupling time 0 none of them ever sends; make one of them order: 'parallel'`, names);
      }
      if (!state.has(t)) visit(t);
      path.pop();
    }
    state.set(c, 2);
  };
  for (const c of d.components.keys()) if (!state.has(c)) visit(c);
}
