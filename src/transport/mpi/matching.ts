/**
 * Matching of the MPI transport, in MPI's order: messages whose envelopes arrived wait in the
 * unexpected queue until a receive takes them (per sender and context never overtaken; posted
 * receives matched in posting order). Beyond MPI, a receive from ANY_SOURCE is fair: it takes
 * the sender next in turn (round-robin) among those with a matching message, and a turn owed
 * to a sender that announced messages still held at its side (for lack of credit) waits for
 * its next message.
 */
import { ANY_SOURCE, ANY_TAG, type Envelope } from '../transport.js';
import type { Req } from './bulk.js';

/** A message whose envelope arrived before any receive matched it. */
export interface Unexpected extends Envelope {
  context: number;
  /** Eager and PULL: the payload (a PULL's once `landing` is done). RTS: null (it waits on the sender until a receive matches). */
  data: Uint8Array | null;
  seq: number;
  /** PULL: the transfer bringing the payload here. */
  landing: Req | null;
}

/** findMatch: a receive from ANY_SOURCE must wait for a sender's announced message. */
export const STALL = -2;

/** The unexpected queue, the posted receives and the ANY_SOURCE turns of one rank. */
export class Matcher {
  readonly posted: Req[] = [];
  readonly unexpected: Unexpected[] = [];
  /** Per context: the senders that announced more messages on it. */
  private readonly owed = new Map<number, Set<number>>();
  /** Per sender: the contexts it announced messages on (null: none). */
  readonly owing: (Set<number> | null)[];
  private rotor = 0;

  /** `deliver` completes a receive with the message it matched. */
  constructor(private readonly size: number, private readonly deliver: (req: Req, u: Unexpected) => void) {
    this.owing = new Array<Set<number> | null>(size).fill(null);
  }

  /** Sender `source` announced messages on `ctx` still held at its side. */
  owe(source: number, ctx: number): void {
    let set = this.owed.get(ctx);
    if (set === undefined) this.owed.set(ctx, set = new Set());
    set.add(source);
    (this.owing[source] ??= new Set()).add(ctx);
  }

  /** Sender `source` has nothing more held on `ctx`. */
  paid(source: number, ctx: number): void {
    this.owed.get(ctx)?.delete(source);
    const mine = this.owing[source];
    if (mine !== null) {
      mine.delete(ctx);
      if (mine.size === 0) this.owing[source] = null;
    }
  }

  /** Sender `source` finished its deck: no turn waits for it any more. */
  forget(source: number): void {
    const mine = this.owing[source];
    if (mine !== null) for (const ctx of [...mine]) this.paid(source, ctx);
  }

  /**
   * The queued message a receive takes: for a given source, its first message on the context
   * with a matching tag; for ANY_SOURCE, the first such message of the sender next in turn
   * after the one last taken, or STALL when a sender before it in turn announced messages it
   * has not sent yet. -1 when none.
   */
  findMatch(source: number, tag: number, context: number): number {
    const list = this.unexpected;
    if (source !== ANY_SOURCE) {
      for (let j = 0; j < list.length; j++) {
        const u = list[j];
        if (u.source === source && u.context === context && (tag === ANY_TAG || u.tag === tag)) return j;
      }
      return -1;
    }
    const n = this.size;
    let best = -1;
    let bestTurn = n;
    let seen: number[] | null = null;
    for (let j = 0; j < list.length; j++) {
      const u = list[j];
      if (u.context !== context || (tag !== ANY_TAG && u.tag !== tag)) continue;
      const turn = (u.source - this.rotor + n) % n;
      if (turn < bestTurn) { best = j; bestTurn = turn; }
      (seen ??= []).push(u.source);
    }
    const owed = this.owed.get(context);
    if (owed !== undefined && owed.size !== 0) {
      for (const s of owed) {
        if ((s - this.rotor + n) % n < bestTurn && (seen === null || !seen.includes(s))) return STALL;
      }
    }
    return best;
  }

  /** Matches posted receives against queued messages, in posting order. */
  matchPosted(): void {
    const posted = this.posted;
    let stalled: number[] | null = null;
    for (let i = 0; i < posted.length; i++) {
      const req = posted[i];
      if (stalled !== null && stalled.includes(req.context)) continue; // an earlier receive may take its message
      const j = this.findMatch(req.peer, req.tag, req.context);
      if (j === STALL) { (stalled ??= []).push(req.context); continue; }
      if (j < 0) continue;
      const u = this.unexpected[j];
      posted.splice(i--, 1);
      if (!req.accepts(u.bytes, u.encoding)) continue;
      this.unexpected.splice(j, 1);
      if (req.peer === ANY_SOURCE) this.rotor = (u.source + 1) % this.size;
      this.deliver(req, u);
    }
  }

}
