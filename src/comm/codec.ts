/**
 * Turning values into message bytes and back. A bare typed array travels raw (its bytes, its
 * element type in the encoding code); anything else is msgpack-encoded, typed arrays nested
 * inside included (msgpackr's `moreTypes`; its records are self-describing per message, so
 * any sender's bytes decode on any receiver). Caveat: in objects, -0 arrives as 0. Functions and symbols are refused with an EncodeError
 * instead of silently turning into `undefined`.
 */
import { createRequire } from 'node:module';
import type { Packr } from 'msgpackr';
import { EncodeError } from '../errors.js';
import {
  isTravellingClass, OBJECT_ENCODING, PLAIN_OBJECT_ENCODING, TYPED_ARRAY_CLASSES, typedArrayEncoding,
} from '../transport/encoding.js';

let packrInstance: Packr | null = null;
let plainInstance: Packr | null = null;

/**
 * The msgpack encoder, loaded with the first object message (synchronously, through msgpackr's
 * CommonJS build): loading it takes about 20 ms of CPU in every rank's start-up, which decks
 * that send only typed arrays need not pay.
 */
function packr(): Packr {
  if (packrInstance === null) {
    const msgpackr = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr');
    packrInstance = new msgpackr.Packr({ moreTypes: true, writeFunction: refuseFunction } as ConstructorParameters<typeof msgpackr.Packr>[0]);
    // msgpackr names a typed array's type by its constructor's name, so a subclass inside an
    // object packed without complaint and failed at the receiver ("Could not find typed array
    // for code 255"): send subclasses as their base class, and refuse detached arrays here.
    msgpackr.addExtension({ Class: OddTypedArray as unknown as new () => unknown, write: asBaseClass });
    // Small plain values (see plainEnough) go without records: one record definition per message
    // made a small object's pack + unpack cost 21.5k instructions, against 9.3k as a plain map.
    // Maps then decode as objects, so a value holding a Map never takes this packr.
    plainInstance = new msgpackr.Packr({
      moreTypes: true,
      useRecords: false,
      mapsAsObjects: true,
      writeFunction: refuseFunction,
    } as ConstructorParameters<typeof msgpackr.Packr>[0]);
  }
  return packrInstance;
}

function refuseFunction(): never {
  throw new EncodeError('a function cannot be sent in a message; send data (numbers, strings, arrays, objects, typed arrays) instead');
}

/** Values (scalars included) a value may hold for {@link plainEnough} to look at all of them. */
const PLAIN_BUDGET = 64;

/**
 * Whether `value` is small and made of scalars, arrays, plain objects and live typed arrays of
 * the travelling classes only (no Map, Set, Date, class instance, ...), looking at no more than
 * PLAIN_BUDGET values: such a value packs without records (PLAIN_OBJECT_ENCODING) and decodes
 * the same. Anything larger or else keeps the records packing (where records pay off, e.g.
 * arrays of many objects of one shape).
 */
function plainEnough(value: unknown): boolean {
  let budget = PLAIN_BUDGET;
  const walk = (v: unknown): boolean => {
    if (--budget < 0) return false;
    if (typeof v !== 'object' || v === null) return typeof v !== 'function' && typeof v !== 'symbol';
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (!walk(v[i])) return false;
      return true;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      return (v as ArrayBufferView).byteLength > 0 && typedArrayEncoding(v) > 0 && isTravellingClass(v.constructor);
    }
    for (const k in v) if (!walk((v as Record<string, unknown>)[k])) return false;
    return true;
  };
  return walk(value);
}

/** Matches (instanceof) the typed arrays msgpackr cannot pack as they are: subclasses, and detached ones. */
const OddTypedArray = {
  [Symbol.hasInstance](v: unknown): boolean {
    if (!ArrayBuffer.isView(v)) return false;
    return (v.byteLength === 0 && isDetached(v)) || (!isTravellingClass(v.constructor) && typedArrayEncoding(v) > 0);
  },
};

function asBaseClass(v: ArrayBufferView): unknown {
  checkAttached(v);
  const cls = TYPED_ARRAY_CLASSES[typedArrayEncoding(v)] as unknown as { new(b: ArrayBufferLike, o: number, n: number): unknown; BYTES_PER_ELEMENT: number };
  return new cls(v.buffer, v.byteOffset, v.byteLength / cls.BYTES_PER_ELEMENT);
}

