/**
 * GitHub: form-encoded answers unless asked for JSON, errors with status 200 (both handled
 * generically), `slow_down` with the new interval (see generic.ts), comma-separated
 * scopes, and its own names for a bad refresh token and the refresh token's lifetime.
 */
import { renameError, type ProviderQuirks } from './types.js';

export const github: ProviderQuirks = {
  request(req) {
    req.headers.set('accept', 'application/json');
  },
  response(res) {
    renameError(res, 'bad_refresh_token', 'invalid_grant');
    renameError(res, 'incorrect_device_code', 'invalid_grant');
    if (typeof res.body.scope === 'string') res.body.scope = res.body.scope.split(/[,\s]+/).filter(Boolean).join(' ');
    if (res.body.refresh_token_expires_in !== undefined && res.body.refresh_expires_in === undefined) {
      res.body.refresh_expires_in = res.body.refresh_token_expires_in;
      delete res.body.refresh_token_expires_in;
    }
  },
};
