/**
 * Steerable parameters: a schema declared by the deck (type, range, unit, choices, description),
 * the current values, and the check a new value must pass before it is applied. Values change
 * only at step boundaries, on every rank at once (see Simulation); between changes
 * `sim.params` is a frozen object, so a deck reads `s.params.alpha` at no cost.
 */
import { describe } from '../errors.js';
import type { ParamDescription } from './link.js';
import { ParameterError } from './errors.js';

/** A parameter's value. */
export type ParamValue = number | string | boolean;

/** How a deck declares one steerable parameter. The type is taken from `value` unless given. */
export interface ParamSpec {
  value: ParamValue;
  /** 'integer' makes a number accept whole values only; otherwise inferred from `value`. */
  type?: 'number' | 'integer' | 'boolean' | 'string';
  min?: number;
  max?: number;
  unit?: string;
  /** For strings: the only values allowed. */
  choices?: readonly string[];
  description?: string;
}

/** The schema of a simulation's parameters: name → spec (or just an initial value). */
export type ParamSchema = Record<string, ParamSpec | ParamValue>;

/** The current values, typed after the schema. */
export type ParamValues<S extends ParamSchema> = {
  readonly [K in keyof S]: S[K] extends { value: infer V } ? (V extends number ? number : V extends boolean ? boolean : string)
    : S[K] extends number ? number : S[K] extends boolean ? boolean : string;
};

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a schema and returns the parameters' descriptions in declaration order. Throws ParameterError. */
export function describeParams(schema: ParamSchema | undefined): ParamDescription[] {
  if (schema === undefined) return [];
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ParameterError(`params must be an object of name: { value, min, max, unit, ... }, got ${describe(schema)}`);
  }
  const out: ParamDescription[] = [];
  for (const [name, raw] of Object.entries(schema)) {
    if (!NAME.test(name)) throw new ParameterError(`parameter name ${JSON.stringify(name)} must be an identifier (letters, digits, _)`);
    const spec: ParamSpec = typeof raw === 'object' && raw !== null ? raw : { value: raw as ParamValue };
    const v = spec.value;
    const type = spec.type ?? (typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : typeof v === 'string' ? 'string' : undefined);
    if (type === undefined || !['number', 'integer', 'boolean', 'string'].includes(type)) {
      throw new ParameterError(`parameter ${name}: value must be a number, boolean or string (or give type), got ${describe(v)}`);
    }
    const d: ParamDescription = { name, type, value: v };
    if (spec.min !== undefined || spec.max !== undefined) {
      if (type !== 'number' && type !== 'integer') throw new ParameterError(`parameter ${name}: min and max apply to numbers only, not to a ${type}`);
      for (const k of ['min', 'max'] as const) {
        const b = spec[k];
        if (b !== undefined && (typeof b !== 'number' || Number.isNaN(b))) throw new ParameterError(`parameter ${name}: ${k} must be a number, got ${describe(b)}`);
      }
      if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) throw new ParameterError(`parameter ${name}: min ${spec.min} is above max ${spec.max}`);
      if (spec.min !== undefined) d.min = spec.min;
      if (spec.max !== undefined) d.max = spec.max;
    }
    if (spec.choices !== undefined) {
      if (type !== 'string' || !Array.isArray(spec.choices) || spec.choices.length === 0 || !spec.choices.every((c) => typeof c === 'string')) {
        throw new ParameterError(`parameter ${name}: choices must be a non-empty array of strings, for a string parameter`);
      }
      d.choices = [...spec.choices];
    }
    if (spec.unit !== undefined) d.unit = String(spec.unit);
    if (spec.description !== undefined) d.description = String(spec.description);
    const checked = checkValue(d, v);
    if ('error' in checked) throw new ParameterError(`parameter ${name}: initial value ${checked.error}`);
    out.push(d);
  }
  return out;
}

/**
 * The value `raw` converted to the parameter's type (a string "0.2" from a terminal becomes a
 * number for a number parameter), or a string saying why it is refused.
 */
export function checkValue(d: ParamDescription, raw: unknown): { value: ParamValue } | { error: string } {
  const v = convert(d, raw);
  return typeof v === 'object' ? v : { value: v };
}

function convert(d: ParamDescription, raw: unknown): ParamValue | { error: string } {
  const { type } = d;
  let v = raw;
  if ((type === 'number' || type === 'integer') && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) v = Number(v);
  if (type === 'boolean' && typeof v === 'string' && /^(true|false)$/.test(v.trim())) v = v.trim() === 'true';
  switch (type) {
    case 'number': case 'integer': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return { error: `must be a finite number, got ${describe(raw)}` };
      if (type === 'integer' && !Number.isInteger(v)) return { error: `must be an integer, got ${v}` };
      const unit = d.unit ? ` ${d.unit}` : '';
      if (d.min !== undefined && v < d.min) return { error: `must be at least ${d.min}${unit}, got ${v}` };
      if (d.max !== undefined && v > d.max) return { error: `must be at most ${d.max}${unit}, got ${v}` };
      return v;
    }
    case 'boolean':
      return typeof v === 'boolean' ? v : { error: `must be true or false, got ${describe(raw)}` };
    default:
      if (typeof v !== 'string') return { error: `must be a string, got ${describe(raw)}` };
      if (d.choices !== undefined && !d.choices.includes(v)) return { error: `must be one of ${d.choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(v)}` };
      return v;
  }
}

/** The initial values of described parameters, as a frozen object. */
export function initialValues(descriptions: readonly ParamDescription[]): Readonly<Record<string, ParamValue>> {
  const o: Record<string, ParamValue> = {};
  for (const d of descriptions) o[d.name] = d.value;
  return Object.freeze(o);
}
