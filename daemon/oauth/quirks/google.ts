/**
 * Google: `verification_url` for RFC 8628's `verification_uri`. Its other differences need
 * no rewriting: 428/403 error statuses (read by the generic rule), a client secret for
 * installed apps (sent by the engine with client_secret_post), and refresh answers without
 * a refresh token (the broker keeps the one it has).
 */
import type { ProviderQuirks } from './types.js';

export const google: ProviderQuirks = {
  response(res) {
    if (typeof res.body.verification_url === 'string' && res.body.verification_uri === undefined) {
      res.body.verification_uri = res.body.verification_url;
      delete res.body.verification_url;
    }
  },
};
