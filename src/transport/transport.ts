/**
 * The Transport interface: how bytes move between the ranks of a job. `src/comm/` speaks only
 * this interface, so the same communicator semantics run on the embedded shared-memory
 * transport and (later) on MPI.
 *
 * A transport works in world ranks and integer context ids (one per communicator); it matches
 * messages by (source, tag, context) in MPI's order: messages between one pair on one context
 * are never overtaken, and posted receives are matched in the order they were posted.
 */

/** Receive from any source. */
export const ANY_SOURCE = -1;
/** Receive with any tag. */
export const ANY_TAG = -1;
/** The null process: sends to it and receives from it complete at once and move nothing. */
export const PROC_NULL = -2;

/** Exit status of a job ended because it deadlocked (every rank blocked in a simdeck call that nothing in flight can complete), on every transport. */
export const EXIT_STATUS_DEADLOCK = 125;

/** Payload encoding code: 0 is a msgpack-encoded object; 1.. are raw typed arrays (see comm/codec). */
export type Encoding = number;

/** What a probe or a completed receive learns about a message. */
export interface Envelope {
  source: number;
  tag: number;
  bytes: number;
  encoding: Encoding;
  /** A 32-bit word the sender attached (collectives use it to check that ranks agree). */
  signature: number;
}

/** A pending send or receive. `done` turns true once; `error` is set when it failed. */
export interface TransportRequest {
  readonly kind: 'send' | 'recv';
  done: boolean;
  error: Error | null;
  /** Receives: the message's bytes (the caller's `into` buffer, or a fresh one). */
  data: Uint8Array | null;
  /** Receives: the matched message's envelope. */
  source: number;
  tag: number;
  encoding: Encoding;
  bytes: number;
  signature: number;
  /** The peer and context the request was made with, for diagnostics. */
  readonly peer: number;
  readonly context: number;
}

/**
 * The native (MPI) communicator behind a simdeck communicator, for C and Fortran code that
 * calls MPI itself. `handle` is the C `MPI_Comm`: an int in the MPICH ABI (a number), the
 * communicator's address in Open MPI (a bigint). `fortran` is its `MPI_Comm_c2f` value.
 */
export interface NativeComm {
  handle: number | bigint;
  fortran: number;
}

/** A description of what a blocked rank is doing, printed by hang diagnosis. */
export type ActivityDescriber = (request: TransportRequest | null) => string;

/**
 * One collective call as a transport's native collectives see it: its sequence number on the
 * communicator (every rank numbers its collectives alike), the signature of the call (see
 * comm/collectiveCheck; 0 when checking is off), and how to report a disagreement.
 */
export interface CollectiveCall {
  readonly tag: number;
  readonly sig: number;
  /** The error to throw when local rank `peer` is in collective `tag` with signature `sig` instead of this call. */
  mismatch(peer: number, tag: number, sig: number): Error;
  /**
   * Called now and then while a native collective waits: throws the mismatch error when
   * messages queued on the communicator's collective channel prove that another rank called a
   * different collective here (native collectives send none). Makes progress; non-blocking.
   */
  watch(): void;
  /** `barrier() on world [collective #3]`, for hang reports. */
  toString(): string;
}

/** Element-wise reduction operators a transport may run natively on typed arrays. */
export type NativeOp = 'SUM' | 'PROD' | 'MAX' | 'MIN';

/**
 * A transport's own collectives on one communicator (see Transport.collectives). Every method
 * is collective and blocking over the communicator's ranks, and waits as block() does (abort,
 * hang and deadlock diagnosis included). A method that returns false or null took no part and
 * moved nothing; it does so on every rank alike (its decision depends only on arguments the
 * ranks must agree on, or on what the ranks learn together), and comm/ then runs its message
 * algorithm under the same call. Throws the call's mismatch error when ranks disagree.
 */
export interface NativeCollectives {
  /**
   * Optional: the smallest payload (bytes reduced, or gathered in all) allreduce and allgather
   * take; smaller ones go straight to the message algorithms without asking.
   */
  readonly minBytes?: number;
  /**
   * Records that this rank entered collective `call` (any collective, native or not), so that
   * native waits can tell a rank that called something else at that point. Non-blocking.
   */
  announce(call: CollectiveCall): void;
  /**
   * Optional: called now and then while a message-based collective waits; throws the call's
   * mismatch error when the other ranks' announcements prove a disagreement. Non-blocking.
   */
  check?(call: CollectiveCall): void;
  /**
   * Optional, when the deck ends: compares the collectives this rank made last with those the
   * other ranks announced; returns a rank that called something else at the same number (with
   * that number and its signature), or null. Non-blocking.
   */
  disagreement?(): { peer: number; tag: number; sig: number } | null;
  /** Optional barrier; without it barriers go by messages (on MPI they are faster that way). */
  barrier?(call: CollectiveCall): void;
  /**
   * Allreduce of a typed array's bytes (`encoding` 1..12) with a built-in operator, combined in
   * rank order, into `recv` (may be `send`'s memory). False: not taken natively.
   */
  allreduce(call: CollectiveCall, send: Uint8Array, recv: Uint8Array, encoding: number, op: NativeOp): boolean;
  /** Allgather of equal byte blocks, in rank order into `recv` (p × send bytes). False: not taken natively. */
  allgather(call: CollectiveCall, send: Uint8Array, recv: Uint8Array): boolean;
}

