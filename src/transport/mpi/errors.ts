/** Errors of the MPI transport. Both are TransportErrors, so `catch` on TransportError sees them. */
import { TransportError } from '../../errors.js';

/** An MPI call returned an error code; the message carries MPI_Error_string's text. */
export class MpiError extends TransportError {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

/** No usable MPI library: not installed, not the one asked for, or not loadable. */
export class MpiUnavailableError extends TransportError {}
