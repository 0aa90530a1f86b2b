import { ArgumentError, describe, unboundCall } from '../errors.js';

/** What a receive or probe learned about a message: its source, tag and size. */
export class Status {
  /** The sender's rank in the communicator. */
  source = -1;
  /** The message's tag. */
  tag = -1;
  /** The message's size in bytes (encoded size for objects). */
  bytes = 0;
  /** For typed-array messages, the element type's name ('Float64Array', ...); 'object' otherwise. */
  type = '';

  /** @internal bytes per element of a typed-array message (1 for objects). */
  elementBytes = 1;

  /**
   * The number of elements in the message: of its own typed-array type by default (bytes for
   * objects), or of `elementBytes` bytes each when given. Throws ArgumentError unless
   * `elementBytes` is a positive integer.
   */
  count(elementBytes?: number): number {
    if (!(this instanceof Status)) throw unboundCall('Status', 'count', 'status');
    const per = elementBytes === undefined ? this.elementBytes : elementBytes;
    if (typeof per !== 'number' || !Number.isInteger(per) || per < 1 || per > 0x7fffffff) {
      throw new ArgumentError(`Status.count: elementBytes must be a positive integer (bytes per element: 8 for float64, 4 for int32, ...), got ${describe(elementBytes)}`);
    }
    return Math.floor(this.bytes / per);
  }
}

/**
 * @internal Throws ArgumentError unless `status` is left out (undefined or null) or a Status that
 * can be filled (not frozen, no read-only field). Receives call it before touching the queue, so
 * a bad status never costs a message. The check is a write of
 * each field's own value.
 */
export function checkStatus(status: Status | null | undefined, what: string): void {
  if (status === undefined || status === null) return;
  if (!(status instanceof Status)) {
    throw new ArgumentError(`${what}: status must be a Status to fill (const st = new Status()), or left out; got ${describe(status)}`);
  }
  try {
    // writing each field its own value changes nothing, and throws where a write is refused
    status.source = status.source;
    status.tag = status.tag;
    status.bytes = status.bytes;
    status.type = status.type;
    status.elementBytes = status.elementBytes;
  } catch {
    throw new ArgumentError(`${what}: this Status cannot be filled (frozen, or a read-only field); pass a fresh new Status()`);
  }
}
