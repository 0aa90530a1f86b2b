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

  /** The number of elements of `BYTES_PER_ELEMENT` bytes in the message (bytes for objects). */
  count(elementBytes = 1): number {
    return Math.floor(this.bytes / elementBytes);
  }
}
