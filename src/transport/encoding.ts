/**
 * Payload encodings shared by every transport: 0 is a msgpack-encoded object, 1.. are raw typed
 * arrays of one element type. A transport needs them to name types in errors and (MPI) to map
 * typed arrays onto MPI datatypes.
 */

/** The typed-array classes that travel raw, indexed by encoding code (0 = object). */
export const TYPED_ARRAY_CLASSES = [
  null, Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, Buffer,
] as const;

/** Encoding code of an object message. */
export const OBJECT_ENCODING = 0;

/**
 * Encoding code of an object message packed without msgpackr records: plain objects, arrays,
 * typed arrays and scalars only (no Map, whose msgpack form it shares with objects). Decoding a
 * record definition per message cost ~2.3x the instructions of a plain map for a small object.
 */
export const PLAIN_OBJECT_ENCODING = 13;

/** Whether an encoding code is an object message (either packing). */
export function isObjectEncoding(code: number): boolean {
  return code === OBJECT_ENCODING || code === PLAIN_OBJECT_ENCODING;
}

/** Class names by encoding code, looked up on every receive that fills a Status. */
const NAMES: readonly string[] = TYPED_ARRAY_CLASSES.map((cls) => (cls ? cls.name : 'an object message'));
const BYTES: readonly number[] = TYPED_ARRAY_CLASSES.map((cls) => (cls as { BYTES_PER_ELEMENT?: number } | null)?.BYTES_PER_ELEMENT ?? 1);

/** A human name for an encoding code, for error messages. */
export function encodingName(code: number): string {
  return NAMES[code] ?? (code === PLAIN_OBJECT_ENCODING ? NAMES[0] : `encoding ${code}`);
}

/**
 * The encoding code of a typed array (Buffer counts as its own class), or -1 for other values
 * (DataView included). A subclass of a typed-array class takes its base class's code, so it
 * travels, and arrives, as the base class.
 */
export function typedArrayEncoding(value: unknown): number {
  if (typeof value !== 'object' || value === null || !ArrayBuffer.isView(value)) return -1;
  const ctor = value.constructor;
  // the class asked about last (a deck's hot loop passes the same class each time) skips the map
  if (ctor === lastClass) return lastCode;
  const code = CODES.get(ctor);
  if (code !== undefined) { lastClass = ctor; lastCode = code; return code; }
  for (let c = Object.getPrototypeOf(value); c !== null; c = Object.getPrototypeOf(c)) {
    const base = CODES.get(c.constructor);
    if (base !== undefined) return base;
  }
  return -1;
}

let lastClass: unknown = {}; // nothing's class yet
let lastCode = -1;
const CODES = new Map<unknown, number>(TYPED_ARRAY_CLASSES.map((cls, i) => [cls, i] as [unknown, number]).slice(1));

/** Whether `cls` is one of the typed-array classes that travel raw (a subclass is not). */
export function isTravellingClass(cls: unknown): boolean {
  return CODES.has(cls);
}

/** Whether a message of encoding `sent` may be received into a buffer of encoding `buffer` (Buffer and Uint8Array mix freely). */
export function compatibleEncodings(sent: number, buffer: number): boolean {
  return sent === buffer || ((sent === 2 || sent === 12) && (buffer === 2 || buffer === 12));
}

/** Bytes per element of an encoding (1 for objects). */
export function elementBytes(code: number): number {
  return BYTES[code] ?? 1;
}
