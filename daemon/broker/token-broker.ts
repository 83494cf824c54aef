/**
 * Every token decision lives here (DESIGN.md, "Token broker rules"): the in-memory
 * cache, minimum validity, one refresh at a time per profile, rotation written to the
 * store before the new token is handed out, invalid_grant → login_required, and
 * least privilege by asking for exactly the scopes requested. Nothing else calls the
 * OAuth engine. Each rule that needs more than a line has its own file beside this one:
 * privilege.ts (which request is privileged), grant.ts (what a session's grant covers),
 * refusal.ts (which provider refusals end a session), answer-scope.ts (what the provider
 * really granted), min-valid.ts (the validity wanted), token-cache.ts (the bounded cache).
 */
import { decodeJwt } from 'jose';
import type { LoginEvent, LoginRequest, LogoutResponse, ProfileDiagnostics, ProfileStatus, TokenRequest, TokenResponse } from '../../shared/api.js';
import { resolveProfileName, type EffectiveConfig, type ResolvedProfile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import type { ConfigSource } from '../config-source.js';
import type { Logger, Redactor } from '../log.js';
import { diagnoseProfile } from '../oauth/diagnostics.js';
import { idpFailure, isTransient } from '../oauth/errors.js';
import { withRetries } from '../oauth/retry.js';
import type { OAuthEngine, TokenParams, TokenSet } from '../oauth/oauth-engine.js';
import type { SessionStore, StoredSession } from '../store/session-store.js';
import { SingleFlight } from './keyed-mutex.js';
import { TrackedMutex } from './in-flight.js';
import { SessionTable } from './sessions.js';
import { cancelledByLogout, keptAccessToken, NEVER_EXPIRES_MS, PendingLogins, reportedExpiry, sessionEnd, sessionKeepsAccessToken, sessionStatus, unreadableSessionStatus } from './session-lifecycle.js';
import { TokenCache, type CachedToken } from './token-cache.js';
import { obtainLoginGrant } from '../login/login-ladder.js';
import { planTokenRequest } from './privilege.js';
import { checkGrantCovers, checkLoginRequest, checkScopesGranted, checkTokenEndpoint, grantFields, grantOf, needsWiderLogin, type SessionGrant } from './grant.js';
import { judgeRefusal, refusalOf } from './refusal.js';
import { answerScopes, checkAnswerScopes } from './answer-scope.js';
import { effectiveMinValidity, OnceWarnings, shortLifetimeWarning } from './min-valid.js';
import { uniqueInOrder } from '../../shared/scopes.js';
import type { OtpService } from '../otp/otp-service.js';
import { ANSWER_DEADLINE_MS, answerWithin, RecentRefreshFailures } from './refresh-backoff.js';
import { FederatedTokens } from './federated-token.js';
import { PrivilegedApprovals } from './privileged-approvals.js';
import { checkEnrolmentBeforeGrant, ordinaryLoginScopes, PrivilegedGrants } from './privileged-grant.js';
import { step } from '../trace.js';

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
  /** How long a transient refresh failure is remembered (tests; default FAILURE_MEMORY_MS). */
  refreshFailureMemoryMs?: number;
  /** How long the browser flow waits for its callback (default DEFAULT_BROWSER_FLOW_TIMEOUT_MS; tests shorten it). */
  browserFlowTimeoutMs?: number;
}

export class TokenBroker {
  readonly cache: TokenCache;
  readonly sessions: SessionTable;
  /** Refreshes, login saves and logouts, one at a time per profile; shutdown waits for it. */
  private readonly refreshLock = new TrackedMutex();
  private readonly logins = new PendingLogins();
  private readonly flights = new SingleFlight<CachedToken>();
  private readonly now: () => number;
  private readonly warnedOnce = new OnceWarnings();
  private readonly recentFailures: RecentRefreshFailures;
  /** Federation profiles (CI): daemon/broker/federated-token.ts. */
  private readonly federated: FederatedTokens;
  /** Privileged tokens are reused only within cacheSeconds, and only in the approving terminal session. */
  private readonly approvals = new PrivilegedApprovals();
  /** `separateGrant` profiles: the privileged sign-in, in memory only. */
  private readonly privilegedGrants: PrivilegedGrants;

