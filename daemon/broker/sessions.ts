/**
 * Each profile's session in memory, backed by the session store. A rotated refresh
 * token is written before anything else happens with it; if the write fails it stays
 * here (status shows `pendingWrite`) and the write is retried with backoff.
 *
 * Every write and delete of one profile goes through one queue, in the order the changes
 * were made, and each change bumps the profile's generation: a background retry runs in
 * that queue and writes only if its generation is still the latest. So an older write
 * (a retry of a failed rotation) never lands after a newer one (a login or a logout).
 */
import type { ProfileState } from '../../shared/api.js';
import type { ResolvedProfile } from '../../shared/config.js';
import type { Logger } from '../log.js';
import type { SessionStore, StoredSession } from '../store/session-store.js';
import { KeyedMutex } from './keyed-mutex.js';

export interface Session {
  stored: StoredSession | null;
  state: ProfileState;
  pendingWrite: boolean;
}

const RETRY_MS = [1_000, 5_000, 15_000, 60_000];

export interface SessionTableOptions {
  /** Backoff between background retries of a failed write (tests shorten it). */
  retryDelaysMs?: number[];
}

/** A stored session that can still answer: a refresh token, or an access token kept because there is none. */
export function hasCredential(stored: StoredSession | null | undefined): boolean {
  return Boolean(stored?.refreshToken || stored?.accessToken);
}

export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private readonly writes = new KeyedMutex();
  private readonly generations = new Map<string, number>();
  private readonly retryDelays: number[];

  constructor(
    private readonly store: SessionStore,
    private readonly log: Logger,
    opts: SessionTableOptions = {},
  ) {
    this.retryDelays = opts.retryDelaysMs?.length ? opts.retryDelaysMs : RETRY_MS;
  }

  /** The session for a profile, read from the store once and kept in memory. */
  async load(profile: ResolvedProfile): Promise<Session> {
    let s = this.sessions.get(profile.name);
    if (!s) {
      const stored = await this.store.get(profile.name);
      // A change made while the store was being read wins over what was read.
      s = this.sessions.get(profile.name) ?? { stored, state: hasCredential(stored) ? 'logged_in' : 'logged_out', pendingWrite: false };
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
  async save(name: string, session: StoredSession): Promise<void> {
    const generation = this.change(name);
    // Wall-clock ms: compared across agents (keychain and file copies), never for expiry.
    const stored: StoredSession = { ...session, savedAt: Date.now() };
    // A login happened: the session is logged in, with or without a refresh token.
    const s: Session = { stored, state: 'logged_in', pendingWrite: true };
    this.sessions.set(name, s);
    await this.writes.run(name, async () => {
      // A later change is queued behind this one and writes its own state.
      if (this.generations.get(name) !== generation) return;
      await this.store.set(name, stored);
      s.pendingWrite = false;
    });
  }

  /** Like save, but a failed write keeps the token in memory and retries in the background. */
  async saveRotated(name: string, stored: StoredSession): Promise<void> {
    try {
      await this.save(name, stored);
    } catch (e) {
      this.log.error('could not store the rotated refresh token; keeping it in memory and retrying', { profile: name, reason: (e as Error).message });
      this.scheduleRetry(name, this.generations.get(name)!, 0);
    }
  }

  async remove(name: string, state: ProfileState): Promise<void> {
    const generation = this.change(name);
    this.sessions.set(name, { stored: null, state, pendingWrite: false });
    await this.writes.run(name, async () => {
      if (this.generations.get(name) !== generation) return;
      await this.store.delete(name);
    });
  }

  /** Waits for queued writes and writes what is still pending (shutdown), so no rotated refresh token is lost. */
  async flush(): Promise<void> {
    await Promise.all(
      [...this.sessions.keys()].map((name) =>
        this.writes.run(name, async () => {
          const s = this.sessions.get(name);
          if (!s?.pendingWrite || !s.stored) return;
          this.cancelRetry(name);
          try {
            await this.store.set(name, s.stored);
            s.pendingWrite = false;
          } catch (e) {
            this.log.error('a rotated refresh token could not be stored before exit', { profile: name, reason: (e as Error).message });
          }
        }),
      ),
    );
  }

  /** A new change for a profile: older retries give way to it. */
  private change(name: string): number {
    this.cancelRetry(name);
    const generation = (this.generations.get(name) ?? 0) + 1;
    this.generations.set(name, generation);
    return generation;
  }

  private scheduleRetry(name: string, generation: number, attempt: number): void {
    const delay = this.retryDelays[Math.min(attempt, this.retryDelays.length - 1)]!;
    const timer = setTimeout(() => {
      this.retries.delete(name);
      void this.writes.run(name, async () => {
        const s = this.sessions.get(name);
        if (this.generations.get(name) !== generation || !s?.pendingWrite || !s.stored) return;
        try {
          await this.store.set(name, s.stored);
          s.pendingWrite = false;
          this.log.info('stored the rotated refresh token after a retry', { profile: name });
        } catch {
          if (this.generations.get(name) === generation) this.scheduleRetry(name, generation, attempt + 1);
        }
      });
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
