/**
 * Bulk transfers of the MPI transport: the payloads of messages too large for their envelope,
 * as MPI messages of the typed array's own datatype on the bulk communicator (tagged with a
 * per-destination sequence number the envelope carries), in chunks of at most 1 GiB so counts
 * stay below INT_MAX. Sends are synchronous (MPI_Issend: complete once the matching receive has
 * started) except the buffered ones the receiver pulls at once.
 */
import { elementBytes } from '../encoding.js';
import { BaseRequest } from '../request.js';
import { errorString, MpiError } from './errors.js';
import type { MpiLibrary } from './library.js';
import { Block, SlotPool, type Slot } from './memory.js';

/** Largest bulk MPI message: 1 GiB. */
const CHUNK_BYTES = 1 << 30;

/** A send or receive of the MPI transport, with the MPI requests of its bulk transfer. */
export class Req extends BaseRequest {
  /** Bulk transfer: the MPI requests still outstanding. */
  mpi: Slot[] = [];
  /** Run once when the bulk transfer completes (a landed PULL's waiting receive, a buffered send's budget). */
  then: (() => void) | null = null;
}

/** The bulk transfers in flight on one communicator. */
export class BulkTransfers {
  /** Requests with bulk MPI transfers in flight. */
  readonly active: Req[] = [];
  /** Slots for MPI_Request handles (the transport's own nonblocking calls use them too). */
  readonly pool: SlotPool;
  /** Sends to ranks that finished without receiving them (kept so their buffers stay alive). */
  private readonly abandoned: Req[] = [];
  private readonly scratch: Block;

  constructor(private readonly lib: MpiLibrary, private readonly comm: number) {
    this.pool = new SlotPool(lib.addressOf);
    this.scratch = new Block(128, lib.addressOf);
  }

  /** Whether any receive (a pulled message landing, a matched large one) is still arriving. */
  receiving(): boolean {
    return this.active.some((r) => r.kind === 'recv');
  }

  /** Whether any send is still in flight. */
  sending(): boolean {
    return this.active.some((r) => r.kind === 'send');
  }

  /**
   * Starts the bulk MPI transfers of a message (zero-copy, in chunks of at most 1 GiB); sends are
   * synchronous (MPI_Issend) unless `sync` is false. Throws MpiError when MPI refuses.
   */
  start(req: Req, send: boolean, buf: Uint8Array, encoding: number, peer: number, seq: number, sync = true): void {
    const { fn, h } = this.lib;
    const per = elementBytes(encoding);
    const exact = buf.byteLength % per === 0;
    const unit = exact ? per : 1;
    const dtype = exact ? (h.DATATYPES[encoding] ?? h.BYTE) : h.BYTE;
    const chunk = Math.floor(CHUNK_BYTES / unit);
    let address = this.lib.addressOf(buf);
    let left = buf.byteLength / unit;
    while (left > 0) {
      const n = Math.min(left, chunk);
      const slot = this.pool.take();
      const rc = send
        ? (sync ? fn.Issend : fn.Isend)(address, n, dtype, peer, seq, this.comm, slot.address)
        : fn.Irecv(address, n, dtype, peer, seq, this.comm, slot.address);
      if (rc !== 0) {
        this.pool.give(slot);
        throw new MpiError(`${send ? 'MPI_Isend to' : 'MPI_Irecv from'} rank ${peer} failed: ${errorString(this.lib, rc)}`, rc);
      }
      req.mpi.push(slot);
      address += n * unit;
      left -= n;
    }
    if (req.mpi.length === 0) { req.done = true; req.then?.(); }
    else this.active.push(req);
  }

  /** Tests the transfers in flight; completes requests whose every part is done. True if any completed. Non-blocking. */
  test(): boolean {
    const active = this.active;
    const flag = this.scratch.address;
    const status = this.scratch.address + 64;
    let completed = false;
    for (let i = 0; i < active.length; i++) {
      const req = active[i];
      const parts = req.mpi;
      while (parts.length !== 0) {
        const slot = parts[0];
        const rc = this.lib.fn.Test(slot.address, flag, status);
        if (rc !== 0) {
          req.error = new MpiError(`bulk ${req.kind} ${req.kind === 'send' ? 'to' : 'from'} rank ${req.peer} failed: ${errorString(this.lib, rc)}`, rc);
          break;
        }
        if (this.scratch.i32[0] === 0) break;
        parts.shift();
        this.pool.give(slot);
      }
      if (parts.length === 0 || req.error !== null) {
        req.done = true;
        completed = true;
        active.splice(i--, 1);
        req.then?.();
      }
    }
    return completed;
  }

  /** Stops waiting for the sends to `peer`, a rank that finished its deck without receiving them (their memory stays referenced). */
  abandonSendsTo(peer: number): void {
    for (let i = 0; i < this.active.length; i++) {
      const r = this.active[i];
      if (r.kind !== 'send' || r.peer !== peer) continue;
      for (const part of r.mpi) this.lib.fn.Request_free(part.address);
      r.mpi.length = 0;
      r.done = true;
      this.abandoned.push(r);
      this.active.splice(i--, 1);
      r.then?.();
    }
  }
}
