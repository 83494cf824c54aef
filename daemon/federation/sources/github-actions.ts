/**
 * Source `github-actions`: GitHub's OIDC token service. GET $ACTIONS_ID_TOKEN_REQUEST_URL
 * with `audience` added and `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`; the
 * answer is `{"value": "<jwt>"}`. GitHub sets the two variables only when the workflow
 * grants `permissions: id-token: write`.
 */
import { checkIssuerUrl } from '../../../shared/config.js';
import { AuthctlError } from '../../../shared/errors.js';
import { GITHUB_REQUEST_TOKEN, GITHUB_REQUEST_URL, MAX_IDENTITY_TOKEN } from '../../../shared/federation.js';
import { idpFailure } from '../../oauth/errors.js';
import { bindingOf, type IdentitySource, type SourceContext } from '../types.js';
import { federationInputRequired, outsideCi } from './missing.js';

export const PERMISSIONS_HINT = 'add `permissions: id-token: write` to the workflow (or the job)';

export function githubActionsSource({ profile, input, fetch }: SourceContext): IdentitySource {
  if (!input) throw federationInputRequired(profile.name, { source: 'github-actions' });
  const { requestUrl, requestToken } = input;
  if (!requestUrl || !requestToken) {
    if (input.ci !== 'github-actions') throw outsideCi(profile.name, 'a GitHub Actions job');
    throw new AuthctlError(
      'ci_identity_missing',
      `this GitHub Actions job cannot get an identity token ($${GITHUB_REQUEST_URL} or $${GITHUB_REQUEST_TOKEN} is not set): ${PERMISSIONS_HINT}`,
      { profile: profile.name },
    );
  }
  const problem = checkIssuerUrl(requestUrl);
  if (problem) throw new AuthctlError('bad_request', `$${GITHUB_REQUEST_URL} ${problem}`);
  const audience = profile.federation!.audience;
  return {
    binding: bindingOf('github-actions', requestUrl, requestToken, audience ?? ''),
    token: () => requestIdToken(fetch, requestUrl, requestToken, audience),
  };
}

/** GitHub's OIDC token request (docs: "Methods for requesting the OIDC token"). */
export async function requestIdToken(fetch: SourceContext['fetch'], requestUrl: string, requestToken: string, audience?: string): Promise<string> {
  const url = new URL(requestUrl);
  if (audience) url.searchParams.set('audience', audience);
  let res: Response;
  try {
    res = await fetch(url.href, { method: 'GET', headers: { authorization: `bearer ${requestToken}`, accept: 'application/json' }, redirect: 'error' });
  } catch (e) {
    throw idpFailure(e, url.origin);
  }
  const text = await res.text().catch(() => '');
  if (res.status === 401 || res.status === 403) {
    throw new AuthctlError('ci_identity_missing', `GitHub refused the identity-token request (HTTP ${res.status}): ${PERMISSIONS_HINT}`);
  }
  if (res.status !== 200) {
    throw new AuthctlError(res.status >= 500 || res.status === 429 ? 'idp_unavailable' : 'idp_error', `GitHub's identity-token service answered HTTP ${res.status}`, { httpStatus: res.status });
  }
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string' || value.split('.').length !== 3 || value.length > MAX_IDENTITY_TOKEN) {
    throw new AuthctlError('idp_error', `GitHub's identity-token service sent no token (expected {"value": "<jwt>"})`);
  }
  return value;
}
