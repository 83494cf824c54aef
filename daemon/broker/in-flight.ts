/**
 * The broker's per-profile lock (refresh, login save, logout), which also knows whether
 * any work is still running or queued: shutdown waits for it, so a refresh the provider
 * has already answered (and rotated) is finished and written, even when the client that
 * asked for it has gone away.
 */
import { KeyedMutex } from './keyed-mutex.js';

export class TrackedMutex extends KeyedMutex {
  private readonly running = new Set<Promise<unknown>>();

  override run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const p = super.run(key, fn);
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return p;
  }

  /** Resolves once nothing runs or waits, including work queued while waiting. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
