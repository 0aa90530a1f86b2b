/**
 * A SteeringLink in the deck's own process, fed by the deck: commands are queued with `send()`
 * (from a hook, at a chosen step) or by an `onWait` script while the loop is paused. It runs
 * exactly the loop's side of steering (validation, sequence numbers, same-step application,
 * log, replies) without a server, so a deck can steer itself from a script, and tests can check
 * the loop's semantics. Replies, statuses and announced schemas are kept for inspection.
 */
import type { ParamDescription, SteerCommand, SteerReply, SteerRequest, SteerStatus, SteeringLink } from './link.js';

/** Options of {@link ScriptedLink}. */
export interface ScriptedLinkOptions {
  /**
   * Called when the paused loop waits for commands and none is queued: send the next ones here.
   * Without it (or if it sends nothing) the wait sleeps for its timeout.
   */
  onWait?: (link: ScriptedLink) => void;
}

/** An in-process steering link driven by the deck (see the module comment). */
export class ScriptedLink implements SteeringLink {
  readonly url = 'scripted:';
  private queue: SteerRequest[] = [];
  private nextId = 1;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));
  /** Every reply the loop sent, in order. */
  readonly replies: SteerReply[] = [];
  /** The latest status published (latest-wins, as a server keeps it). */
  status: SteerStatus | null = null;
  /** How many statuses were published. */
  statusCount = 0;
  /** The schema last announced. */
  announced: ParamDescription[] = [];
  /** How many times the paused loop waited. */
  waits = 0;
  closed = false;

  constructor(private readonly options: ScriptedLinkOptions = {}) {}

  /** Queues a command as if a client had sent it; returns its request id. Non-blocking. */
  send(command: SteerCommand, source = 'script'): number {
    const id = this.nextId++;
    this.queue.push({ id, source, command });
    return id;
  }

  /** The reply to request `id`, once the loop has answered it. */
  replyTo(id: number): SteerReply | undefined {
    return this.replies.find((r) => r.id === id);
  }

  poll(): SteerRequest[] {
    if (this.queue.length === 0) return [];
    const q = this.queue;
    this.queue = [];
    return q;
  }

  waitForCommands(timeoutMs: number): SteerRequest[] {
    this.waits++;
    if (this.queue.length === 0) this.options.onWait?.(this);
    if (this.queue.length === 0 && timeoutMs > 0) Atomics.wait(this.sleeper, 0, 0, timeoutMs);
    return this.poll();
  }

  publishStatus(status: SteerStatus): void {
    this.status = status;
    this.statusCount++;
  }

  reply(reply: SteerReply): void {
    this.replies.push(reply);
  }

  announce(params: ParamDescription[]): void {
    this.announced = params;
  }

  close(): void {
    this.closed = true;
  }
}