/**
 * Whether a view's buffer has been detached (transferred to a worker, or by structuredClone
 * with `transfer`). Only a zero-length view can be detached, so callers test byteLength first.
 */
export function isDetached(view: ArrayBufferView): boolean {
  if (view.byteLength !== 0 || view.buffer instanceof SharedArrayBuffer) return false;
  try {
    new Uint8Array(view.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** Throws EncodeError for a typed array whose buffer was detached (it would travel as 0 bytes). */
export function checkAttached(view: ArrayBufferView): void {
  if (view.byteLength === 0 && isDetached(view)) {
    throw new EncodeError(`this ${view.constructor.name}'s buffer was detached (transferred to a worker or by structuredClone's transfer), so it holds nothing; send a live array`);
  }
}

/** An encoded message: its bytes and encoding code. */
export interface Encoded {
  bytes: Uint8Array;
  encoding: number;
}

const scratch: Encoded = { bytes: new Uint8Array(0), encoding: 0 };

/**
 * A byte view of a typed array, remembered for the array seen last at one call site: decks
 * send from and receive into the same arrays step after step, and a fresh view per message
 * costs an allocation. A Uint8Array is its own view.
 */
export class ByteViews {
  private view: ArrayBufferView | null = null;
  private bytes: Uint8Array = new Uint8Array(0);
  /** The bytes of `view` (itself when a Uint8Array). */
  of(view: ArrayBufferView): Uint8Array {
    if (view.constructor === Uint8Array) return view as Uint8Array;
    if (view === this.view && view.byteLength !== 0 && this.bytes.byteLength === view.byteLength) return this.bytes;
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    this.view = view;
    this.bytes = bytes;
    return bytes;
  }
}
const sendViews = new ByteViews();
const receiveViews = new ByteViews();

/**
 * Encodes `value`; the result object is reused by the next call, its bytes are not.
 * Throws EncodeError for values that cannot travel (functions, symbols, cycles).
 */
export function encode(value: unknown): Encoded {
  const code = typedArrayEncoding(value);
  if (code > 0) {
    if ((value as ArrayBufferView).byteLength === 0) checkAttached(value as ArrayBufferView);
    scratch.bytes = sendViews.of(value as ArrayBufferView);
    scratch.encoding = code;
    return scratch;
  }
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new EncodeError(`a ${typeof value} cannot be sent in a message; send data (numbers, strings, arrays, objects, typed arrays) instead`);
  }
  try {
    const records = packr();
    if (plainEnough(value)) {
      scratch.bytes = plainInstance!.pack(value);
      scratch.encoding = PLAIN_OBJECT_ENCODING;
      return scratch;
    }
    scratch.bytes = records.pack(value);
  } catch (e) {
    if (e instanceof EncodeError) throw e;
    const why = (e as Error).message;
    const hint = /symbol/i.test(why) ? 'symbols cannot be sent' : /call stack/i.test(why) ? 'the value seems to contain a cycle' : why;
    throw new EncodeError(`this value cannot be sent in a message (${hint}); send plain data instead`);
  }
  scratch.encoding = OBJECT_ENCODING;
  return scratch;
}

/** Decodes received bytes: a typed array of the encoded class (sharing `bytes`'s memory) or an object. */
export function decode(bytes: Uint8Array, encoding: number): unknown {
  if (encoding === OBJECT_ENCODING) return packr().unpack(bytes);
  if (encoding === PLAIN_OBJECT_ENCODING) { packr(); return plainInstance!.unpack(bytes); }
  const cls = TYPED_ARRAY_CLASSES[encoding];
  if (!cls) throw new EncodeError(`unknown message encoding ${encoding}`);
  if (cls === Buffer) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ctor = cls as unknown as { new(b: ArrayBuffer, o?: number, n?: number): ArrayBufferView; BYTES_PER_ELEMENT: number };
  const per = ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % per !== 0) throw new EncodeError(`a ${cls.name} message of ${bytes.byteLength} bytes is not a whole number of elements`);
  if (bytes.byteOffset % per === 0) return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / per);
  return new ctor(bytes.slice().buffer as ArrayBuffer);
}

/** A byte view of any typed array (for receiving into it). */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return receiveViews.of(view);
}
