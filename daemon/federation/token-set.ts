/** The parameters and the answer both exchanges share. */
import * as oidc from 'openid-client';
import { isLoopbackHost } from '../../shared/config.js';
import { jwtLifetime, type TokenParams, type TokenSet } from '../oauth/oauth-engine.js';

export function exchangeParams(p: TokenParams): Record<string, string> {
  const out: Record<string, string> = {};
  if (p.scopes?.length) out.scope = p.scopes.join(' ');
  if (p.audience) out.audience = p.audience;
  if (p.resource) out.resource = p.resource;
  return out;
}

export function toTokenSet(res: oidc.TokenEndpointResponse): TokenSet {
  const type = (res.token_type ?? 'bearer').toLowerCase();
  return {
    accessToken: res.access_token,
    tokenType: type === 'bearer' ? 'Bearer' : type === 'dpop' ? 'DPoP' : res.token_type,
    expiresIn: typeof res.expires_in === 'number' ? res.expires_in : jwtLifetime(res.access_token),
    scopes: typeof res.scope === 'string' ? res.scope.split(' ').filter(Boolean) : undefined,
  };
}

/** A copy of the profile's client configuration that authenticates with `auth` instead. */
export function withClientAuth(base: oidc.Configuration, auth: oidc.ClientAuth): oidc.Configuration {
  const server = base.serverMetadata();
  const config = new oidc.Configuration(server, base.clientMetadata().client_id, undefined, auth);
  const fetch = base[oidc.customFetch];
  if (fetch) config[oidc.customFetch] = fetch;
  config.timeout = base.timeout;
  const endpoint = new URL(server.token_endpoint ?? server.issuer);
  if (endpoint.protocol === 'http:' && isLoopbackHost(endpoint.hostname)) oidc.allowInsecureRequests(config);
  return config;
}
