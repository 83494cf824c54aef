/**
 * Tokens for federation profiles (CI): the job's identity token exchanged at the provider,
 * cached in the agent's memory like any access token, never written anywhere. No session,
 * no keychain, no refresh token. A cached token is bound to the job identity it came from
 * (see daemon/federation/types.ts), so ten calls in one job cost one exchange and the next
 * job on the same runner gets its own.
 */
import type { TokenRequest, TokenResponse } from '../../shared/api.js';
import type { ResolvedProfile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import type { Logger, Redactor } from '../log.js';
import { exchange, IdentitySources } from '../federation/index.js';
import { idpFailure, isTransient } from '../oauth/errors.js';
import { withRetries } from '../oauth/retry.js';
import type { OAuthEngine, TokenParams, TokenSet } from '../oauth/oauth-engine.js';
import { SingleFlight } from './keyed-mutex.js';
import { planTokenRequest } from './privilege.js';
import { TokenCache, type CachedToken } from './token-cache.js';

const FALLBACK_LIFETIME_S = 300;

export interface FederatedDeps {
  oauth: OAuthEngine;
  log: Logger;
  redactor: Redactor;
  cache: TokenCache;
  now: () => number;
}

export interface FederatedAnswer {
  token: CachedToken;
  outcome: 'cached' | 'exchanged';
}

export class FederatedTokens {
  private readonly sources = new IdentitySources();
  private readonly flights = new SingleFlight<CachedToken>();
  /** profile → the job identity its cached tokens belong to. */
  private readonly identity = new Map<string, string>();

  constructor(private readonly deps: FederatedDeps) {}

  /** POST /v1/token for a federation profile, audited like every token decision. */
  async answer(profile: ResolvedProfile, req: TokenRequest, params: TokenParams, minValid: number, peer: { pid?: number; exe?: string }): Promise<TokenResponse> {
    const audit = (outcome: string) =>
      this.deps.log.audit({ peerPid: peer.pid, peerExe: peer.exe, profile: profile.name, scopes: params.scopes, audience: params.audience, resource: params.resource, federation: profile.federation!.source, outcome });
    try {
      const got = await this.get(profile, req, params, minValid);
      audit(got.outcome);
      return federatedResponse(got, this.deps.now(), minValid);
    } catch (e) {
      // The first request of every call asks the CLI for the job's values: not an outcome.
      if (!(e instanceof AuthctlError && e.code === 'federation_input_required')) audit(e instanceof AuthctlError ? e.code : 'error');
      throw e;
    }
  }

  async get(profile: ResolvedProfile, req: TokenRequest, params: TokenParams, minValid: number): Promise<FederatedAnswer> {
    // The profile's privileged policy still holds: a CI job has no person to type an OTP.
    const plan = planTokenRequest({ ...params, scopes: params.scopes ?? (profile.scopes.length ? profile.scopes : undefined) }, Boolean(req.privileged), profile);
    if (plan.privileged) {
      throw new AuthctlError('usage', `${plan.privileged.reason}, and profile "${profile.name}" is a CI profile (federation): privileged tokens need a person with a one-time password`);
    }
    const exchanged = plan.params;
    const source = await this.sources.open({ profile, input: req.federation, fetch: this.deps.oauth.fetch });
    const key = `${TokenCache.key({ profile: profile.name, issuer: profile.issuer, clientId: profile.clientId, scopes: params.scopes, audience: params.audience, resource: params.resource })} job ${source.binding}`;
    const fresh = (t?: CachedToken) => t && t.expiresAt - this.deps.now() >= minValid * 1000;
    const hit = this.deps.cache.get(key);
    if (fresh(hit)) return { token: hit!, outcome: 'cached' };
    const token = await this.flights.run(key, async () => {
      const again = this.deps.cache.get(key);
      if (fresh(again)) return again!;
      this.deps.redactor.add(req.federation?.requestToken);
      const set = await this.exchange(profile, await source.token(), exchanged);
      const cached = this.toCached(profile, set, exchanged);
      if (this.identity.get(profile.name) !== source.binding) {
        // Another job's tokens (a runner that outlives jobs) are of no use to this one.
        this.deps.cache.dropProfile(profile.name);
        this.identity.set(profile.name, source.binding);
      }
      this.deps.cache.set(key, cached);
      return cached;
    });
    return { token, outcome: 'exchanged' };
  }

  private async exchange(profile: ResolvedProfile, identityToken: string, params: TokenParams): Promise<TokenSet> {
    this.deps.redactor.add(identityToken);
    try {
      // Connection errors and 5xx are retried as refreshes are; a refusal never is.
      const set = await withRetries(
        async () => exchange(profile, await this.deps.oauth.configFor(profile), identityToken, params),
        (e) => isTransient(e, profile.issuer),
      );
      this.deps.redactor.add(set.accessToken);
      this.deps.redactor.add(set.refreshToken);
      return set;
    } catch (e) {
      const failure = idpFailure(e, profile.issuer);
      this.deps.log.warn('the identity-token exchange failed', { profile: profile.name, exchange: profile.federation!.exchange, reason: failure.message });
      throw failure;
    }
  }

  private toCached(profile: ResolvedProfile, set: TokenSet, params: TokenParams): CachedToken {
    const lifetimeMs = (set.expiresIn ?? FALLBACK_LIFETIME_S) * 1000;
    return {
      accessToken: set.accessToken,
      tokenType: set.tokenType,
      expiresAt: this.deps.now() + lifetimeMs,
      lifetimeMs,
      scopes: set.scopes ?? params.scopes ?? [],
      profile: profile.name,
      issuer: profile.issuer,
      clientId: profile.clientId,
      audience: params.audience,
      resource: params.resource,
    };
  }
}

export function federatedResponse(a: FederatedAnswer, now: number, minValid: number): TokenResponse {
  const t = a.token;
  const answer: TokenResponse = { accessToken: t.accessToken, tokenType: t.tokenType, expiresAt: Math.floor(t.expiresAt / 1000), scopes: t.scopes, profile: t.profile };
  const left = Math.floor((t.expiresAt - now) / 1000);
  if (a.outcome === 'exchanged' && left < minValid) answer.warning = `the provider issued a token valid for ${left}s, less than the ${minValid}s asked for; handing it out anyway`;
  return answer;
}
