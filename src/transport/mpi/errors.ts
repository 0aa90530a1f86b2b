/** Errors of the MPI transport. Both are TransportErrors, so `catch` on TransportError sees them. */
import { TransportError } from '../../errors.js';
import type { MpiLibrary } from './library.js';

/** An MPI call returned an error code; the message carries MPI_Error_string's text. */
export class MpiError extends TransportError {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

/** No usable MPI library: not installed, not the one asked for, or not loadable. */
export class MpiUnavailableError extends TransportError {}

/** MPI_Error_string of an error code. */
export function errorString(lib: MpiLibrary, code: number): string {
  const buf = new Uint8Array(lib.abi.MAX_ERROR_STRING + 1);
  const len = new Int32Array(1);
  if (lib.fn.Error_string(code, buf, len) !== 0) return `MPI error ${code}`;
  return `${Buffer.from(buf.subarray(0, Math.max(0, Math.min(len[0], buf.length)))).toString('utf8').replace(/\0.*$/s, '').trim()} (MPI error ${code})`;
}

/** Throws MpiError unless `rc` is MPI_SUCCESS. */
export function check(lib: MpiLibrary, rc: number, what: string): void {
  if (rc !== 0) throw new MpiError(`${what} failed: ${errorString(lib, rc)}`, rc);
}