/** The contract every transport fulfils. Calls block only where documented. */
export interface Transport {
  /** This process's rank in the job's world, and the world's size. */
  readonly rank: number;
  readonly size: number;
  /** A short name for `simdeck info` and diagnostics ("shm", "mpi:Open MPI 4.1.4", ...). */
  readonly name: string;
  /**
   * This process's id when every rank of the job runs on this node and may copy another's memory
   * in one step (process_vm_readv / process_vm_writev: the shared-memory transport while the
   * kernel allows it), else 0 or absent. Local; never throws.
   */
  readonly singleCopyPid?: number;

  /**
   * Starts sending `data` (bytes of an object or typed array) to world rank `dest`. Non-blocking;
   * the caller keeps `data` unchanged and referenced until the request is done.
   */
  isend(data: Uint8Array, encoding: Encoding, dest: number, tag: number, context: number, signature?: number): TransportRequest;

  /**
   * Posts a receive. `into`, when given, receives the bytes (a TruncationError completes the
   * request and leaves the message queued if it does not fit or `expect` differs). Non-blocking.
   */
  irecv(source: number, tag: number, context: number, into: Uint8Array | null, expect: Encoding): TransportRequest;

  /** Checks for a matching message without receiving it. Non-blocking; null when none yet. */
  iprobe(source: number, tag: number, context: number): Envelope | null;

  /**
   * Fast path of a blocking send: sends at once when that needs no waiting and returns true;
   * returns false (doing nothing) otherwise, and the caller takes the general path.
   */
  trySend(data: Uint8Array, encoding: Encoding, dest: number, tag: number, context: number, signature?: number): boolean;

  /**
   * Fast path of a blocking receive from one source: may spin briefly; on success returns the
   * bytes (in `into` when given) and sets `last`; returns null (consuming nothing) when the
   * general path must be taken, including every error case.
   */
  tryRecv(source: number, tag: number, context: number, into: Uint8Array | null, expect: Encoding): Uint8Array | null;

  /** The envelope of the message the last successful tryRecv returned. */
  readonly last: Envelope;

  /** Envelopes of every message on `context` that arrived and is not yet received (diagnostics). */
  queued(context: number): Envelope[];

  /** Makes progress on all pending operations without blocking. */
  progress(): void;

  /**
   * Blocks until no message this rank has sent waits at this rank for its next call (one
   * queued for lack of buffer space at its receiver). Every blocking call that may have queued
   * a message calls it before returning to the deck, so a rank that then computes for a long
   * time never holds back what others wait for. Returns at once when nothing is held.
   */
  handOver(): void;

  /**
   * Blocks until `isDone()` holds, making progress meanwhile; before returning, hands over any
   * message this rank still holds for lack of buffer space at its receiver (so nothing waits on
   * this rank's next call). `request` (or the describer) explains the wait for hang and deadlock
   * diagnosis. `isDone` must turn true only through messages (this transport's progress): a
   * rank waiting here counts as waiting for messages, so when every rank waits here with nothing
   * in flight the job is ended as deadlocked (status {@link EXIT_STATUS_DEADLOCK}). Waits for
   * anything else (a file, a child process) must not go through block().
   * `sole`: `isDone` holds exactly when `request` (a receive) completes, so this rank stays in
   * this wait until a message from the request's source arrives; a transport may tell that
   * source so (MPI: a receive hint, which lets its next buffered send skip the copy).
   * Throws JobAbortedError when the job is torn down.
   */
  block(isDone: () => boolean, request: TransportRequest | null, sole?: boolean): void;

  /** Sets a description (its toString() is used) of the current collective or compound call, for hang diagnosis. */
  setActivity(describe: { toString(): string } | null): void;

  /** Ends the job from this rank (fail-fast): every other rank stops. Does not return. */
  abort(code: number, message: string): never;

  /** Completes pending sends and releases resources; collective over the world at job end. */
  finalize(): void;

  /**
   * Optional (transports over MPI): the native communicator of the simdeck communicator with
   * this context and these world ranks (null: the whole world), created on first use —
   * collective over those ranks then. Absent on transports without a native library.
   */
  nativeComm?(context: number, worldRanks: Int32Array | null): NativeComm;

  /**
   * Optional: the transport's native collectives for the simdeck communicator with this context
   * and these world ranks (null: the whole world; `rank`: this process's rank in it), or null
   * where it has none for that communicator (comm/ then uses messages only). Called once per
   * communicator, on every member, at its first collective; collective then, and it returns null
   * on every member alike.
   */
  collectives?(context: number, worldRanks: Int32Array | null, rank: number): NativeCollectives | null;

  /**
   * Optional (transports over MPI): the library's own allreduce of a typed array (`encoding`
   * 1..12) with a built-in operator on that communicator's native communicator, from `send`
   * into `recv` (the same memory for in place). Collective and blocking; no collective-mismatch
   * signature travels. Returns false, doing nothing, when the library cannot take it (unknown
   * operator or element type, more than 2^31-1 elements). comm/ does not call it: while a rank
   * blocks inside MPI it cannot give flow-control credits back (a peer waiting for them would
   * never reach the collective), and no mismatch signature travels (docs/mpi.md has the figures).
   */
  nativeAllreduce?(context: number, worldRanks: Int32Array | null, send: Uint8Array, recv: Uint8Array,
    encoding: Encoding, op: 'SUM' | 'PROD' | 'MAX' | 'MIN'): boolean;
}
