/**
 * The coupling description a deck declares (identically on every rank): each component's time
 * step and the fields it sends and receives, with their grids and units; and the interfaces
 * that carry a sent field to a received one. `readDescription` validates its form and returns
 * the normalized description the checks and the exchange use.
 */
import { ArgumentError, describe } from '../errors.js';
import type { MapKind } from './mapping.js';
import { DeclarationError } from './errors.js';

/** Where a field's points are: point (i, j, k) sits at origin + (i, j, k) × spacing. */
export interface FieldGrid {
  /** Position of point 0 along each dimension. */
  origin: readonly number[];
  /** Distance between neighbouring points along each dimension (positive). */
  spacing: readonly number[];
  /** Points along each dimension (1 to 3 dimensions). */
  shape: readonly number[];
}

/** One field a component sends or receives. */
export interface FieldDeclaration {
  grid: FieldGrid;
  /** Units of the values, compared as written ('K', 'kg/s', '1'). */
  units: string;
  /** Components per point (default 1). */
  dof?: number;
}

/** One component of the model. */
export interface ComponentDeclaration {
  /** The component's time step (its exchange times are multiples of it). Leave out for a component that can stop at any time. */
  dt?: number;
  /** Fields it sends, by name. */
  sends?: Record<string, FieldDeclaration>;
  /** Fields it receives, by name. */
  receives?: Record<string, FieldDeclaration>;
}

/** One interface: `from` ('component.field', a sent field) is mapped onto `to` (a received field). */
export interface InterfaceDeclaration {
  from: string;
  to: string;
  /** 'nearest', 'linear' (default; bi/trilinear) or 'conservative' (first-order, area-weighted). */
  map?: MapKind;
  /** Coupling interval in simulation time: exchanges happen at 0, every, 2·every... Default: the least common multiple of both components' dt. */
  every?: number;
  /**
   * 'parallel' (default): the receiver gets the sender's value at the coupling time, sent
   * before the sender does anything else. 'serial': the receiver waits until the sender has
   * received its own serial inputs of that time and updated the field (Gauss-Seidel order).
   */
  order?: 'parallel' | 'serial';
}

/** The whole coupling: components and interfaces. */
export interface CouplingDescription {
  components: Record<string, ComponentDeclaration>;
  interfaces: readonly InterfaceDeclaration[];
}

/** @internal A field after validation. */
export interface FieldSpec {
  key: string;
  component: string;
  name: string;
  role: 'sends' | 'receives';
  origin: number[];
  spacing: number[];
  shape: number[];
  units: string;
  dof: number;
}

/** @internal An interface after validation (`every` filled in by the checks). */
export interface InterfaceSpec {
  index: number;
  from: FieldSpec;
  to: FieldSpec;
  map: MapKind;
  every: number | null;
  order: 'parallel' | 'serial';
}

