/**
 * Login and logout rules that are about the session as a whole, not about one token:
 * one pending login per profile (a new one cancels the older, a logout cancels it), what a
 * session without a refresh token keeps and hands out, and what status says about when a
 * session ends. The broker calls these; they decide, it does the I/O.
 */
import type { ProfileStatus, StorageBackendName } from '../../shared/api.js';
import type { ResolvedProfile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import type { TokenParams } from '../oauth/oauth-engine.js';
import type { StoredSession } from '../store/session-store.js';
import type { Session } from './sessions.js';
import type { CachedToken } from './token-cache.js';

/** Unix ms standing for "the provider gave no expiry": GitHub OAuth app tokens last until revoked. */
export const NEVER_EXPIRES_MS = Date.UTC(9999, 11, 31);
/** What clients are told about a token that does not expire: valid for at least this long (rolling). */
const NEVER_EXPIRES_REPORTED_S = 3600;

interface PendingLogin {
  cancel: AbortController;
  reason?: AuthctlError;
}

export interface LoginTicket {
  /** Aborted when the client goes away or the login is cancelled (by a newer login, by logout). */
  signal: AbortSignal;
  /** The reason this login was cancelled, if it was. */
  cancelled(): AuthctlError | undefined;
  end(): void;
}

/** At most one login waits per profile: two would race to replace each other's session. */
export class PendingLogins {
  private readonly pending = new Map<string, PendingLogin>();

  begin(profile: string, clientSignal: AbortSignal): LoginTicket {
    this.cancel(profile, new AuthctlError('cancelled', `this login was cancelled: another \`authctl login --profile ${profile}\` started, and that one continues`));
    const mine: PendingLogin = { cancel: new AbortController() };
    this.pending.set(profile, mine);
    return {
      signal: AbortSignal.any([clientSignal, mine.cancel.signal]),
      cancelled: () => mine.reason,
      end: () => {
        if (this.pending.get(profile) === mine) this.pending.delete(profile);
      },
    };
  }

  /** Cancels the profile's pending login, if any; true when there was one. */
  cancel(profile: string, reason: AuthctlError): boolean {
    const p = this.pending.get(profile);
    if (!p) return false;
    this.pending.delete(profile);
    p.reason = reason;
    p.cancel.abort();
    return true;
  }
}

export function cancelledByLogout(profile: string): AuthctlError {
  return new AuthctlError('cancelled', `this login was cancelled by \`authctl logout\` for profile "${profile}"`);
}

/**
 * A login that brought no refresh token keeps its access token as the session (like gh),
 * with its expiry; a login with one keeps only the refresh token (access tokens stay in memory).
 */
export function sessionKeepsAccessToken(stored: StoredSession, refreshToken: string | undefined, token: CachedToken): StoredSession {
  if (refreshToken) return stored;
  return {
    ...stored,
    accessToken: token.accessToken,
    tokenType: token.tokenType,
    accessTokenExpiresAt: token.expiresAt >= NEVER_EXPIRES_MS ? undefined : Math.floor(token.expiresAt / 1000),
  };
}

/**
 * The kept access token of a session without a refresh token, for a request it covers.
 * Undefined when the session has none; login_required when it has ended or cannot serve
 * the request (nothing can mint another token without a new login).
 */
export function keptAccessToken(
  p: Pick<ResolvedProfile, 'name' | 'issuer' | 'clientId'>,
  stored: StoredSession | null,
  params: TokenParams,
  nowMs: number,
): CachedToken | undefined {
  if (!stored?.accessToken) return undefined;
  const profile = p.name;
  if (stored.accessTokenExpiresAt !== undefined && stored.accessTokenExpiresAt * 1000 <= nowMs) {
    throw new AuthctlError(
      'login_required',
      `the session of profile "${profile}" ended at ${iso(stored.accessTokenExpiresAt)} (the provider gave no refresh token): run \`authctl login --profile ${profile}\``,
      { profile },
    );
  }
  const extra = (params.scopes ?? []).filter((s) => !stored.scopes.includes(s));
  const other = (params.audience && params.audience !== (stored.audience ?? undefined)) || (params.resource && params.resource !== (stored.resource ?? undefined));
  if (extra.length || other) {
    const what = extra.length ? `scope ${extra.join(' ')}` : 'another audience or resource';
    const flag = extra.length ? ` --scope "${[...stored.scopes, ...extra].join(' ')}"` : '';
    throw new AuthctlError(
      'login_required',
      `profile "${profile}" has no refresh token, so it cannot get a token for ${what}: run \`authctl login --profile ${profile}${flag}\``,
      { profile },
    );
  }
  const expiresAt = stored.accessTokenExpiresAt !== undefined ? stored.accessTokenExpiresAt * 1000 : NEVER_EXPIRES_MS;
  return {
    accessToken: stored.accessToken,
    tokenType: stored.tokenType ?? 'Bearer',
    expiresAt,
    // What the provider issued, as far as the session knows: from login to expiry.
    lifetimeMs: Math.max(0, expiresAt - stored.obtainedAt * 1000),
    scopes: stored.scopes,
    profile,
    issuer: p.issuer,
    clientId: p.clientId,
    audience: stored.audience ?? undefined,
    resource: stored.resource ?? undefined,
  };
}

/** The expiry clients see (unix ms): a token that does not expire is reported valid for another hour. */
export function reportedExpiry(expiresAtMs: number, nowMs: number): number {
  return expiresAtMs >= NEVER_EXPIRES_MS ? nowMs + NEVER_EXPIRES_REPORTED_S * 1000 : expiresAtMs;
}

export interface SessionEnd {
  /** Unix seconds when a new login will be needed, when known. */
  sessionEndsAt?: number;
  /** For people: why the session cannot renew itself, and when it ends. */
  sessionNote?: string;
}

/** What login and status say about a session without a refresh token. */
export function sessionEnd(profile: string, stored: StoredSession | null | undefined): SessionEnd {
  if (!stored) return {};
  if (stored.refreshToken) return stored.refreshExpiresAt ? { sessionEndsAt: stored.refreshExpiresAt } : {};
  if (!stored.accessToken) return {};
  if (stored.accessTokenExpiresAt === undefined) {
    return { sessionNote: 'no refresh token, and the token does not expire (like a GitHub OAuth app token): it lasts until it is revoked' };
  }
  return {
    sessionEndsAt: stored.accessTokenExpiresAt,
    sessionNote: `no refresh token (the login did not include offline_access, or the provider gives none): the session ends at ${iso(stored.accessTokenExpiresAt)}; then run \`authctl login --profile ${profile}\``,
  };
}

/** Status fields about where the session is kept and when it ends. */
export function sessionStatus(profile: string, session: Session, backend: StorageBackendName, nowMs: number): Partial<ProfileStatus> {
  const stored = session.stored;
  const out: Partial<ProfileStatus> = { ...sessionEnd(profile, stored) };
  if (stored?.refreshToken || stored?.accessToken) out.storedIn = backend;
  if (stored && !stored.refreshToken && stored.accessToken) {
    const ended = stored.accessTokenExpiresAt !== undefined && stored.accessTokenExpiresAt * 1000 <= nowMs;
    out.state = ended ? 'login_required' : 'logged_in';
  }
  return out;
}

/** Status fields for a profile whose session could not be read. */
export function unreadableSessionStatus(e: unknown): Partial<ProfileStatus> {
  const storedIn = e instanceof AuthctlError ? e.details.storedIn : undefined;
  return storedIn === 'keychain' || storedIn === 'file' ? { storedIn, storeReachable: false } : {};
}

function iso(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}
