/**
 * Where a profile's long-lived session (the refresh token and what we know about it)
 * is kept across agent restarts. Access tokens never come here: they live in memory.
 */
import type { StorageBackendName } from '../../shared/api.js';

export interface StoredSession {
  v: 1;
  issuer: string;
  clientId: string;
  refreshToken?: string;
  subject?: string;
  /** Scopes the provider granted at login. */
  scopes: string[];
  /**
   * The grant the refresh token covers (daemon/broker/grant.ts), written explicitly: null
   * means "none" (JSON would silently drop an undefined). Absent only in sessions stored
   * before the grant was recorded, which are read with the profile's values.
   */
  /** The audience and resource asked for at login: all the refresh token can mint for. */
  audience?: string | null;
  resource?: string | null;
  /** The token endpoint that issued the refresh token, the only one it is ever sent to. */
  tokenEndpoint?: string | null;
  /** The scopes login asked for, in the order given (an Entra refresh sends them again). */
  requestedScopes?: string[];
  obtainedAt: number;
  refreshExpiresAt?: number;
  /**
   * Only for a login that brought no refresh token (no offline_access, a GitHub OAuth app):
   * the access token is then the whole session, so it is kept like one, with its expiry
   * (unix seconds; absent when the provider gave none: such a token lasts until revoked).
   */
  accessToken?: string;
  tokenType?: string;
  accessTokenExpiresAt?: number;
  /** Unix ms of the last write, so two copies (keychain and file) can be told apart. */
  savedAt?: number;
}

export interface SessionStore {
  readonly backend: StorageBackendName;
  /** A warning people must see (e.g. "refresh tokens are in a file"), if any. */
  readonly warning?: string;
  get(profile: string): Promise<StoredSession | null>;
  set(profile: string, session: StoredSession): Promise<void>;
  delete(profile: string): Promise<void>;
  /** The profile names with a stored session, where the store can tell (`logout --all` reaches them all). */
  list?(): Promise<string[]>;
}

export function parseStoredSession(text: string | null): StoredSession | null {
  if (!text) return null;
  try {
    const s = JSON.parse(text);
    if (s && s.v === 1 && typeof s.issuer === 'string' && typeof s.clientId === 'string') return s as StoredSession;
  } catch {
    // A corrupted entry is treated as no session: the user logs in again.
  }
  return null;
}