/** @internal The normalized description. */
export interface Description {
  components: Map<string, { name: string; dt: number | null; fields: FieldSpec[] }>;
  fields: Map<string, FieldSpec>;
  interfaces: InterfaceSpec[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const MAPS: readonly MapKind[] = ['nearest', 'linear', 'conservative'];

function positive(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}

function readField(component: string, name: string, role: 'sends' | 'receives', f: unknown): FieldSpec {
  const key = `${component}.${name}`;
  const where = `Coupling: field ${key} (${role})`;
  if (!NAME.test(name)) throw new ArgumentError(`${where}: a field name must start with a letter and hold only letters, digits, '_' and '-'`);
  const d = f as FieldDeclaration;
  if (typeof d !== 'object' || d === null) throw new ArgumentError(`${where} must be an object { grid: { origin, spacing, shape }, units }, got ${describe(f)}`);
  for (const k of Object.keys(d)) if (!['grid', 'units', 'dof'].includes(k)) throw new ArgumentError(`${where}: unknown option '${k}'; the options are grid, units, dof`);
  const g = d.grid as FieldGrid;
  if (typeof g !== 'object' || g === null) throw new ArgumentError(`${where}: grid must be { origin, spacing, shape }, got ${describe(g)}`);
  const shape = g.shape;
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3 || shape.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new ArgumentError(`${where}: grid.shape must be 1 to 3 positive integers (points per dimension), got ${describe(shape)}`);
  }
  const nd = shape.length;
  const origin = g.origin ?? new Array<number>(nd).fill(0);
  if (!Array.isArray(origin) || origin.length !== nd || origin.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new ArgumentError(`${where}: grid.origin must be ${nd} finite numbers (as many as shape), got ${describe(origin)}`);
  }
  if (!Array.isArray(g.spacing) || g.spacing.length !== nd || g.spacing.some((x) => !positive(x))) {
    throw new ArgumentError(`${where}: grid.spacing must be ${nd} positive numbers (as many as shape), got ${describe(g.spacing)}`);
  }
  if (typeof d.units !== 'string') throw new ArgumentError(`${where}: units must be a string such as 'K' or '1' (dimensionless), got ${describe(d.units)}`);
  const dof = d.dof ?? 1;
  if (!Number.isInteger(dof) || dof < 1) throw new ArgumentError(`${where}: dof must be a positive integer, got ${describe(dof)}`);
  return { key, component, name, role, origin: [...origin], spacing: [...g.spacing], shape: [...shape], units: d.units.trim(), dof };
}

/**
 * Validates the form of a description and normalizes it. Local. Throws ArgumentError for
 * malformed values and DeclarationError for interfaces naming unknown or wrong fields.
 */
export function readDescription(desc: unknown): Description {
  const c = desc as CouplingDescription;
  if (typeof c !== 'object' || c === null) throw new ArgumentError(`new Coupling(description): description must be an object { components, interfaces }, got ${describe(desc)}`);
  for (const k of Object.keys(c)) if (k !== 'components' && k !== 'interfaces') throw new ArgumentError(`Coupling: unknown key '${k}'; a description has components and interfaces`);
  if (typeof c.components !== 'object' || c.components === null || Object.keys(c.components).length === 0) {
    throw new ArgumentError(`Coupling: components must be an object { name: { dt, sends, receives } } with at least one component, got ${describe(c.components)}`);
  }
  if (!Array.isArray(c.interfaces)) throw new ArgumentError(`Coupling: interfaces must be an array of { from, to, map, every }, got ${describe(c.interfaces)}`);
  const out: Description = { components: new Map(), fields: new Map(), interfaces: [] };
  for (const [name, comp] of Object.entries(c.components)) {
    if (!NAME.test(name)) throw new ArgumentError(`Coupling: the component name ${describe(name)} must start with a letter and hold only letters, digits, '_' and '-'`);
    if (typeof comp !== 'object' || comp === null) throw new ArgumentError(`Coupling: component ${name} must be an object { dt, sends, receives }, got ${describe(comp)}`);
    for (const k of Object.keys(comp)) if (!['dt', 'sends', 'receives'].includes(k)) throw new ArgumentError(`Coupling: component ${name}: unknown option '${k}'; the options are dt, sends, receives`);
    if (comp.dt !== undefined && !positive(comp.dt)) throw new ArgumentError(`Coupling: component ${name}: dt must be a positive number (its time step), got ${describe(comp.dt)}`);
    const fields: FieldSpec[] = [];
    for (const role of ['sends', 'receives'] as const) {
      const list = comp[role] ?? {};
      if (typeof list !== 'object' || list === null || Array.isArray(list)) throw new ArgumentError(`Coupling: component ${name}: ${role} must be an object { field: { grid, units } }, got ${describe(list)}`);
      for (const [f, decl] of Object.entries(list)) {
        const spec = readField(name, f, role, decl);
        if (out.fields.has(spec.key)) throw new DeclarationError(`Coupling: ${spec.key} is declared both as sent and as received; give the two fields different names`);
        out.fields.set(spec.key, spec);
        fields.push(spec);
      }
    }
    out.components.set(name, { name, dt: comp.dt ?? null, fields });
  }
  c.interfaces.forEach((raw, index) => {
    const i = raw as InterfaceDeclaration;
    const where = `Coupling: interface ${index}`;
    if (typeof i !== 'object' || i === null) throw new ArgumentError(`${where} must be an object { from, to, map, every }, got ${describe(raw)}`);
    for (const k of Object.keys(i)) if (!['from', 'to', 'map', 'every', 'order'].includes(k)) throw new ArgumentError(`${where}: unknown option '${k}'; the options are from, to, map, every, order`);
    const end = (key: unknown, role: 'sends' | 'receives', side: 'from' | 'to'): FieldSpec => {
      if (typeof key !== 'string' || !key.includes('.')) throw new ArgumentError(`${where}: ${side} must be 'component.field', got ${describe(key)}`);
      const [comp] = key.split('.');
      if (!out.components.has(comp)) throw new DeclarationError(`${where}: ${side} ${key} names the component ${comp}, which is not declared; the components are ${[...out.components.keys()].join(', ')}`);
      const f = out.fields.get(key);
      if (f === undefined) {
        const have = out.components.get(comp)!.fields.filter((x) => x.role === role).map((x) => x.key);
        throw new DeclarationError(`${where}: ${comp} declares no field ${key} under ${role}${have.length ? ` (it ${role} ${have.join(', ')})` : ''}; declare it or fix the name`);
      }
      if (f.role !== role) throw new DeclarationError(`${where}: ${side} ${key} is a field ${comp} ${f.role === 'sends' ? 'sends' : 'receives'}; an interface goes from a sent field to a received one`);
      return f;
    };
    const from = end(i.from, 'sends', 'from'), to = end(i.to, 'receives', 'to');
    if (from.component === to.component) throw new DeclarationError(`${where}: ${from.key} and ${to.key} belong to the same component; an interface connects two components`);
    const map = i.map ?? 'linear';
    if (!MAPS.includes(map)) throw new ArgumentError(`${where}: map must be 'nearest', 'linear' or 'conservative', got ${describe(map)}`);
    if (i.every !== undefined && !positive(i.every)) throw new ArgumentError(`${where}: every must be a positive time interval, got ${describe(i.every)}`);
    const order = i.order ?? 'parallel';
    if (order !== 'parallel' && order !== 'serial') throw new ArgumentError(`${where}: order must be 'parallel' or 'serial', got ${describe(order)}`);
    const fed = out.interfaces.find((x) => x.to === to);
    if (fed !== undefined) throw new DeclarationError(`${where}: ${to.key} is already fed by ${fed.from.key} (interface ${fed.index}); a received field has one sender`);
    out.interfaces.push({ index, from, to, map, every: i.every ?? null, order });
  });
  return out;
}
