/**
 * Okta: besides OAuth errors, its platform answers in its own API shape
 * (`errorCode`, `errorSummary`), e.g. E0000047 when the org's rate limit is hit.
 */
import type { ProviderQuirks } from './types.js';

const RATE_LIMITED = 'E0000047';

export const okta: ProviderQuirks = {
  response(res) {
    const code = res.body.errorCode;
    if (typeof code !== 'string' || typeof res.body.error === 'string') return;
    const summary = typeof res.body.errorSummary === 'string' ? res.body.errorSummary : code;
    if (code === RATE_LIMITED || res.status === 429) {
      res.status = 503; // transient: the refresh is retried with backoff
      res.body = { error: 'temporarily_unavailable', error_description: summary };
    } else {
      res.body = { error: 'invalid_request', error_description: `${code}: ${summary}` };
    }
  },
};
