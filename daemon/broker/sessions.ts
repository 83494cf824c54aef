/**
 * Each profile's session in memory, backed by the session store. A rotated refresh
 * token is written before anything else happens with it; if the write fails it stays
 * here (status shows `pendingWrite`) and the write is retried with backoff.
 */
import type { ProfileState } from '../../shared/api.js';
import type { ResolvedProfile } from '../../shared/config.js';
import type { Logger } from '../log.js';
import type { SessionStore, StoredSession } from '../store/session-store.js';

export interface Session {
  stored: StoredSession | null;
  state: ProfileState;
  pendingWrite: boolean;
}

const RETRY_MS = [1_000, 5_000, 15_000, 60_000];

export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private readonly retries = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: SessionStore,
    private readonly log: Logger,
  ) {}

  /** The session for a profile, read from the store once and kept in memory. */
  async load(profile: ResolvedProfile): Promise<Session> {
    let s = this.sessions.get(profile.name);
    if (!s) {
      const stored = await this.store.get(profile.name);
      s = { stored, state: stored?.refreshToken ? 'logged_in' : 'logged_out', pendingWrite: false };
      this.sessions.set(profile.name, s);
    }
    // A session minted by another issuer or client is useless for this profile.
    if (s.stored && (s.stored.issuer !== profile.issuer || s.stored.clientId !== profile.clientId)) {
      return { stored: null, state: 'logged_out', pendingWrite: false };
    }
    return s;
  }

  peek(name: string): Session | undefined {
    return this.sessions.get(name);
  }

  /** Persists a new session (login) or a rotated refresh token; throws if the store fails. */
  async save(name: string, stored: StoredSession): Promise<void> {
    this.cancelRetry(name);
    // A login happened: the session is logged in, with or without a refresh token.
    const s: Session = { stored, state: 'logged_in', pendingWrite: true };
    this.sessions.set(name, s);
    await this.store.set(name, stored);
    s.pendingWrite = false;
  }

  /** Like save, but a failed write keeps the token in memory and retries in the background. */
  async saveRotated(name: string, stored: StoredSession): Promise<void> {
    try {
      await this.save(name, stored);
    } catch (e) {
      this.log.error('could not store the rotated refresh token; keeping it in memory and retrying', { profile: name, reason: (e as Error).message });
      this.scheduleRetry(name, 0);
    }
  }

  async remove(name: string, state: ProfileState): Promise<void> {
    this.cancelRetry(name);
    this.sessions.set(name, { stored: null, state, pendingWrite: false });
    await this.store.delete(name);
  }

  /** Waits for pending writes (shutdown), so no rotated refresh token is lost. */
  async flush(): Promise<void> {
    for (const [name, s] of this.sessions) {
      if (!s.pendingWrite || !s.stored) continue;
      this.cancelRetry(name);
      try {
        await this.store.set(name, s.stored);
        s.pendingWrite = false;
      } catch (e) {
        this.log.error('a rotated refresh token could not be stored before exit', { profile: name, reason: (e as Error).message });
      }
    }
  }

  private scheduleRetry(name: string, attempt: number): void {
    const delay = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!;
    const timer = setTimeout(async () => {
      this.retries.delete(name);
      const s = this.sessions.get(name);
      if (!s?.pendingWrite || !s.stored) return;
      try {
        await this.store.set(name, s.stored);
        s.pendingWrite = false;
        this.log.info('stored the rotated refresh token after a retry', { profile: name });
      } catch {
        this.scheduleRetry(name, attempt + 1);
      }
    }, delay);
    timer.unref();
    this.retries.set(name, timer);
  }

  private cancelRetry(name: string): void {
    const t = this.retries.get(name);
    if (t) clearTimeout(t);
    this.retries.delete(name);
  }
}
