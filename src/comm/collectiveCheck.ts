/**
 * Collective-mismatch diagnosis (beyond MPI). Every collective message carries a 32-bit
 * signature of the call that sent it: which collective, its root, and the typed-array length
 * where ranks must agree. A receiver compares it with its own call; messages that no call of
 * this rank will ever take are found while a collective waits and when the deck ends. Either
 * way the job fails with a CollectiveMismatchError naming the ranks and their calls, instead of
 * hanging or returning garbage. Cost: a compare per collective message. Set
 * SIMDECK_COLLECTIVE_CHECK=0 to measure without it.
 */
import { CollectiveMismatchError } from '../errors.js';

/** The collectives, by signature code. */
export const CALLS = [
  '', 'barrier', 'bcast', 'scatter', 'gather', 'allgather', 'alltoall', 'reduce', 'allreduce', 'scan',
  'exscan', 'reduceScatter', 'scatterv', 'gatherv', 'allgatherv', 'split', 'dup', 'create', 'neighborAlltoall',
  'intercomm', 'cart',
] as const;

const CALL_CODES = new Map<string, number>(CALLS.map((c, i) => [c, i]));

/** A collective's name. */
export type CallName = Exclude<(typeof CALLS)[number], ''>;

/** Whether signatures are checked (on unless SIMDECK_COLLECTIVE_CHECK=0). */
export const checking = process.env.SIMDECK_COLLECTIVE_CHECK !== '0';

/** Packs a call, its root (-1 for none) and a length (-1 for none) into a signature word. */
export function signature(call: CallName, root: number, length: number): number {
  if (!checking) return 0;
  // a deck's loop makes the same call again and again: the last signature is kept
  if (call === lastSig.call && root === lastSig.root && length === lastSig.length) return lastSig.sig;
  const code = CALL_CODES.get(call)!;
  const r = root < 0 ? 0 : (root % 4095) + 1;
  const n = length < 0 ? 0 : (length % 16383) + 1;
  const sig = (code | (r << 6) | (n << 18)) | 0;
  lastSig.call = call;
  lastSig.root = root;
  lastSig.length = length;
  lastSig.sig = sig;
  return sig;
}

const lastSig: { call: string; root: number; length: number; sig: number } = { call: '', root: 0, length: 0, sig: 0 };

/** Describes a signature: `reduce(root=0, 8 elements)`. */
export function describeSignature(sig: number): string {
  const code = sig & 63;
  const r = (sig >>> 6) & 4095;
  const n = (sig >>> 18) & 16383;
  const parts: string[] = [];
  if (r !== 0) parts.push(`root=${r - 1}`);
  if (n !== 0) parts.push(`${n - 1} elements`); // lengths are compared modulo 16383
  return `${CALLS[code] || `call ${code}`}(${parts.join(', ')})`;
}

/** Remembers a communicator's recent collectives by sequence number, for error messages. */
export class CallHistory {
  private static readonly SIZE = 512;
  private readonly seqs = new Int32Array(CallHistory.SIZE).fill(-1);
  private readonly calls = new Array<{ toString(): string } | null>(CallHistory.SIZE).fill(null);
  /** Records collective `seq`; its description is only built if an error needs it. */
  note(seq: number, description: { toString(): string }): void {
    const i = seq & (CallHistory.SIZE - 1);
    this.seqs[i] = seq;
    this.calls[i] = description;
  }
  /** What this rank called as collective `seq` ('nothing yet' when it has not reached it). */
  at(seq: number, current: number): string {
    const i = seq & (CallHistory.SIZE - 1);
    if (this.seqs[i] === seq && this.calls[i] !== null) return String(this.calls[i]);
    return seq >= current ? 'nothing yet (it has not reached that collective)' : 'an older collective';
  }
}

/** The error for a message whose signature differs from the receiving rank's call. */
export function mismatch(commName: string, seq: number, myRank: number, myCall: string, peer: number, peerSig: number, peerSeq = seq): CollectiveMismatchError {
  const where = peerSeq === seq ? `collective #${seq}` : `collective #${peerSeq} (this rank is at #${seq})`;
  return new CollectiveMismatchError(
    `collective mismatch on ${commName} at ${where}: rank ${peer} called ${describeSignature(peerSig)} ` +
    `but rank ${myRank} called ${myCall}. Every rank of a communicator must make the same collective calls ` +
    'in the same order, with the same root and, where they must agree, the same typed-array lengths.');
}
