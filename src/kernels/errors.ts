/**
 * Typed errors of the kernel layer. Every one names what failed (library, kernel, parameter,
 * variable) and says what to change. All inherit from {@link SimdeckError}; argument errors also
 * from {@link ArgumentError}, so `catch (e) { if (e instanceof ArgumentError) ... }` catches them.
 */
import { ArgumentError, SimdeckError } from '../errors.js';

/** A shared library could not be opened (missing file, wrong architecture, unresolved symbols). */
export class KernelLoadError extends SimdeckError {
  constructor(message: string, readonly library: string) {
    super(message);
  }
}

/** Compiling or linking kernel sources failed; `output` holds the compiler's own message. */
export class KernelBuildError extends SimdeckError {
  constructor(message: string, readonly output: string = '') {
    super(message);
  }
}

/** A declared kernel, module variable or global is not exported by the library. */
export class KernelSymbolError extends SimdeckError {
  constructor(message: string, readonly symbol: string, readonly library: string) {
    super(message);
  }
}

/**
 * A declaration cannot be used: a prototype that does not parse, an unsupported parameter type,
 * a length expression naming an unknown parameter, or a call to a kernel that was skipped when its
 * binding was read from source (the message carries the reason it was skipped).
 */
export class KernelDeclarationError extends SimdeckError {
  constructor(message: string, readonly kernel: string) {
    super(message);
  }
}

/** Why a kernel call was refused before entering native code. */
export type KernelArgumentProblem = 'count' | 'type' | 'length' | 'size' | 'detached' | 'range';

/**
 * A kernel was called with wrong arguments: wrong count, wrong type (a plain Array where a typed
 * array is declared, a typed array of another element type, a non-integer size), an array too
 * short for its declared length, a NaN or negative size, or a detached buffer. Thrown before the
 * native code runs, so nothing was modified.
 */
export class KernelArgumentError extends ArgumentError {
  constructor(
    message: string,
    /** The kernel's name as exposed to JavaScript. */
    readonly kernel: string,
    /** The parameter's declared name ('' for a count mismatch). */
    readonly parameter: string,
    /** Zero-based position of the argument (-1 for a count mismatch). */
    readonly index: number,
    readonly problem: KernelArgumentProblem,
  ) {
    super(message);
  }
}

/** Module data or a C global cannot be viewed or written (unallocated, wrong type, too long). */
export class KernelDataError extends SimdeckError {
  constructor(message: string, readonly variable: string) {
    super(message);
  }
}
