import type { TokenRequest, TokenResponse } from '../../shared/api.js';
import type { RouteContext } from './context.js';
import { validateBody } from './validate.js';

/** POST /v1/token */
export function token({ body, broker, peer }: RouteContext): Promise<TokenResponse> {
  const req = validateBody<TokenRequest>(body, {
    profile: 'string',
    scopes: 'scopes',
    audience: 'string',
    resource: 'string',
    minValidSeconds: 'number',
    privileged: 'boolean',
    otp: 'otp',
    federation: 'federation',
  });
  return broker.getToken(req, peer);
}
