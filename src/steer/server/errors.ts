/** Errors of the steering server. */
import { SimdeckError } from '../../errors.js';

/** The steering server could not start (address in use, not allowed to bind, worker failed) or a client could not reach it. */
export class SteeringServerError extends SimdeckError {}
