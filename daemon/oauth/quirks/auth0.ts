/** Auth0: reads `audience` (its own name) rather than RFC 8707 `resource`; rate limits as 429. */
import type { ProviderQuirks } from './types.js';

export const auth0: ProviderQuirks = {
  request(req) {
    const resource = req.params.get('resource');
    if (resource && !req.params.has('audience')) {
      req.params.delete('resource');
      req.params.set('audience', resource);
    }
  },
  response(res) {
    // 429 too_many_requests is a rate limit, not a verdict on the grant: make it a 503 so the
    // refresh is retried with backoff. (429 slow_down, during device polling, stays as it is.)
    if (res.status === 429 && res.body.error !== 'slow_down') res.status = 503;
  },
};
