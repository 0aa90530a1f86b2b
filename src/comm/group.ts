/**
 * Group: an ordered set of processes (held as world ranks), as in MPI. Groups are plain values:
 * making and combining them communicates nothing; `comm.create(group)` turns one into a
 * communicator.
 */
import { ArgumentError, describe } from '../errors.js';
import { bindMethods } from './bind.js';

/** Result of Group.compare: same members in the same order, same members, or not. */
export type GroupComparison = 'ident' | 'similar' | 'unequal';

/** Rank of a process not in a group (MPI_UNDEFINED). */
export const UNDEFINED = -32766;

/** An ordered set of processes. */
export class Group {
  private freed = false;
  /** @internal world ranks, in group order. */
  readonly members: readonly number[];

  /** @internal Use `comm.group` and the set operations. */
  constructor(members: readonly number[], private readonly me: number) {
    if (!Array.isArray(members) || !Number.isInteger(me)) {
      throw new ArgumentError('a Group is not made with `new Group(...)`: start from comm.group, then incl, excl, union, ...');
    }
    this.members = members;
    bindMethods(this);
  }

  private live(what: string): readonly number[] {
    if (this.freed) throw new ArgumentError(`${what}: this group was freed`);
    return this.members;
  }

  /** The number of processes in the group. */
  get size(): number {
    return this.live('size').length;
  }

  /** This process's rank in the group, or UNDEFINED when it is not a member. */
  get rank(): number {
    const i = this.live('rank').indexOf(this.me);
    return i < 0 ? UNDEFINED : i;
  }

  private checkRanks(ranks: unknown, what: string, unique = true): number[] {
    const m = this.live(what);
    if (!Array.isArray(ranks) || ranks.some((r) => !Number.isInteger(r) || r < 0 || r >= m.length)) {
      throw new ArgumentError(`${what}: ranks must be an array of integers from 0 to ${m.length - 1}, got ${describe(ranks)}`);
    }
    if (unique && new Set(ranks).size !== ranks.length) throw new ArgumentError(`${what}: ranks must not repeat, got [${ranks.join(', ')}]`);
    return ranks as number[];
  }

  /** A group of the listed ranks of this group, in the listed order. */
  incl(ranks: readonly number[]): Group {
    const r = this.checkRanks(ranks, 'Group.incl');
    return new Group(r.map((i) => this.members[i]), this.me);
  }

  /** This group without the listed ranks. */
  excl(ranks: readonly number[]): Group {
    const r = new Set(this.checkRanks(ranks, 'Group.excl'));
    return new Group(this.members.filter((_, i) => !r.has(i)), this.me);
  }

  /** Members of this group, then members of `other` not in this one. */
  union(other: Group): Group {
    const mine = new Set(this.live('Group.union'));
    return new Group([...this.members, ...checkGroup(other).filter((w) => !mine.has(w))], this.me);
  }

  /** Members of this group that are also in `other`, in this group's order. */
  intersection(other: Group): Group {
    const theirs = new Set(checkGroup(other));
    return new Group(this.live('Group.intersection').filter((w) => theirs.has(w)), this.me);
  }

  /** Members of this group not in `other`, in this group's order. */
  difference(other: Group): Group {
    const theirs = new Set(checkGroup(other));
    return new Group(this.live('Group.difference').filter((w) => !theirs.has(w)), this.me);
  }

  /** For each listed rank of this group, its rank in `other` (UNDEFINED when absent). */
  translateRanks(ranks: readonly number[], other: Group): number[] {
    const r = this.checkRanks(ranks, 'Group.translateRanks', false);
    const theirs = checkGroup(other);
    return r.map((i) => {
      const j = theirs.indexOf(this.members[i]);
      return j < 0 ? UNDEFINED : j;
    });
  }

  /** 'ident' when both have the same members in the same order, 'similar' in another order, else 'unequal'. */
  compare(other: Group): GroupComparison {
    const a = this.live('Group.compare');
    const b = checkGroup(other);
    if (a.length !== b.length) return 'unequal';
    if (a.every((w, i) => w === b[i])) return 'ident';
    const set = new Set(a);
    return b.every((w) => set.has(w)) ? 'similar' : 'unequal';
  }

  /** Releases the group; using it afterwards throws. */
  free(): void {
    this.freed = true;
  }
}

function checkGroup(g: unknown): readonly number[] {
  if (!(g instanceof Group)) throw new ArgumentError(`expected a Group (from comm.group), got ${describe(g)}`);
  return (g as unknown as { live(w: string): readonly number[] }).live('group operation');
}
