/**
 * Exchange `client-assertion`: the client authenticates with the CI identity token as its
 * assertion and asks for its own token with client_credentials (Entra ID and Okta workload
 * identity federation). openid-client's PrivateKeyJwt signs an assertion itself; here the
 * assertion is one somebody else signed, so the client authentication is this file's.
 */
import * as oidc from 'openid-client';
import type { TokenParams, TokenSet } from '../oauth/oauth-engine.js';
import { exchangeParams, toTokenSet, withClientAuth } from './token-set.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** RFC 7523 §2.2: Using JWTs for Client Authentication (client_id, client_assertion_type, client_assertion). */
export function ciTokenAssertion(assertion: string): oidc.ClientAuth {
  return (_as, client, body) => {
    body.set('client_id', client.client_id);
    body.set('client_assertion_type', JWT_BEARER_ASSERTION);
    body.set('client_assertion', assertion);
  };
}

/** RFC 6749 §4.4.2: Access Token Request (client_credentials), authenticated as RFC 7523 §2.2 says. */
export async function clientCredentialsWithAssertion(base: oidc.Configuration, assertion: string, params: TokenParams): Promise<TokenSet> {
  const res = await oidc.clientCredentialsGrant(withClientAuth(base, ciTokenAssertion(assertion)), exchangeParams(params));
  return toTokenSet(res);
}
