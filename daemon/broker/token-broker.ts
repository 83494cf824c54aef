/**
 * Every token decision lives here (DESIGN.md, "Token broker rules"): the in-memory
 * cache, minimum validity, one refresh at a time per profile, rotation written to the
 * store before the new token is handed out, invalid_grant → login_required, and
 * least privilege by asking for exactly the scopes requested. Nothing else calls the
 * OAuth engine.
 */
import { decodeJwt } from 'jose';
import type { LoginEvent, LoginRequest, LogoutResponse, ProfileDiagnostics, ProfileStatus, TokenRequest, TokenResponse } from '../../shared/api.js';
import { resolveProfileName, type ResolvedProfile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import type { ConfigSource } from '../config-source.js';
import type { Logger, Redactor } from '../log.js';
import { diagnoseProfile } from '../oauth/diagnostics.js';
import { idpFailure, isInvalidGrant, isTransient } from '../oauth/errors.js';
import { withRetries } from '../oauth/retry.js';
import type { OAuthEngine, TokenParams, TokenSet } from '../oauth/oauth-engine.js';
import type { SessionStore, StoredSession } from '../store/session-store.js';
import { KeyedMutex, SingleFlight } from './keyed-mutex.js';
import { SessionTable } from './sessions.js';
import { TokenCache, type CachedToken } from './token-cache.js';
import { loginPollObserver } from './login-observer.js';
import { planTokenRequest } from './privilege.js';
import { checkGrantCovers } from './grant.js';
import type { OtpService } from '../otp/otp-service.js';

export const DEFAULT_MIN_VALID_SECONDS = 60;
/** When a provider gives neither expires_in nor a JWT exp, assume an hour. */
const FALLBACK_LIFETIME_S = 3600;

export interface Peer {
  uid?: number;
  pid?: number;
  exe?: string;
}

export interface BrokerDeps {
  config: ConfigSource;
  store: SessionStore;
  oauth: OAuthEngine;
  log: Logger;
  redactor: Redactor;
  now?: () => number;
  /** The OTP gate for privileged requests; without it they fail closed. */
  otp?: OtpService;
}

export class TokenBroker {
  readonly cache = new TokenCache();
  readonly sessions: SessionTable;
  private readonly refreshLock = new KeyedMutex();
  private readonly flights = new SingleFlight<CachedToken>();
  private readonly now: () => number;
  /** Privileged tokens are cached only within their policy's cacheSeconds: key → unix ms. */
  private readonly privilegedUntil = new Map<string, number>();

  constructor(private readonly deps: BrokerDeps) {
    this.now = deps.now ?? Date.now;
    this.sessions = new SessionTable(deps.store, deps.log);
  }

  profile(requested?: string): ResolvedProfile {
    const cfg = this.deps.config.current();
    return cfg.profiles.get(resolveProfileName(cfg, requested))!;
  }

  /** POST /v1/token: a cached token with enough validity left, else exactly one refresh. */
  async getToken(req: TokenRequest, peer: Peer = {}): Promise<TokenResponse> {
    const profile = this.profile(req.profile);
    const requested: TokenParams = {
      scopes: normaliseScopes(req.scopes),
      audience: req.audience ?? profile.audience,
      resource: req.resource ?? profile.resource,
    };
    const { params, privileged } = planTokenRequest(requested, Boolean(req.privileged), profile);
    const minValid = req.minValidSeconds ?? profile.minValidSeconds ?? DEFAULT_MIN_VALID_SECONDS;
    const outcome = (o: string) =>
      this.deps.log.audit({ peerPid: peer.pid, peerExe: peer.exe, profile: profile.name, scopes: params.scopes, audience: params.audience, resource: params.resource, privileged: Boolean(privileged), outcome: o });
    if (privileged) return this.privilegedToken(req, profile, params, privileged, minValid, peer, outcome);
    const key = TokenCache.key(profile.name, params.scopes, params.audience, params.resource);
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt - this.now() >= minValid * 1000) {
      outcome('cached');
      return this.answer(hit);
    }
    try {
      const token = await this.flights.run(key, () =>
        this.refreshLock.run(profile.name, async () => {
          // Another request may have refreshed while this one waited for the lock.
          const again = this.cache.get(key);
          if (again && again.expiresAt - this.now() >= minValid * 1000) return again;
          const fresh = await this.refresh(profile, params);
          this.cache.set(key, fresh);
          return fresh;
        }),
      );
      outcome('refreshed');
      const answer = this.answer(token);
      const left = Math.floor((token.expiresAt - this.now()) / 1000);
      if (left < minValid) {
        answer.warning = `the provider issued a token valid for ${left}s, less than the ${minValid}s asked for; handing it out anyway`;
      }
      return answer;
    } catch (e) {
      const stale = this.staleAnswer(e, key);
      if (stale) {
        outcome('stale');
        return stale;
      }
      outcome(e instanceof AuthctlError ? e.code : 'error');
      throw e;
    }
  }

  /**
   * While the provider is down (or answers garbage), a cached token that has not expired
   * is handed out with a warning rather than failing, even below minValidSeconds: the
   * same rule as a provider issuing short-lived tokens. Never after login_required: a
   * revoked session hands out nothing.
   */
  private staleAnswer(e: unknown, key: string): TokenResponse | undefined {
    if (!(e instanceof AuthctlError) || (e.code !== 'idp_unavailable' && e.code !== 'idp_error')) return undefined;
    const cached = this.cache.get(key);
    const left = cached ? Math.floor((cached.expiresAt - this.now()) / 1000) : 0;
    if (!cached || left < 1) return undefined;
    this.deps.log.warn('the refresh failed; handing out the cached token while it lasts', { profile: cached.profile, reason: e.message, secondsLeft: left });
    return { ...this.answer(cached), warning: `${e.message}; handing out the cached token, valid for ${left}s more` };
  }

  /** GET /v1/diagnostics (`authctl doctor`): reachability and clock skew, over the agent's own transport. */
  diagnose(): Promise<ProfileDiagnostics[]> {
    return Promise.all(this.allProfileNames().map((n) => diagnoseProfile(n, this.profile(n), this.deps.oauth.fetch)));
  }

  get otp(): OtpService | undefined {
    return this.deps.otp;
  }

  /**
   * A privileged request: a right answer to an OTP challenge first, then a token minted
   * for this request alone (a refresh narrowed to its scopes), cached only while the
   * policy's cacheSeconds last.
   */
  private async privilegedToken(
    req: TokenRequest,
    profile: ResolvedProfile,
    params: TokenParams,
    policy: { reason: string; cacheSeconds: number },
    minValid: number,
    peer: Peer,
    outcome: (o: string) => void,
  ): Promise<TokenResponse> {
    const key = `privileged ${TokenCache.key(profile.name, params.scopes, params.audience, params.resource)}`;
    const hit = this.cache.get(key);
    if (hit && (this.privilegedUntil.get(key) ?? 0) > this.now() && hit.expiresAt - this.now() >= minValid * 1000) {
      outcome('cached');
      return this.answer(hit);
    }
    try {
      if (!this.deps.otp) throw new AuthctlError('otp_required', `${policy.reason}, and this agent has no one-time password support`);
      const approval = { action: 'token' as const, profile: profile.name, scopes: params.scopes, audience: params.audience, resource: params.resource };
      await this.deps.otp.gate.require({ answer: req.otp, approval, reason: policy.reason, requester: peer });
      const token = await this.refreshLock.run(profile.name, () => this.refresh(profile, params));
      if (policy.cacheSeconds > 0) {
        this.cache.set(key, token);
        this.privilegedUntil.set(key, this.now() + policy.cacheSeconds * 1000);
      }
      outcome('privileged');
      return this.answer(token);
    } catch (e) {
      outcome(e instanceof AuthctlError ? e.code : 'error');
      throw e;
    }
  }

  /** Drops a cached token (git's `erase`: the token was rejected, so the next get refreshes). */
  invalidate(requested?: string): void {
    this.cache.dropProfile(this.profile(requested).name);
  }

  private async refresh(profile: ResolvedProfile, params: TokenParams): Promise<CachedToken> {
    const session = await this.sessions.load(profile);
    const stored = session.stored;
    if (!stored?.refreshToken) {
      throw loginRequired(profile.name, session.state === 'login_required' ? 'your session expired' : 'not logged in');
    }
    checkGrantCovers(profile, stored, params);
    const refreshToken = stored.refreshToken;
    let set: TokenSet;
    try {
      // Network errors, timeouts and 5xx are retried a few times with jittered backoff;
      // an answer from the provider (invalid_grant above all) never is.
      set = await withRetries(
        async () => this.deps.oauth.refresh(await this.deps.oauth.configFor(profile), refreshToken, params),
        (e) => {
          const transient = isTransient(e, profile.issuer);
          if (transient) this.deps.log.warn('the refresh failed; retrying', { profile: profile.name, reason: idpFailure(e, profile.issuer).message });
          return transient;
        },
      );
    } catch (e) {
      if (isInvalidGrant(e)) {
        this.deps.log.warn('the provider rejected the refresh token; the profile needs a new login', { profile: profile.name });
        this.cache.dropProfile(profile.name);
        await this.sessions.remove(profile.name, 'login_required').catch(() => undefined);
        throw loginRequired(profile.name, 'the session expired or was revoked');
      }
      throw idpFailure(e, profile.issuer);
    }
    this.remember(set);
    if (set.refreshToken && set.refreshToken !== stored.refreshToken) {
      // Rotation: the new refresh token is persisted before the access token leaves.
      await this.sessions.saveRotated(profile.name, {
        ...stored,
        refreshToken: set.refreshToken,
        refreshExpiresAt: set.refreshExpiresIn ? Math.floor(this.now() / 1000) + set.refreshExpiresIn : stored.refreshExpiresAt,
      });
    }
    return this.toCached(profile.name, set, params, stored.scopes);
  }

  /** POST /v1/login: the device flow, reported as events; closing the stream aborts it. */
  async login(req: LoginRequest, emit: (e: LoginEvent) => void, signal: AbortSignal): Promise<void> {
    const profile = this.profile(req.profile);
    const params: TokenParams = {
      scopes: req.scopes?.length ? normaliseScopes(req.scopes) : profile.scopes,
      audience: req.audience ?? profile.audience,
      resource: profile.resource,
    };
    const storageWarning = this.deps.store.warning;
    const observer = loginPollObserver(this.deps.oauth, (interval) => emit({ event: 'waiting', interval }));
    const config = await this.deps.oauth.configFor(profile, observer.fetch);
    const device = await this.deps.oauth.startDeviceAuthorization(config, { ...params, extraParams: profile.extraParams });
    this.deps.redactor.add(device.deviceCode);
    observer.start(device.interval);
    emit({
      event: 'verification',
      profile: profile.name,
      issuer: profile.issuer,
      userCode: device.userCode,
      verificationUri: device.verificationUri,
      verificationUriComplete: device.verificationUriComplete,
      expiresAt: Math.floor(this.now() / 1000) + device.expiresIn,
      ...(storageWarning ? { storageWarning } : {}),
    });
    emit({ event: 'waiting', interval: device.interval });
    const set = await this.deps.oauth.pollDeviceToken(config, device, signal, params);
    this.remember(set);
    const subject = set.subject ?? subjectOf(set.accessToken);
    const stored: StoredSession = {
      v: 1,
      issuer: profile.issuer,
      clientId: profile.clientId,
      refreshToken: set.refreshToken,
      subject,
      scopes: set.scopes ?? params.scopes ?? [],
      audience: params.audience,
      resource: params.resource,
      obtainedAt: Math.floor(this.now() / 1000),
      refreshExpiresAt: set.refreshExpiresIn ? Math.floor(this.now() / 1000) + set.refreshExpiresIn : undefined,
    };
    await this.refreshLock.run(profile.name, async () => {
      this.cache.dropProfile(profile.name);
      try {
        await this.sessions.save(profile.name, stored);
      } catch (e) {
        await this.sessions.remove(profile.name, 'logged_out').catch(() => undefined);
        throw e;
      }
      const defaultScopes = req.scopes?.length ? params.scopes : undefined;
      this.cache.set(TokenCache.key(profile.name, defaultScopes, params.audience, params.resource), this.toCached(profile.name, set, params, stored.scopes));
    });
    this.deps.log.info('logged in', { profile: profile.name, subject, refreshToken: Boolean(set.refreshToken), storage: this.deps.store.backend });
    emit({ event: 'success', profile: profile.name, subject, storage: this.deps.store.backend, ...(storageWarning ? { storageWarning } : {}) });
  }

  /** POST /v1/logout: revoke (RFC 7009), then delete locally whatever the provider said. */
  async logout(names: string[]): Promise<LogoutResponse> {
    const out: LogoutResponse = { profiles: [] };
    for (const name of names) {
      const profile = this.profile(name);
      const entry = { profile: name, revoked: false, deleted: false } as LogoutResponse['profiles'][number];
      await this.refreshLock.run(name, async () => {
        const session = await this.sessions.load(profile);
        const rt = session.stored?.refreshToken;
        if (rt) {
          try {
            await this.deps.oauth.revoke(await this.deps.oauth.configFor(profile), rt);
            entry.revoked = true;
          } catch (e) {
            entry.revokeError = (e as Error).message;
          }
        }
        this.cache.dropProfile(name);
        await this.sessions.remove(name, 'logged_out');
        entry.deleted = true;
      });
      this.deps.log.info('logged out', { profile: name, revoked: entry.revoked });
      out.profiles.push(entry);
    }
    return out;
  }

  allProfileNames(): string[] {
    return [...this.deps.config.current().profiles.keys()];
  }

  async profileStatus(profile: ResolvedProfile): Promise<ProfileStatus> {
    const base: ProfileStatus = {
      name: profile.name,
      issuer: profile.issuer,
      clientId: profile.clientId,
      source: profile.source,
      state: 'unknown',
      hasRefreshToken: false,
      cachedTokens: this.cache.describe(profile.name),
    };
    try {
      const s = await this.sessions.load(profile);
      return {
        ...base,
        state: s.stored?.refreshToken ? 'logged_in' : base.cachedTokens.length ? 'logged_in' : s.state,
        subject: s.stored?.subject,
        hasRefreshToken: Boolean(s.stored?.refreshToken),
        pendingWrite: s.pendingWrite || undefined,
        refreshTokenExpiresAt: s.stored?.refreshExpiresAt,
      };
    } catch (e) {
      return { ...base, error: (e as Error).message };
    }
  }

  private answer(t: CachedToken): TokenResponse {
    return { accessToken: t.accessToken, tokenType: t.tokenType, expiresAt: Math.floor(t.expiresAt / 1000), scopes: t.scopes, profile: t.profile };
  }

  private remember(set: TokenSet): void {
    this.deps.redactor.add(set.accessToken);
    this.deps.redactor.add(set.refreshToken);
  }

  /** Expiry from expires_in relative to the response, not the local clock against `exp`. */
  private toCached(profile: string, set: TokenSet, params: TokenParams, granted: string[]): CachedToken {
    let lifetime = set.expiresIn;
    if (lifetime === undefined) {
      const exp = expOf(set.accessToken);
      lifetime = exp ? exp - Math.floor(this.now() / 1000) : FALLBACK_LIFETIME_S;
    }
    return {
      accessToken: set.accessToken,
      tokenType: set.tokenType,
      expiresAt: this.now() + lifetime * 1000,
      scopes: set.scopes ?? params.scopes ?? granted,
      profile,
      audience: params.audience,
      resource: params.resource,
    };
  }
}

export function loginRequired(profile: string, why: string): AuthctlError {
  return new AuthctlError('login_required', `${why} for profile "${profile}": run \`authctl login --profile ${profile}\``, { profile });
}

function normaliseScopes(scopes?: string[]): string[] | undefined {
  if (!scopes?.length) return undefined;
  const out = [...new Set(scopes.flatMap((s) => s.split(' ')).filter(Boolean))].sort();
  return out.length ? out : undefined;
}

function subjectOf(token: string): string | undefined {
  try {
    return decodeJwt(token).sub;
  } catch {
    return undefined;
  }
}

function expOf(token: string): number | undefined {
  try {
    return decodeJwt(token).exp;
  } catch {
    return undefined;
  }
}
