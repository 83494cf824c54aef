/**
 * Audit events off the request path. A token answer must not wait for the audit line's
 * formatting, redaction and file write (a third of a cached answer's time in the agent,
 * measured with --cpu-prof): the event is queued with the time it happened, and the queue
 * is handed to the writer in one batch a moment later, or at once when it grows long.
 * Nothing is lost on a clean stop: the logger's close() flushes the queue first. A crash
 * (SIGKILL) can lose at most the last FLUSH_AFTER_MS of audit lines.
 */
export const FLUSH_AFTER_MS = 50;
export const FLUSH_AT_LENGTH = 256;

export type AuditWriter = (event: Record<string, unknown>, time: number) => void;

export class AuditQueue {
  private queue: Array<{ event: Record<string, unknown>; time: number }> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly write: AuditWriter,
    private readonly now: () => number = Date.now,
  ) {}

  push(event: Record<string, unknown>): void {
    this.queue.push({ event, time: this.now() });
    if (this.queue.length >= FLUSH_AT_LENGTH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  /** Writes everything queued, in order; synchronous, so close() can rely on it. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    for (const { event, time } of batch) this.write(event, time);
  }

  get pending(): number {
    return this.queue.length;
  }
}
