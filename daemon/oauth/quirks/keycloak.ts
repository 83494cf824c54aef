/** Keycloak: `refresh_expires_in: 0` marks an offline session, which does not expire. */
import type { ProviderQuirks } from './types.js';

export const keycloak: ProviderQuirks = {
  response(res) {
    if (res.body.refresh_expires_in === 0 || res.body.refresh_expires_in === '0') delete res.body.refresh_expires_in;
  },
};
