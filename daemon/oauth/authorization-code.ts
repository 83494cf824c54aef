/**
 * The front-channel half of the authorization code grant for a native app (RFC 8252): the
 * one-time secrets (PKCE verifier, `state`, `nonce`) and the authorization URL. The secrets
 * stay in the agent's memory; the URL carries only the S256 challenge (RFC 7636 §4.2).
 */
import * as oidc from 'openid-client';
import type { ProviderName } from '../../shared/config.js';
import type { TokenParams } from './oauth-engine.js';

export interface AuthorizationChecks {
  /** RFC 7636 §4.1: 43+ characters of unreserved, high-entropy text. Never leaves the agent. */
  pkceVerifier: string;
  /** RFC 6749 §10.12: binds the callback to this request (CSRF). */
  state: string;
  /** OpenID Connect Core §3.1.2.1, when `openid` is asked: binds the ID token to this request. */
  nonce?: string;
}

/** RFC 7636 §4.1 and RFC 6749 §10.12: fresh secrets for one authorization request. */
export function createAuthorizationChecks(scopes: string[] | undefined): AuthorizationChecks {
  return {
    pkceVerifier: oidc.randomPKCECodeVerifier(),
    state: oidc.randomState(),
    ...(scopes?.includes('openid') ? { nonce: oidc.randomNonce() } : {}),
  };
}

export interface AuthorizationUrlInput {
  redirectUri: string;
  params: TokenParams;
  checks: AuthorizationChecks;
  /** The profile's extra parameters (e.g. Auth0's `organization`), under ours. */
  extraParams?: Record<string, string>;
  /** The profile's provider family; absent is a generic OpenID provider. */
  provider?: ProviderName;
}

/**
 * The preset providers hand out a refresh token for `offline_access` (or, Google and
 * GitHub, without it) after the first consent; `prompt=consent` there would show the
 * consent screen at every login, and in an Entra tenant where users may not consent it
 * turns every login into "need admin approval". Only a generic provider, which OpenID
 * Connect Core §11 lets ignore `offline_access` without it, is sent `prompt=consent`.
 */
function asksConsentForOfflineAccess(provider: ProviderName | undefined): boolean {
  return provider === undefined || provider === 'generic' || provider === 'manual';
}

/**
 * RFC 6749 §4.1.1 Authorization Request with RFC 7636 §4.3 (`code_challenge`,
 * `code_challenge_method=S256`). OpenID Connect Core §11: a provider must ignore
 * `offline_access` unless `prompt=consent` is sent, so an OIDC login that asks for a
 * refresh token asks for consent too, unless the profile sets its own `prompt` or its provider
 * is a preset that does not need it (`asksConsentForOfflineAccess`).
 */
export async function buildAuthorizationUrl(config: oidc.Configuration, input: AuthorizationUrlInput): Promise<URL> {
  const { params, checks } = input;
  const out: Record<string, string> = { ...input.extraParams };
  const scopes = params.scopes ?? [];
  if (scopes.includes('offline_access') && scopes.includes('openid') && out.prompt === undefined && asksConsentForOfflineAccess(input.provider)) out.prompt = 'consent';
  Object.assign(out, {
    response_type: 'code',
    redirect_uri: input.redirectUri,
    code_challenge: await oidc.calculatePKCECodeChallenge(checks.pkceVerifier),
    code_challenge_method: 'S256',
    state: checks.state,
  });
  if (scopes.length) out.scope = scopes.join(' ');
  if (checks.nonce) out.nonce = checks.nonce;
  if (params.audience) out.audience = params.audience;
  if (params.resource) out.resource = params.resource;
  return oidc.buildAuthorizationUrl(config, out);
}
