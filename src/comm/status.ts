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
   * objects), or of `elementBytes` bytes each when given.
   */
  count(elementBytes: number = this.elementBytes): number {
    return Math.floor(this.bytes / elementBytes);
  }
}
