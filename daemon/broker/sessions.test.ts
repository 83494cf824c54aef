import { describe, expect, it } from 'vitest';
import { createLogger, Redactor } from '../log.js';
import type { SessionStore, StoredSession } from '../store/session-store.js';
import { SessionTable } from './sessions.js';

const log = createLogger({ kind: 'silent' }, new Redactor());
const session = (refreshToken: string): StoredSession => ({ v: 1, issuer: 'https://idp.example', clientId: 'c', refreshToken, scopes: [], obtainedAt: 0 });

/**
 * A keychain stand-in whose calls complete when the test says: the first write fails (the
 * rotation's), and later ones can be held, so a background retry can be caught in flight.
 */
class GatedStore implements SessionStore {
  readonly backend = 'keychain' as const;
  value: StoredSession | null = null;
  failNext = false;
  holdNext = false;
  held?: () => void;
  heldStarted?: () => void;
  readonly started = new Promise<void>((r) => (this.heldStarted = r));

  async get(): Promise<StoredSession | null> {
    return this.value;
  }
  async set(_p: string, s: StoredSession): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('keychain unavailable');
    }
    if (this.holdNext) {
      this.holdNext = false;
      // Like a D-Bus call that lands late: the value is taken now, written on release.
      await new Promise<void>((r) => {
        this.held = r;
        this.heldStarted!();
      });
    }
    this.value = s;
  }
  async delete(): Promise<void> {
    this.value = null;
  }
}

describe('SessionTable: writes of one profile land in the order they were made', () => {
  for (const next of ['login', 'logout'] as const) {
    it(`a background retry of a failed rotation write, in flight during a ${next}, never lands after it`, async () => {
      const store = new GatedStore();
      const table = new SessionTable(store, log, { retryDelaysMs: [0] });
      store.failNext = true;
      store.holdNext = true;
      await table.saveRotated('work', session('rotated-old'));
      expect(table.peek('work')?.pendingWrite).toBe(true);
      await store.started; // the retry's write is on its way to the keychain

      const change = next === 'login' ? table.save('work', session('new-login')) : table.remove('work', 'logged_out');
      await new Promise((r) => setTimeout(r, 10));
      store.held!();
      await change;
      await table.flush();
      expect(store.value?.refreshToken ?? null).toBe(next === 'login' ? 'new-login' : null);
      expect(table.peek('work')?.pendingWrite).toBe(false);
    });
  }

  it('a retry that has not started yet gives way to a newer change', async () => {
    const store = new GatedStore();
    const table = new SessionTable(store, log, { retryDelaysMs: [20] });
    store.failNext = true;
    await table.saveRotated('work', session('rotated-old'));
    await table.remove('work', 'logged_out');
    await new Promise((r) => setTimeout(r, 60));
    expect(store.value).toBe(null);
  });
});
