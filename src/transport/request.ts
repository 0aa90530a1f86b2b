/** The fields every transport's requests share; each transport extends it with its own progress state. */
import type { Encoding, TransportRequest } from './transport.js';

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
}
