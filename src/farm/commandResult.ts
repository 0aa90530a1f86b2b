/** What an external command run by `run()` gave back. */

/** The result of an external command: exit status or signal, its output and its wall time. */
export class CommandResult {
  constructor(
    /** The command as run (program and arguments), for messages. */
    readonly command: string,
    /** The exit status; null when a signal ended it. */
    readonly code: number | null,
    /** The signal that ended it ('SIGKILL', ...); null when it exited. */
    readonly signal: string | null,
    /** Everything it wrote to stdout (UTF-8). */
    readonly stdout: string,
    /** Everything it wrote to stderr (UTF-8). */
    readonly stderr: string,
    /** Wall time from start to exit, in milliseconds. */
    readonly ms: number,
    /** True when it was stopped because its time limit passed (its process group got SIGTERM, then SIGKILL). */
    readonly timedOut: boolean,
  ) {}

  /** True when it exited with status 0 in time. */
  get ok(): boolean {
    return this.code === 0 && !this.timedOut;
  }

  /** One line: `./sim 3: exit 1 after 12 ms`. */
  toString(): string {
    const end = this.timedOut ? 'timed out' : this.signal !== null ? `killed by ${this.signal}` : `exit ${this.code}`;
    return `${this.command}: ${end} after ${Math.round(this.ms)} ms`;
  }
}
