/**
 * Intercommunicators: point-to-point between two disjoint groups (ranks address the *remote*
 * group), the base for coupling model components; `merge()` joins both into one
 * intracommunicator.
 */
import { ArgumentError, checkInt, describe } from '../errors.js';
import { TAG_UB } from './constants.js';
import { Comm, contextCounter } from './comm.js';
import * as coll from './collectives.js';
import { Coll, run } from './collectives.js';
import { Op } from './ops.js';

/** A communicator between two disjoint groups: send/recv ranks are ranks of the remote group. */
export class InterComm extends Comm {
  /** The number of ranks in the remote group. */
  readonly remoteSize: number;
  private readonly local: Comm;
  private readonly localLeaderWorld: number;
  private readonly remoteLeaderWorld: number;

  /** @internal Use `comm.createIntercomm(...)`. */
  constructor(local: Comm, context: number, remote: Int32Array, localLeader: number, remoteLeaderWorld: number) {
    const localRanks = Int32Array.from(local.group.members);
    super(local.transport, context, localRanks, `intercomm(${local.name})`, remote);
    this.remoteSize = remote.length;
    this.local = local;
    this.localLeaderWorld = localRanks[localLeader];
    this.remoteLeaderWorld = remoteLeaderWorld;
  }

  /**
   * Collective over both groups: an intracommunicator of every rank of both, the group that
   * passes `high = false` first (if both pass the same, the group holding the lower world rank first).
   */
  merge(high = false): Comm {
    const t = this.transport;
    const me = t.rank;
    const iAmLeader = me === this.localLeaderWorld;
    // Leaders swap (high, next free context); each side then shares the answer.
    const counter = contextCounter();
    const cLocal = new Coll(this.local, 'intercomm', -1, -1);
    const localMax = run(cLocal, coll.allreduce(cLocal, counter.get(), Op.MAX)) as number;
    let remote: [boolean, number] = [false, 0];
    if (iAmLeader) {
      const leaderComm = this.leaderComm();
      remote = leaderComm.sendrecv([Boolean(high), localMax], 0, 0, 0, 0) as [boolean, number];
      leaderComm.free();
    }
    const cShare = new Coll(this.local, 'intercomm', -1, -1);
    remote = run(cShare, coll.bcast(cShare, remote, this.local.group.members.indexOf(this.localLeaderWorld))) as [boolean, number];
    const ctx = Math.max(localMax, remote[1]);
    counter.set(ctx + 2);
    const mine = this.local.group.members;
    const theirs = Array.from(this.peerRanks!);
    const mineFirst = Boolean(high) === remote[0] ? Math.min(...mine) < Math.min(...theirs) : !high;
    const all = mineFirst ? [...mine, ...theirs] : [...theirs, ...mine];
    return new Comm(t, ctx, Int32Array.from(all), `${this.name}.merge`);
  }

  /** A view between the leaders on this intercommunicator's spare context: peer 0 is the other leader. */
  private leaderComm(): Comm {
    return new Comm(this.transport, this.context + 1, Int32Array.from([this.localLeaderWorld]), `${this.name}.leaders`,
      Int32Array.from([this.remoteLeaderWorld]));
  }
}

declare module './comm.js' {
  interface Comm {
    /**
     * Collective over this (local) communicator: an intercommunicator to another, disjoint
     * group. `localLeader` is a rank here; `peerComm` (e.g. world) holds both leaders;
     * `remoteLeader` is the other leader's rank in `peerComm`; `tag` keeps the leaders'
     * exchange apart from other traffic on `peerComm`.
     */
    createIntercomm(localLeader: number, peerComm: Comm, remoteLeader: number, tag?: number): InterComm;
  }
}

Comm.prototype.createIntercomm = function createIntercomm(this: Comm, localLeader: number, peerComm: Comm, remoteLeader: number, tag = 0): InterComm {
  this.intraOnly('createIntercomm');
  if (!Number.isInteger(localLeader) || localLeader < 0 || localLeader >= this.size) {
    throw new ArgumentError(`createIntercomm: localLeader must be a rank from 0 to ${this.size - 1} of ${this.name}, got ${describe(localLeader)}`);
  }
  if (!(peerComm instanceof Comm)) throw new ArgumentError(`createIntercomm: peerComm must be a communicator holding both leaders (e.g. world), got ${describe(peerComm)}`);
  checkInt(tag, 'createIntercomm: tag', 0, TAG_UB);
  if (this.rank === localLeader) {
    // significant on the local leader only, as in MPI
    checkInt(remoteLeader, `createIntercomm: remoteLeader (a rank of ${peerComm.name})`, 0, peerComm.size - 1);
    if (remoteLeader === peerComm.rank) throw new ArgumentError(`createIntercomm: remoteLeader ${remoteLeader} is this rank; it must be the other group's leader`);
  }
  const counter = contextCounter();
  const c1 = new Coll(this, 'intercomm', localLeader, -1);
  const localMax = run(c1, coll.allreduce(c1, counter.get(), Op.MAX)) as number;
  let remote: [number[], number, number] = [[], 0, -1];
  if (this.rank === localLeader) {
    remote = peerComm.sendrecv([this.group.members, localMax, this.transport.rank], remoteLeader, tag, remoteLeader, tag) as [number[], number, number];
    const mine = new Set(this.group.members);
    if (remote[0].some((w) => mine.has(w))) throw new ArgumentError('createIntercomm: the two groups overlap; an intercommunicator joins disjoint groups');
  }
  const c2 = new Coll(this, 'intercomm', localLeader, -1);
  remote = run(c2, coll.bcast(c2, remote, localLeader)) as [number[], number, number];
  const ctx = Math.max(localMax, remote[1]);
  counter.set(ctx + 2);
  return new InterComm(this, ctx, Int32Array.from(remote[0]), localLeader, remote[2]);
};
