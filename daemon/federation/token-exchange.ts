/**
 * Exchange `token-exchange`: RFC 8693 with the CI identity token as the subject token
 * (Keycloak, Google STS, Okta, Auth0 custom token exchange). The client is the profile's
 * (public unless the provider preset gives it a secret).
 */
import * as oidc from 'openid-client';
import type { TokenParams, TokenSet } from '../oauth/oauth-engine.js';
import { exchangeParams, toTokenSet } from './token-set.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * RFC 8693 §2.1: Token Exchange Request (subject_token_type jwt, requested_token_type
 * access_token, with the profile's scope, audience and resource), §2.2.1 the response.
 * Errors go back unmapped; the caller names the provider in them.
 */
export async function exchangeIdentityToken(config: oidc.Configuration, subjectToken: string, params: TokenParams): Promise<TokenSet> {
  const res = await oidc.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, {
    subject_token: subjectToken,
    subject_token_type: JWT_TOKEN_TYPE,
    requested_token_type: ACCESS_TOKEN_TYPE,
    ...exchangeParams(params),
  });
  return toTokenSet(res);
}
