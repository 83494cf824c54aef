/**
 * Microsoft Entra ID (v2.0 endpoints): its own device-flow error names, and multi-tenant ID
 * tokens. (`authorization_declined` and string numbers are handled generically.)
 */
import type { Profile } from '../../../shared/config.js';
import { renameError, type ProviderQuirks } from './types.js';

/** Tokens name the tenant by its id; a profile set up with an alias or a domain never matches. */
const TENANT_ID_ISSUER = /\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/v2\.0\/?$/i;

export function entra(profile: Pick<Profile, 'issuer'>): ProviderQuirks {
  const issuerNeverMatches = !TENANT_ID_ISSUER.test(profile.issuer);
  return {
    response(res) {
      // The device code is unknown (mistyped or consumed): the grant is invalid.
      renameError(res, 'bad_verification_code', 'invalid_grant');
      // With --tenant common, organizations, consumers or a domain, the ID token's `iss` names
      // the tenant id and can never equal the configured issuer; the agent uses the ID token
      // only for the subject's name (the access token carries it too), so it is dropped
      // rather than rejected.
      if (issuerNeverMatches && 'id_token' in res.body) delete res.body.id_token;
    },
  };
}
