/** What both transports share: their requests (fields and the receive-buffer check), and the diagnostics of a wait (its description, the queue of unreceived messages). */
import { MessageTypeError, TruncationError } from '../errors.js';
import { compatibleEncodings, encodingName } from './encoding.js';
import { ANY_SOURCE, ANY_TAG, type Encoding, type Envelope, type TransportRequest } from './transport.js';

/** A pending send or receive as the comm layer sees it (see TransportRequest). */
export class BaseRequest implements TransportRequest {
  done = false;
  error: Error | null = null;
  data: Uint8Array | null;
  source: number;
  tag: number;
  encoding: Encoding;
  bytes = 0;
  signature = 0;
  constructor(readonly kind: 'send' | 'recv', readonly peer: number, readonly context: number,
    tag: number, encoding: Encoding, data: Uint8Array | null) {
    this.source = peer;
    this.tag = tag;
    this.encoding = encoding;
    this.data = data;
  }

  /**
   * For a receive into a buffer: checks the buffer against a matched message. On a type or size
   * mismatch fails the request (the message stays queued for another receive) and returns false.
   */
  accepts(bytes: number, encoding: Encoding): boolean {
    const into = this.data;
    if (into === null) return true;
    if (this.encoding >= 0 && !compatibleEncodings(encoding, this.encoding)) {
      this.error = new MessageTypeError(`the message holds ${encodingName(encoding)} but the receive buffer is ${encodingName(this.encoding)}; receive it with recv() or into a buffer of its type (the message stays queued)`);
    } else if (bytes > into.byteLength) {
      this.error = new TruncationError(`message of ${bytes} bytes does not fit the ${into.byteLength}-byte receive buffer; ` +
        'pass a larger buffer (the message stays queued)');
    } else {
      return true;
    }
    this.source = -1;
    this.bytes = bytes;
    this.done = true;
    return false;
  }
}

/**
 * What a rank is blocked in, for hang reports: its activity (a collective, finalize) and the
 * operation it waits for, e.g. `allreduce() on world [collective #3] → recv(source=1, tag=3, comm=world)`.
 */
export function describeWait(activity: { toString(): string } | null, request: TransportRequest | null,
  contextName?: (context: number) => string): string {
  const parts: string[] = [];
  if (activity !== null) parts.push(String(activity));
  if (request !== null) {
    const peer = request.peer === ANY_SOURCE ? 'ANY_SOURCE' : String(request.peer);
    const tag = request.tag === ANY_TAG ? 'ANY_TAG' : String(request.tag);
    const comm = contextName ? contextName(request.context) : `context ${request.context}`;
    parts.push(`${request.kind}(${request.kind === 'send' ? 'dest' : 'source'}=${peer}, tag=${tag}, comm=${comm})`);
  }
  if (parts.length === 0) parts.push('a simdeck call');
  return parts.join(' → ');
}

/** A copy of a queued message's envelope (without the transport's own fields). */
export function envelopeOf(u: Envelope): Envelope {
  return { source: u.source, tag: u.tag, bytes: u.bytes, encoding: u.encoding, signature: u.signature };
}

/** The envelopes (copies) of the arrived, unreceived messages in `list` that belong to `context`. */
export function envelopesOn(list: readonly (Envelope & { context: number })[], context: number): Envelope[] {
  return list.filter((u) => u.context === context).map(envelopeOf);
}