  constructor(private readonly deps: BrokerDeps) {
    this.now = deps.now ?? Date.now;
    this.cache = new TokenCache(this.now);
    this.sessions = new SessionTable(deps.store, deps.log);
    this.recentFailures = new RecentRefreshFailures(deps.refreshFailureMemoryMs, this.now);
    this.federated = new FederatedTokens({ oauth: deps.oauth, log: deps.log, redactor: deps.redactor, cache: this.cache, now: () => this.now() });
    this.privilegedGrants = new PrivilegedGrants({ oauth: deps.oauth, log: deps.log, redactor: deps.redactor, otp: deps.otp, now: this.now });
  }

  /** The config as the agent holds it now (validated), for routes that resolve a profile from it. */
  config(): EffectiveConfig {
    return this.deps.config.current();
  }

  profile(requested?: string): ResolvedProfile {
    const cfg = this.deps.config.current();
    return cfg.profiles.get(resolveProfileName(cfg, requested))!;
  }

  /** POST /v1/token: a cached token with enough validity left, else exactly one refresh. */
  async getToken(req: TokenRequest, peer: Peer = {}): Promise<TokenResponse> {
    const profile = this.profile(req.profile);
    const requested: TokenParams = {
      scopes: requestedScopes(req.scopes),
      audience: req.audience ?? profile.audience,
      resource: req.resource ?? profile.resource,
    };
    if (profile.federation) {
      const minValid = req.minValidSeconds ?? profile.minValidSeconds ?? DEFAULT_MIN_VALID_SECONDS;
      return this.federated.answer(profile, req, requested, minValid, peer);
    }
    const { params, privileged } = planTokenRequest(requested, Boolean(req.privileged), profile);
    const minValid = req.minValidSeconds ?? profile.minValidSeconds ?? DEFAULT_MIN_VALID_SECONDS;
    const outcome = (o: string) =>
      this.deps.log.audit({ peerPid: peer.pid, peerExe: peer.exe, profile: profile.name, scopes: params.scopes, audience: params.audience, resource: params.resource, privileged: Boolean(privileged), outcome: o });
    if (privileged) return this.privilegedToken(req, profile, params, privileged, minValid, peer, outcome);
    const key = this.cacheKey(profile, params, 'ordinary');
    const hit = this.cache.get(key);
    if (hit && this.fresh(hit, minValid)) {
      step(() => `cache: a token for profile "${profile.name}" (${describeParams(params)}) has ${secondsLeft(hit.expiresAt, this.now())} s left, enough for ${wanted(minValid, hit)}: answered from the cache, no provider call`);
      outcome('cached');
      return this.answer(hit, minValid);
    }
    step(() =>
      hit
        ? `cache: the cached token for profile "${profile.name}" (${describeParams(params)}) has ${secondsLeft(hit.expiresAt, this.now())} s left, less than ${wanted(minValid, hit)}: refreshing`
        : `cache: no cached token for profile "${profile.name}" (${describeParams(params)}): refreshing with the stored session`,
    );
    try {
      const flight = this.flights.run(key, () =>
        this.refreshLock.run(profile.name, async () => {
          // Another request may have refreshed while this one waited for the lock.
          const again = this.cache.get(key);
          if (again && this.fresh(again, minValid)) {
            step(() => 'cache: another request refreshed it meanwhile: using that token');
            return again;
          }
          const fresh = { ...(await this.refresh(profile, params, 'ordinary')), mintedForSeconds: minValid };
          this.cache.set(key, fresh);
          return fresh;
        }),
      );
      const token = await answerWithin(flight, ANSWER_DEADLINE_MS, () => slowProvider(profile.issuer));
      outcome('refreshed');
      const answer = this.answer(token, minValid);
      const skew = this.deps.oauth.clock.warnOnce(profile.issuer);
      if (skew) answer.warning = answer.warning ? `${answer.warning}; ${skew}` : skew;
      return answer;
    } catch (e) {
      const stale = this.staleAnswer(e, key);
      if (stale) {
        step(() => 'the provider could not be reached; the cached token has not expired: handing it out with a warning');
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
  diagnose(only?: string): Promise<ProfileDiagnostics[]> {
    const names = only ? [this.profile(only).name] : this.allProfileNames();
    return Promise.all(names.map((n) => diagnoseProfile(n, this.profile(n), this.deps.oauth.fetch)));
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
    const key = this.cacheKey(profile, params, 'privileged');
    const hit = this.cache.get(key);
    if (hit && (hit.usableUntil ?? 0) > this.now() && this.approvals.reusable(key, peer.pid, this.now()) && this.fresh(hit, minValid)) {
      outcome('cached');
      return this.answer(hit, minValid);
    }
    try {
      if (!this.deps.otp) throw new AuthctlError('otp_required', `${policy.reason}, and this agent has no one-time password support`);
      // With separateGrant the privileged scopes come from the in-memory privileged sign-in:
      // without it there is nothing to mint from, so say so before asking for an OTP.
      const separate = Boolean(profile.privileged?.separateGrant);
      if (separate) this.privilegedGrants.require(profile);
      else {
        // The OTP is asked for only once the grant is known to serve the request.
        const { grant } = await this.servableSession(profile, params);
        checkScopesGranted(profile, grant, params.scopes);
      }
      const approval = { action: 'token' as const, profile: profile.name, scopes: params.scopes, audience: params.audience, resource: params.resource };
      await this.deps.otp.gate.require({ answer: req.otp, approval, reason: policy.reason, requester: peer });
      const minted = separate
        ? this.toCached(profile, await this.privilegedGrants.refresh(profile, params), params, [])
        : await this.refreshLock.run(profile.name, () => this.refresh(profile, params, 'privileged'));
      const token = { ...minted, mintedForSeconds: minValid };
      if (this.approvals.remember(key, peer.pid, policy.cacheSeconds, this.now())) this.cache.set(key, { ...token, usableUntil: this.now() + policy.cacheSeconds * 1000 });
      outcome('privileged');
      return this.answer(token, minValid);
    } catch (e) {
      outcome(e instanceof AuthctlError ? e.code : 'error');
      throw e;
    }
  }

  /** Shutdown: finishes refreshes, login saves and logouts in flight, then writes what is pending. */
  async drain(): Promise<void> {
    await this.refreshLock.idle();
    await this.sessions.flush();
  }

  /** Drops a cached token (git's `erase`: the token was rejected, so the next get refreshes). */
  invalidate(requested?: string): void {
    this.cache.dropProfile(this.profile(requested).name);
  }

  /** The profile's session, if it has a refresh token whose grant covers the request. */
  private async servableSession(profile: ResolvedProfile, params: TokenParams): Promise<{ stored: StoredSession & { refreshToken: string }; grant: SessionGrant }> {
    const session = await this.sessions.load(profile);
    const stored = session.stored;
    if (!stored?.refreshToken) {
      throw loginRequired(profile.name, session.state === 'login_required' ? 'your session expired' : 'not logged in');
    }
    const grant = grantOf(stored, profile);
    checkGrantCovers(profile, grant, params);
    return { stored: stored as StoredSession & { refreshToken: string }, grant };
  }

  /**
   * One refresh (RFC 6749 §6), with the checks around it: the grant covers the request,
   * the refresh token goes only to the endpoint that issued it, a refusal ends the session
   * only when it refuses the refresh token itself, a rotated refresh token is stored before
   * anything else, and an ordinary answer carrying a privileged scope is dropped.
   */
  private async refresh(profile: ResolvedProfile, params: TokenParams, kind: 'ordinary' | 'privileged'): Promise<CachedToken> {
    const kept = await this.keptToken(profile, params, kind);
    if (kept) return kept;
    const { stored, grant } = await this.servableSession(profile, params);
    const refreshToken = stored.refreshToken;
    const sent = refreshParams(profile, grant, params);
    this.recentFailures.throwIfRecent(profile.name);
    let tokenEndpoint: string | undefined;
    // The provider's 200 answer: a rotated refresh token is stored before openid-client
    // checks the rest of the answer, so no failing check can lose it.
    let persisted: string | undefined;
    const onAccepted = async (raw: { refresh_token?: unknown; refresh_expires_in?: unknown }) => {
      if (typeof raw.refresh_token !== 'string' || !raw.refresh_token || raw.refresh_token === stored.refreshToken) return;
      this.deps.redactor.add(raw.refresh_token);
      await this.saveRotation(profile.name, stored, raw.refresh_token, typeof raw.refresh_expires_in === 'number' ? raw.refresh_expires_in : undefined, tokenEndpoint);
      persisted = raw.refresh_token;
    };
    let set: TokenSet;
    try {
      // Network errors, timeouts, 5xx and 429 are retried a few times with jittered backoff
      // (or after the Retry-After the provider named), within a time budget; an answer
      // from the provider (invalid_grant above all) never is.
      set = await withRetries(
        async (_attempt, signal) => {
          const config = await this.deps.oauth.configFor(profile);
          tokenEndpoint = config.serverMetadata().token_endpoint;
          checkTokenEndpoint(profile, grant, tokenEndpoint);
          return this.deps.oauth.refresh(config, refreshToken, sent, { signal, onAccepted });
        },
        (e) => {
          const transient = isTransient(e, profile.issuer);
          if (transient) this.deps.log.warn('the refresh failed; retrying', { profile: profile.name, reason: idpFailure(e, profile.issuer).message });
          return transient;
        },
        undefined,
        undefined,
        (e) => idpFailure(e, profile.issuer).details.retryAfterMs as number | undefined,
      );
      this.recentFailures.clear(profile.name);
    } catch (e) {
      const refusal = refusalOf(e);
      const verdict = judgeRefusal(refusal);
      if (verdict.kind === 'session_ended') {
        this.deps.log.warn('the provider rejected the refresh token; the profile needs a new login', { profile: profile.name });
        this.cache.dropProfile(profile.name);
        await this.sessions.remove(profile.name, 'login_required').catch(() => undefined);
        throw loginRequired(profile.name, 'the session expired or was revoked');
      }
      if (verdict.kind === 'request_refused') {
        // The refresh token is fine: the session and its cached tokens stay.
        this.deps.log.warn('the provider refused one request; the session stays', { profile: profile.name, idpError: refusal?.error, suberror: refusal?.suberror });
        const detail = [refusal?.error, refusal?.suberror].filter(Boolean).join(', ');
        const asked = sent.scopes?.length ? ` (scope ${sent.scopes.join(' ')})` : '';
        throw needsWiderLogin(profile, grant, sent.scopes ?? [], `${hostOf(profile.issuer)} ${verdict.why}${asked}, answering ${detail}`);
      }
      const failure = idpFailure(e, profile.issuer);
      this.recentFailures.record(profile.name, failure);
      throw failure;
    }
    this.remember(set);
    const rotated = set.refreshToken && set.refreshToken !== stored.refreshToken && set.refreshToken !== persisted;
    if (rotated || (stored.tokenEndpoint === undefined && tokenEndpoint && !persisted)) {
      // Rotation: the new refresh token is persisted before the access token leaves. A
      // session stored before its token endpoint was recorded is bound to it now.
      await this.saveRotation(profile.name, stored, set.refreshToken ?? stored.refreshToken, set.refreshExpiresIn, tokenEndpoint);
    }
    const token = this.toCached(profile, set, params, grant.scopes);
    if (kind === 'ordinary') this.checkOrdinaryAnswer(profile, sent, set, token);
    return token;
  }

  private saveRotation(name: string, stored: StoredSession, refreshToken: string, refreshExpiresIn: number | undefined, tokenEndpoint: string | undefined): Promise<void> {
    const refreshExpiresAt = refreshExpiresIn ? Math.floor(this.now() / 1000) + refreshExpiresIn : stored.refreshExpiresAt;
    return this.sessions.saveRotated(name, { ...stored, refreshToken, refreshExpiresAt, tokenEndpoint: stored.tokenEndpoint ?? tokenEndpoint ?? null });
  }

  /**
   * A session without a refresh token is its kept access token, while it lasts and covers the
   * request (session-lifecycle.ts). One carrying a privileged scope serves privileged requests only.
   */
  private async keptToken(profile: ResolvedProfile, params: TokenParams, kind: 'ordinary' | 'privileged'): Promise<CachedToken | undefined> {
    const { stored } = await this.sessions.load(profile);
    if (stored?.refreshToken) return undefined;
    const kept = keptAccessToken(profile, stored, params, this.now());
    if (!kept || kind === 'privileged') return kept;
    const privileged = checkAnswerScopes(answerScopes(kept.scopes, kept.accessToken), undefined, profile.privileged?.scopes ?? []).privileged;
    if (privileged.length) {
      throw new AuthctlError(
        'login_required',
        `profile "${profile.name}" has no refresh token, and its one token carries ${privileged.map((x) => `"${x}"`).join(', ')}, which policy marks privileged: it is handed out only to privileged requests (--privileged); for ordinary ones, log in without those scopes under another profile`,
        { profile: profile.name },
      );
    }
    return kept;
  }

  /**
   * RFC 6749 §3.3: the provider may issue another scope than asked. A privileged scope in
   * an ordinary answer means the token is dropped here (after its rotated refresh token was
   * stored); a broader answer is noted on the token, and said once when handed out.
   */
  private checkOrdinaryAnswer(profile: ResolvedProfile, sent: TokenParams, set: TokenSet, token: CachedToken): void {
    const got = answerScopes(set.scopes, set.accessToken);
    const { privileged, broader } = checkAnswerScopes(got, sent.scopes, profile.privileged?.scopes ?? []);
    if (privileged.length) {
      this.deps.log.warn('the provider ignored the requested scope and issued privileged scopes; the token was dropped', { profile: profile.name, asked: sent.scopes, privileged });
      const list = privileged.map((s) => `"${s}"`).join(', ');
      throw new AuthctlError(
        'idp_error',
        `${hostOf(profile.issuer)} ignored the requested scope (${sent.scopes?.join(' ') ?? 'none'}) and issued a token that also carries ${list}, which policy marks privileged (RFC 6749 §3.3 lets a provider do so); the agent dropped it: configure the provider to honour the scope of a refresh, or ask with --privileged`,
        { profile: profile.name, privilegedScopes: privileged },
      );
    }
    if (broader.length) token.broader = broader;
  }

  /**
   * POST /v1/login: the browser flow or the device flow (shared/login-flow.ts chooses),
   * reported as events; closing the stream aborts it, and so do a newer login for the
   * profile and a logout. The session it replaces is revoked.
   */
  async login(req: LoginRequest, emit: (e: LoginEvent) => void, signal: AbortSignal, via: { viaForwarding?: boolean } = {}): Promise<void> {
    const profile = this.preflightLogin(req);
    if (req.privileged) return this.privilegedGrants.login(profile, emit, signal);
    const ticket = this.logins.begin(profile.name, signal);
    try {
      await this.interactiveLogin(profile, req, emit, ticket.signal, ticket.cancelled, via.viaForwarding ?? false);
    } catch (e) {
      throw ticket.cancelled() ?? e;
    } finally {
      ticket.end();
    }
  }

  private async interactiveLogin(
    profile: ResolvedProfile,
    req: LoginRequest,
    emit: (e: LoginEvent) => void,
    signal: AbortSignal,
    cancelled: () => AuthctlError | undefined,
    viaForwarding: boolean,
  ): Promise<void> {
    const params: TokenParams = {
      scopes: ordinaryLoginScopes(profile, req.scopes?.length ? uniqueInOrder(req.scopes) : undefined),
      audience: req.audience ?? profile.audience,
      resource: profile.resource,
    };
    await checkEnrolmentBeforeGrant(profile, params.scopes, this.deps.otp);
    // Said once per login, on success (where the token went); `"storage": "file"` is the acknowledgement that silences it.
    const storageWarning = this.deps.config.current().storage === 'file' ? undefined : this.deps.store.warning;
    const { set, config } = await obtainLoginGrant(
      { oauth: this.deps.oauth, redactor: this.deps.redactor, now: this.now, browserFlowTimeoutMs: this.deps.browserFlowTimeoutMs },
      { profile, params, req, viaForwarding, announce: {} },
      emit,
      signal,
    );
    this.remember(set);
    const subject = set.subject ?? subjectOf(set.accessToken);
    // It counts as minted for the profile's minimum validity: a refresh right after the login would not get a longer one.
    const token: CachedToken = {
      ...this.toCached(profile, set, params, set.scopes ?? params.scopes ?? [], set.refreshToken ? 'assume-an-hour' : 'never'),
      mintedForSeconds: profile.minValidSeconds ?? DEFAULT_MIN_VALID_SECONDS,
    };
    const stored = sessionKeepsAccessToken(
      {
        v: 1,
        ...grantFields(profile, params, config.serverMetadata().token_endpoint, set.scopes),
        refreshToken: set.refreshToken,
        subject,
        obtainedAt: Math.floor(this.now() / 1000),
        refreshExpiresAt: set.refreshExpiresIn ? Math.floor(this.now() / 1000) + set.refreshExpiresIn : undefined,
      },
      set.refreshToken,
      token,
    );
    const newCredential = set.refreshToken ?? set.accessToken;
    let replaced: string | undefined;
    try {
      await this.refreshLock.run(profile.name, async () => {
        // Checked under the lock: a logout or a newer login that got here first wins.
        const why = cancelled();
        if (why) throw why;
        const previous = await this.sessions.load(profile).catch(() => undefined);
        replaced = previous?.stored?.refreshToken ?? previous?.stored?.accessToken;
        this.cache.dropProfile(profile.name);
        try {
          await this.sessions.save(profile.name, stored);
        } catch (e) {
          await this.sessions.remove(profile.name, 'logged_out').catch(() => undefined);
          throw e;
        }
        // The login's own token serves ordinary requests only if it carries no privileged scope.
        const privileged = checkAnswerScopes(answerScopes(set.scopes, set.accessToken), undefined, profile.privileged?.scopes ?? []).privileged;
        const defaultScopes = req.scopes?.length ? params.scopes : undefined;
        if (!privileged.length) this.cache.set(this.cacheKey(profile, { ...params, scopes: defaultScopes }, 'ordinary'), token);
      });
    } catch (e) {
      // The new session is dropped (cancelled, or not storable): revoke it rather than leave it live.
      await this.revokeQuietly(profile, newCredential, 'the dropped login');
      throw e;
    }
    if (replaced && replaced !== newCredential) await this.revokeQuietly(profile, replaced, 'the session this login replaces');
    const end = sessionEnd(profile.name, stored);
    this.deps.log.info('logged in', { profile: profile.name, subject, refreshToken: Boolean(set.refreshToken), storage: this.deps.store.backend });
    this.recentFailures.clear(profile.name);
    const warning = this.deps.oauth.clock.warnOnce(profile.issuer);
    emit({
      event: 'success',
      profile: profile.name,
      subject,
      storage: this.deps.store.backend,
      refreshToken: Boolean(set.refreshToken),
      ...end,
      ...(storageWarning ? { storageWarning } : {}),
      ...(warning ? { warning } : {}),
    });
  }

  /** Checks a login request before its stream starts, so a refusal comes with a status code. */
  preflightLogin(req: LoginRequest): ResolvedProfile {
    const profile = this.profile(req.profile);
    if (profile.federation) throw new AuthctlError('usage', `profile "${profile.name}" is a CI profile (federation): it needs no login; \`authctl token --profile ${profile.name}\` in the CI job exchanges the job's identity token`);
    checkLoginRequest(profile, req);
    return profile;
  }

  /** RFC 7009 revocation where the provider offers it; a failure is logged, never fatal. */
  private async revokeQuietly(profile: ResolvedProfile, token: string, what: string): Promise<void> {
    try {
      await this.deps.oauth.revoke(await this.deps.oauth.configFor(profile), token);
    } catch (e) {
      this.deps.log.warn(`could not revoke ${what} at the provider`, { profile: profile.name, reason: (e as Error).message });
    }
  }

  /**
   * POST /v1/logout: cancel a pending login, revoke (RFC 7009), then delete locally whatever
   * the provider said. One profile failing (e.g. its keychain is out of reach) does not stop
   * the others; each is reported. A session stored under a profile name the config no
   * longer has (or minted for the profile's old issuer or client id) is revoked at the
   * issuer it came from: no refresh token is left live because its profile changed.
   */
  async logout(names: string[]): Promise<LogoutResponse> {
    const out: LogoutResponse = { profiles: [] };
    for (const name of names) {
      const entry = { profile: name, revoked: false, deleted: false } as LogoutResponse['profiles'][number];
      if (this.logins.cancel(name, cancelledByLogout(name))) entry.cancelledLogin = true;
      try {
        const configured = this.deps.config.current().profiles.get(name);
        const profile = configured ?? (await this.orphanProfile(name));
        if (!configured) entry.orphaned = true;
        await this.refreshLock.run(name, async () => {
          const session = await this.sessions.load(profile);
          // What the store holds, even when it was minted for another issuer or client.
          const stored = this.sessions.peek(name)?.stored ?? session.stored;
          // Without a refresh token, the kept access token is the session.
          const credential = stored?.refreshToken ?? stored?.accessToken;
          if (credential) {
            const issuedBy = stored!.issuer === profile.issuer && stored!.clientId === profile.clientId ? profile : standInProfile(name, stored!);
            try {
              await this.deps.oauth.revoke(await this.deps.oauth.configFor(issuedBy), credential);
              entry.revoked = true;
            } catch (e) {
              entry.revokeError = (e as Error).message;
            }
          }
          this.cache.dropProfile(name);
          if (configured) await this.privilegedGrants.drop(profile);
          await this.sessions.remove(name, 'logged_out');
          entry.deleted = true;
        });
        this.deps.log.info('logged out', { profile: name, revoked: entry.revoked, ...(entry.orphaned ? { orphaned: true } : {}) });
      } catch (e) {
        const err = e instanceof AuthctlError ? e : new AuthctlError('internal', (e as Error).message);
        entry.error = err.message;
        entry.errorCode = err.code;
        this.deps.log.warn('could not log out', { profile: name, reason: err.message });
      }
      out.profiles.push(entry);
    }
    return out;
  }

  /**
   * The profile `logout` means: a configured one, or a name the config no longer has but a
   * session is stored under. Anything else is unknown_profile (404), before any work.
   */
  async logoutTarget(requested?: string): Promise<string> {
    if (!requested || this.deps.config.current().profiles.has(requested)) return this.profile(requested).name;
    if (await this.deps.store.get(requested).catch(() => null)) return requested;
    return this.profile(requested).name; // throws: unknown, or invalid (named with its problem)
  }

  /** `logout --all`: every configured profile, and every stored session whose profile is gone. */
  async allSessionNames(): Promise<string[]> {
    const configured = this.allProfileNames();
    const stored = (await this.deps.store.list?.().catch(() => [])) ?? [];
    return [...new Set([...configured, ...stored])];
  }

  /** A stored session whose profile is no longer configured, as a profile of the issuer it came from. */
  private async orphanProfile(name: string): Promise<ResolvedProfile> {
    const stored = await this.deps.store.get(name);
    if (!stored) throw new AuthctlError('unknown_profile', `no profile named "${name}", and no session stored under that name`);
    return standInProfile(name, stored);
  }

  /** Profiles the config names but that are invalid: left out, each with its problem. */
  brokenProfiles(): Array<{ name: string; error: string }> {
    return [...(this.deps.config.current().brokenProfiles ?? [])].map(([name, error]) => ({ name, error }));
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
      cachedTokens: this.cache.describe(profile.name, profile.issuer, profile.clientId),
      ...(profile.federation ? { federation: true } : {}),
    };
    try {
      // The session decides the state; cached tokens left over (from a session of another
      // issuer, or one that ended) say nothing about it.
      const s = await this.sessions.load(profile);
      return {
        ...base,
        state: s.state,
        subject: s.stored?.subject,
        hasRefreshToken: Boolean(s.stored?.refreshToken),
        pendingWrite: s.pendingWrite || undefined,
        refreshTokenExpiresAt: s.stored?.refreshExpiresAt,
        clockWarning: this.deps.oauth.clock.warningFor(profile.issuer),
        ...sessionStatus(profile.name, s, this.deps.store.backend, this.now()),
        privilegedSessionExpiresAt: ((ms) => (ms ? Math.floor(ms / 1000) : undefined))(this.privilegedGrants.expiresAt(profile)),
      };
    } catch (e) {
      return { ...base, error: (e as Error).message, ...unreadableSessionStatus(e) };
    }
  }

  private cacheKey(profile: ResolvedProfile, params: TokenParams, kind: 'ordinary' | 'privileged'): string {
    return TokenCache.key({ profile: profile.name, issuer: profile.issuer, clientId: profile.clientId, scopes: params.scopes, audience: params.audience, resource: params.resource }, kind);
  }

  /** Enough validity left: minValidSeconds, capped at half the lifetime the provider issues (min-valid.ts). */
  private fresh(t: CachedToken, minValid: number): boolean {
    return t.expiresAt - this.now() >= effectiveMinValidity(minValid, t.lifetimeMs, t.mintedForSeconds).seconds * 1000;
  }

  /**
   * The answer, with the warnings not given yet (each is said once): a token handed out
   * with less validity than asked for (the provider issues shorter ones), and a provider
   * that granted more than asked.
   */
  private answer(t: CachedToken, minValid?: number): TokenResponse {
    const out: TokenResponse = { accessToken: t.accessToken, tokenType: t.tokenType, expiresAt: Math.floor(reportedExpiry(t.expiresAt, this.now()) / 1000), scopes: t.scopes, profile: t.profile };
    const warnings: string[] = [];
    const short = minValid !== undefined && t.expiresAt - this.now() < minValid * 1000;
    if (short && this.warnedOnce.first(`min-valid ${t.profile} ${minValid} ${Math.round(t.lifetimeMs / 1000)}`)) warnings.push(shortLifetimeWarning(minValid, t.lifetimeMs));
    if (t.broader?.length && this.warnedOnce.first(`broader ${t.profile} ${t.broader.join(' ')}`)) {
      warnings.push(`the provider issued more than asked for (also ${t.broader.map((s) => `"${s}"`).join(', ')}; RFC 6749 §3.3 lets it); handing the token out`);
    }
    for (const w of warnings) this.deps.log.warn(w, { profile: t.profile });
    if (warnings.length) out.warning = warnings.join('; ');
    return out;
  }

  private remember(set: TokenSet): void {
    this.deps.redactor.add(set.accessToken);
    this.deps.redactor.add(set.refreshToken);
    if (set.validationProblem) this.deps.log.warn("the provider's answer failed a check the agent does not need; using it as sent", { reason: set.validationProblem });
  }

  /**
   * Expiry from expires_in relative to the response, not the local clock against `exp`.
   * With neither: assume an hour when a refresh token can renew it, else the token does not
   * expire (GitHub OAuth apps, whose tokens last until revoked).
   */
  private toCached(profile: ResolvedProfile, set: TokenSet, params: TokenParams, granted: string[], noExpiry: 'assume-an-hour' | 'never' = 'assume-an-hour'): CachedToken {
    let lifetime = set.expiresIn;
    if (lifetime === undefined) {
      const exp = expOf(set.accessToken);
      lifetime = exp ? exp - Math.floor(this.now() / 1000) : noExpiry === 'never' ? undefined : FALLBACK_LIFETIME_S;
    }
    return {
      accessToken: set.accessToken,
      tokenType: set.tokenType,
      expiresAt: lifetime === undefined ? NEVER_EXPIRES_MS : this.now() + lifetime * 1000,
      lifetimeMs: lifetime === undefined ? NEVER_EXPIRES_MS - this.now() : lifetime * 1000,
      scopes: set.scopes ?? params.scopes ?? granted,
      profile: profile.name,
      issuer: profile.issuer,
      clientId: profile.clientId,
      audience: params.audience,
      resource: params.resource,
    };
  }
}

/** A refresh still running at the answer deadline: the provider is slow, not the agent. */
function slowProvider(issuer: string): AuthctlError {
  return new AuthctlError('idp_unavailable', `${new URL(issuer).host} has not answered within ${ANSWER_DEADLINE_MS / 1000}s; the agent keeps trying in the background: try again shortly`);
}

export function loginRequired(profile: string, why: string): AuthctlError {
  return new AuthctlError('login_required', `${why} for profile "${profile}": run \`authctl login --profile ${profile}\``, { profile });
}

/**
 * The request's scopes as they go on the wire: already split and checked by the API
 * (routes/validate.ts), in the order given, duplicates dropped. Only the cache key sorts.
 */
function requestedScopes(scopes?: string[]): string[] | undefined {
  return scopes?.length ? uniqueInOrder(scopes) : undefined;
}

/**
 * What a refresh asks for. Entra ID needs `scope` on a v2 refresh (and picks the resource
 * from the first scope), so a request that names none sends the login's scopes, in the
 * order login gave them; other providers use the grant when no scope is sent (RFC 6749 §6).
 */
function refreshParams(profile: ResolvedProfile, grant: SessionGrant, params: TokenParams): TokenParams {
  if (params.scopes?.length || profile.provider !== 'entra' || !grant.requestedScopes.length) return params;
  return { ...params, scopes: grant.requestedScopes };
}

/** Enough of a profile to reach the issuer a stored session came from (discovery, revocation). */
function standInProfile(name: string, stored: StoredSession): ResolvedProfile {
  return { name, source: 'user', issuer: stored.issuer, clientId: stored.clientId, scopes: [] };
}

/** For a trace step: what a cached token is for (scopes, audience, resource), never the token. */
function describeParams(p: TokenParams): string {
  return [p.scopes?.length ? `scopes ${p.scopes.join(' ')}` : 'the login scopes', p.audience && `audience ${p.audience}`, p.resource && `resource ${p.resource}`].filter(Boolean).join(', ');
}

/** The validity a cached token must have left, as min-valid.ts reckons it, in words. */
function wanted(minValid: number, t: CachedToken): string {
  const need = effectiveMinValidity(minValid, t.lifetimeMs, t.mintedForSeconds).seconds;
  return need < minValid ? `the ${need} s wanted (min-valid ${minValid} s, capped: the provider issues ${Math.round(t.lifetimeMs / 1000)} s tokens)` : `min-valid ${minValid} s`;
}

function secondsLeft(expiresAtMs: number, now: number): number {
  return Math.max(0, Math.floor((expiresAtMs - now) / 1000));
}

function hostOf(issuer: string): string {
  return URL.parse(issuer)?.host ?? issuer;
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
