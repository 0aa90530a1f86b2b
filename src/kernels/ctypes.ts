/**
 * The element types kernels exchange with JavaScript: for each, its koffi type, its size, the
 * typed-array classes that carry it and how a plain JS value is checked against it.
 */

/** Names of the scalar element types simdeck passes to kernels. */
export type ScalarName =
  | 'int8' | 'uint8' | 'char'
  | 'int16' | 'uint16'
  | 'int32' | 'uint32'
  | 'int64' | 'uint64'
  | 'float32' | 'float64'
  | 'bool';

/** Any typed-array constructor simdeck knows. */
export type TypedArrayConstructor =
  | Int8ArrayConstructor | Uint8ArrayConstructor | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor
  | Int32ArrayConstructor | Uint32ArrayConstructor
  | BigInt64ArrayConstructor | BigUint64ArrayConstructor
  | Float32ArrayConstructor | Float64ArrayConstructor;

/** Any typed array. */
export type AnyTypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/** Facts about one element type. */
export interface ScalarInfo {
  readonly name: ScalarName;
  /** koffi's name for the type. */
  readonly koffi: string;
  readonly size: number;
  /** Typed arrays accepted for a pointer to this type; the first is the one simdeck creates. */
  readonly arrays: readonly TypedArrayConstructor[];
  /** How to say it in an error message. */
  readonly c: string;
}

const table: Record<ScalarName, ScalarInfo> = {
  int8: { name: 'int8', koffi: 'int8_t', size: 1, arrays: [Int8Array], c: 'int8_t' },
  uint8: { name: 'uint8', koffi: 'uint8_t', size: 1, arrays: [Uint8Array, Uint8ClampedArray], c: 'uint8_t' },
  char: { name: 'char', koffi: 'char', size: 1, arrays: [Uint8Array, Int8Array, Uint8ClampedArray], c: 'char' },
  int16: { name: 'int16', koffi: 'int16_t', size: 2, arrays: [Int16Array], c: 'int16_t' },
  uint16: { name: 'uint16', koffi: 'uint16_t', size: 2, arrays: [Uint16Array], c: 'uint16_t' },
  int32: { name: 'int32', koffi: 'int32_t', size: 4, arrays: [Int32Array], c: 'int32_t' },
  uint32: { name: 'uint32', koffi: 'uint32_t', size: 4, arrays: [Uint32Array], c: 'uint32_t' },
  int64: { name: 'int64', koffi: 'int64_t', size: 8, arrays: [BigInt64Array], c: 'int64_t' },
  uint64: { name: 'uint64', koffi: 'uint64_t', size: 8, arrays: [BigUint64Array], c: 'uint64_t' },
  float32: { name: 'float32', koffi: 'float', size: 4, arrays: [Float32Array], c: 'float' },
  float64: { name: 'float64', koffi: 'double', size: 8, arrays: [Float64Array], c: 'double' },
  bool: { name: 'bool', koffi: 'bool', size: 1, arrays: [Uint8Array], c: 'bool' },
};

/** Facts about `name`. Never throws for a valid {@link ScalarName}. */
export function scalarInfo(name: ScalarName): ScalarInfo {
  return table[name];
}

/** True if `name` is a {@link ScalarName}. */
export function isScalarName(name: string): name is ScalarName {
  return Object.prototype.hasOwnProperty.call(table, name);
}

/**
 * C and koffi spellings of scalar types (after qualifiers are removed), mapped to simdeck's names.
 * `long` is 64-bit: simdeck targets LP64 Linux.
 */
const cNames: Record<string, ScalarName> = {
  'char': 'char', 'signed char': 'int8', 'unsigned char': 'uint8',
  'short': 'int16', 'short int': 'int16', 'signed short': 'int16', 'unsigned short': 'uint16', 'unsigned short int': 'uint16',
  'int': 'int32', 'signed': 'int32', 'signed int': 'int32', 'unsigned': 'uint32', 'unsigned int': 'uint32',
  'long': 'int64', 'long int': 'int64', 'signed long': 'int64', 'unsigned long': 'uint64', 'unsigned long int': 'uint64',
  'long long': 'int64', 'long long int': 'int64', 'unsigned long long': 'uint64', 'unsigned long long int': 'uint64',
  'float': 'float32', 'double': 'float64',
  'bool': 'bool', '_Bool': 'bool',
  'int8_t': 'int8', 'uint8_t': 'uint8', 'int16_t': 'int16', 'uint16_t': 'uint16',
  'int32_t': 'int32', 'uint32_t': 'uint32', 'int64_t': 'int64', 'uint64_t': 'uint64',
  'size_t': 'uint64', 'ssize_t': 'int64', 'ptrdiff_t': 'int64', 'intptr_t': 'int64', 'uintptr_t': 'uint64',
  // koffi's own names
  'int8': 'int8', 'uint8': 'uint8', 'int16': 'int16', 'uint16': 'uint16', 'int32': 'int32', 'uint32': 'uint32',
  'int64': 'int64', 'uint64': 'uint64', 'float32': 'float32', 'float64': 'float64',
  'uchar': 'uint8', 'ushort': 'uint16', 'uint': 'uint32', 'ulong': 'uint64', 'longlong': 'int64', 'ulonglong': 'uint64',
  'intptr': 'int64', 'uintptr': 'uint64',
};

/** The simdeck type of a C (or koffi) type name such as `unsigned int` or `int32_t`; null if unknown. */
export function scalarFromC(name: string): ScalarName | null {
  return cNames[name.replace(/\s+/g, ' ').trim()] ?? null;
}

/** True if values of this type are integers (bool excluded). */
export function isIntegerType(name: ScalarName): boolean {
  return name !== 'float32' && name !== 'float64' && name !== 'bool';
}
