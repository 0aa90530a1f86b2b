/**
 * Components: the parts of a coupled model, each on its own ranks with its own communicator.
 * `components(world, { compressor: 2, combustor: 3, exhaust: 1 })` splits one deck's ranks;
 * `components(world)` in an MPMD job (`simdeck run -n 2 compressor.ts : -n 3 combustor.ts`)
 * names each app after its deck file (or the name a deck passes). Intercommunicators between
 * two components are made on demand.
 */
import { basename, extname } from 'node:path';
import { Comm } from '../comm/comm.js';
import type { InterComm } from '../comm/intercomm.js';
import '../comm/intercomm.js';
import { ArgumentError, describe } from '../errors.js';
import { currentJob, getAppIndex } from '../runtime/world.js';
import { DeclarationError } from './errors.js';

/** Component names: letters, digits, '_' and '-', starting with a letter (they are used in field names 'name.field'). */
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Tags on the parent communicator used to introduce the leaders of two components. */
const INTERCOMM_TAG = 30_000;

/** This rank's component, and where every component of the model lives. */
export class Component {
  /** The components' names, in the order of their ranks in `parent`. */
  readonly names: readonly string[];
  /** Parent ranks of each component, by name. */
  readonly ranks: Readonly<Record<string, readonly number[]>>;
  private readonly inter = new Map<string, InterComm>();

  /** @internal Use `components(...)`. */
  constructor(
    /** The communicator holding every component (world, usually). */
    readonly parent: Comm,
    /** This rank's component. */
    readonly name: string,
    /** This component's own communicator: its collectives involve its ranks only. */
    readonly comm: Comm,
    names: readonly string[], ranks: Record<string, number[]>) {
    this.names = names;
    this.ranks = ranks;
  }

  /** The position of this rank's component in `names`. */
  get index(): number {
    return this.names.indexOf(this.name);
  }

  /** Whether this rank belongs to component `name`. Local. */
  is(name: string): boolean {
    return this.name === name;
  }

  /**
   * The intercommunicator between this component and `other` (its remote ranks are `other`'s
   * ranks, numbered from 0), made on first use and kept. Collective over the ranks of both
   * components (each side calls `intercomm(otherName)`). Throws ArgumentError for an unknown
   * name or this component's own name.
   */
  intercomm(other: string): InterComm {
    if (typeof other !== 'string' || !(other in this.ranks)) throw new ArgumentError(`Component.intercomm: other must be one of the components ${this.names.join(', ')}, got ${describe(other)}`);
    if (other === this.name) throw new ArgumentError(`Component.intercomm: ${other} is this rank's own component; use component.comm for its own ranks`);
    let ic = this.inter.get(other);
    if (ic === undefined) {
      const a = this.names.indexOf(this.name), b = this.names.indexOf(other);
      const tag = INTERCOMM_TAG + Math.min(a, b) * 64 + Math.max(a, b);
      ic = this.comm.createIntercomm(0, this.parent, this.ranks[other][0], tag);
      this.inter.set(other, ic);
    }
    return ic;
  }

  /** A one-line description: `compressor (ranks 0-1 of world)`. */
  toString(): string {
    const r = this.ranks[this.name];
    return `${this.name} (rank${r.length > 1 ? 's' : ''} ${r.length > 1 && r[r.length - 1] - r[0] === r.length - 1 ? `${r[0]}-${r[r.length - 1]}` : r.join(',')} of ${this.parent.name})`;
  }
}

/** The name of this rank's app in an MPMD job: its deck file's name without extension. */
function appName(): string {
  const deck = currentJob()?.deck || process.argv[1] || '';
  const base = basename(deck, extname(deck)).replace(/[^A-Za-z0-9_-]/g, '_');
  return NAME.test(base) ? base : `app${getAppIndex()}`;
}

/**
 * Splits `parent` into components. With `counts` ({ compressor: 2, combustor: 3 }), one deck
 * runs every component: the first 2 ranks of `parent` become the compressor, the next 3 the
 * combustor, and so on in the order given; the counts must add up to `parent.size`. Without
 * counts (an MPMD job), each rank's component is `name` when given, or else its deck file's
 * name without extension (`compressor.ts` → 'compressor'); ranks with the same name form one
 * component. Collective over `parent`, blocking. Throws ArgumentError for bad arguments and
 * DeclarationError (on every rank) when the counts do not add up or a name is malformed.
 */
export function components(parent: Comm, counts?: Record<string, number> | string): Component {
  if (!(parent instanceof Comm)) throw new ArgumentError(`components(parent, counts): parent must be a communicator (world, usually), got ${describe(parent)}`);
  parent.intraOnly('components');
  let mine: string;
  if (counts === undefined || typeof counts === 'string') {
    mine = counts ?? appName();
    if (!NAME.test(mine)) throw new ArgumentError(`components: a component name must start with a letter and hold only letters, digits, '_' and '-', got ${describe(mine)}`);
  } else {
    if (typeof counts !== 'object' || counts === null || Array.isArray(counts)) {
      throw new ArgumentError(`components(parent, counts): counts must be an object { name: ranks, ... } (or a name, or nothing, in an MPMD job), got ${describe(counts)}`);
    }
    const entries = Object.entries(counts);
    if (entries.length === 0) throw new ArgumentError('components: counts is empty; give at least one component, as { model: 2 }');
    for (const [name, n] of entries) {
      if (!NAME.test(name)) throw new ArgumentError(`components: the name ${describe(name)} must start with a letter and hold only letters, digits, '_' and '-'`);
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new ArgumentError(`components: ${name} must have a positive whole number of ranks, got ${describe(n)}`);
    }
    const total = entries.reduce((s, [, n]) => s + n, 0);
    if (total !== parent.size) {
      throw new DeclarationError(`components: the counts add up to ${total} ranks (${entries.map(([k, n]) => `${k} ${n}`).join(', ')}) but ${parent.name} has ${parent.size}; ` +
        `run with -n ${total} or change the counts`);
    }
    let r = parent.rank;
    mine = entries[0][0];
    for (const [name, n] of entries) { if (r < n) { mine = name; break; } r -= n; }
  }
  const all = parent.allgather(mine) as string[];
  const names: string[] = [];
  const ranks: Record<string, number[]> = {};
  all.forEach((n, r) => { if (!(n in ranks)) { names.push(n); ranks[n] = []; } ranks[n].push(r); });
  const comm = parent.split(names.indexOf(mine), parent.rank)!;
  return new Component(parent, mine, comm, names, ranks);
}
