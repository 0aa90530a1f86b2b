/**
 * Length-prefixed msgpack frames between a rank (its helper thread) and its isolated child
 * process: 4 bytes of little-endian length, then the msgpack bytes. Typed arrays keep their class.
 */
import { createRequire } from 'node:module';
import type { Packr } from 'msgpackr';

let packr: Packr | null = null;

function codec(): Packr {
  if (packr === null) {
    const msgpackr = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr');
    packr = new msgpackr.Packr({ moreTypes: true, useRecords: false } as ConstructorParameters<typeof msgpackr.Packr>[0]);
  }
  return packr;
}

/** One frame holding `value`. Throws msgpackr's error for a value that cannot be encoded. */
export function frame(value: unknown): Buffer {
  const body = codec().pack(value);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32LE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** Decodes the body of a frame (without its length prefix). */
export function unframe(body: Uint8Array): unknown {
  return codec().unpack(body);
}

/** Splits a byte stream into frames: push chunks, get whole decoded values back. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns every value completed by them. */
  push(chunk: Buffer): unknown[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const values: unknown[] = [];
    while (this.buffered.length >= 4) {
      const n = this.buffered.readUInt32LE(0);
      if (this.buffered.length < 4 + n) break;
      values.push(unframe(this.buffered.subarray(4, 4 + n)));
      this.buffered = this.buffered.subarray(4 + n);
    }
    return values;
  }
}
