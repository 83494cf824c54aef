/**
 * A refresh token mints tokens only for the audience and resource its grant covers: the
 * ones asked for at login (RFC 8707 §2.2; Auth0 and Okta bind the audience the same way).
 * Asking the provider for another one fails, and with rotation and reuse detection the
 * failed request can also burn the refresh token, ending the session (oidc-provider does).
 * So the agent refuses such a request itself, with the fix. Entra ID is the exception:
 * its refresh tokens are multi-resource.
 */
import type { ResolvedProfile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import type { TokenParams } from '../oauth/oauth-engine.js';
import type { StoredSession } from '../store/session-store.js';

export function checkGrantCovers(profile: ResolvedProfile, session: StoredSession, asked: TokenParams): void {
  if (profile.provider === 'entra') return;
  // Sessions stored before the grant was recorded were made with the profile's values.
  const granted = 'audience' in session || 'resource' in session ? session : profile;
  for (const [field, flag] of [
    ['audience', '--audience'],
    ['resource', '--resource'],
  ] as const) {
    const want = asked[field];
    const have = granted[field];
    // Not naming one lets the provider use what the grant covers.
    if (want === undefined || want === have) continue;
    const was = have ? `for ${field} "${have}"` : `without ${field === 'audience' ? 'an' : 'a'} ${field}`;
    throw new AuthctlError(
      'usage',
      `profile "${profile.name}" was logged in ${was}, and its refresh token cannot mint tokens for "${want}": add a profile with ${flag} ${want} and log in to it`,
    );
  }
}
