/**
 * The job's world: created once per process from what the launcher said (or, for a deck run
 * with plain `node`, a world of one rank), with the transport chosen for it.
 */
import { Comm, contextName } from '../comm/comm.js';
import { SimdeckError } from '../errors.js';
import { ShmTransport } from '../transport/shm/shmTransport.js';
import { Abort, attachSegment, createSegment, H, newSegmentName, unlinkSegment } from '../transport/shm/segment.js';
import type { Transport } from '../transport/transport.js';
import { EXIT_ABORTED, EXIT_HANG, takeJobEnvironment, type JobConfig } from './jobEnv.js';
import { attachKernelTraceSlot } from './kernelTrace.js';

let job: JobConfig | null | undefined;
let worldComm: Comm | null = null;
let appComm: Comm | null = null;

/** Rank start-up: records the job read from the environment before the deck is imported. */
export function setJob(config: JobConfig | null): void {
  job = config;
}

/** The job this process belongs to (null when run standalone). */
export function currentJob(): JobConfig | null {
  if (job === undefined) job = takeJobEnvironment();
  return job;
}

function onAbort(rank: number) {
  return (code: number, describe: () => string): never => {
    if (code === Abort.HANG) {
      process.stderr.write(`[rank ${rank}] hang: blocked in ${describe()}\n`);
      process.exit(EXIT_HANG);
    }
    process.exit(EXIT_ABORTED);
  };
}

function createTransport(config: JobConfig | null): Transport & { kernelSlot?: () => Uint8Array } {
  if (config === null) {
    // A deck run with plain `node`: a private one-rank segment, unlinked at once.
    const name = newSegmentName();
    const seg = createSegment(name, { size: 1, ringBytes: 4096, spin: false, cma: false });
    unlinkSegment(name);
    return new ShmTransport(seg, 0, { contextName });
  }
  const seg = attachSegment(config.segment);
  const transport = new ShmTransport(seg, config.rank, { contextName, onAbort: onAbort(config.rank) });
  Atomics.add(seg.i32, H.ATTACHED, 1);
  return transport;
}

/** The world communicator of this process (created on first use). Throws SimdeckError when the job's segment is gone. */
export function getWorld(): Comm {
  if (worldComm !== null) return worldComm;
  const config = currentJob();
  let transport;
  try {
    transport = createTransport(config);
  } catch (e) {
    throw new SimdeckError(`cannot join the job: ${(e as Error).message}`);
  }
  if (transport.kernelSlot) attachKernelTraceSlot(transport.kernelSlot());
  worldComm = new Comm(transport, 0, null, 'world');
  return worldComm;
}

/**
 * The communicator of this rank's own app in an MPMD job (`simdeck run -n 2 a.ts : -n 1 b.ts`);
 * the world itself for a single deck.
 */
export function getApp(): Comm {
  if (appComm !== null) return appComm;
  const world = getWorld();
  const ranks = currentJob()?.appRanks ?? [];
  appComm = ranks.length === 0 || ranks.length === world.size
    ? world
    : new Comm(world.transport, 2, Int32Array.from(ranks), `app${currentJob()!.appIndex}`);
  return appComm;
}

/** The index of this rank's deck in an MPMD job (0 for a single deck). */
export function getAppIndex(): number {
  return currentJob()?.appIndex ?? 0;
}
