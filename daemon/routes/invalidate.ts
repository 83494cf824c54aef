import type { InvalidateRequest } from '../../shared/api.js';
import type { RouteContext } from './context.js';
import { validateBody } from './validate.js';

/** POST /v1/invalidate: forget the profile's cached access tokens (a client saw one rejected). */
export function invalidate({ body, broker }: RouteContext): { ok: true } {
  const req = validateBody<InvalidateRequest>(body, { profile: 'string' });
  broker.invalidate(req.profile);
  return { ok: true };
}
