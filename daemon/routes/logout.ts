import type { LogoutRequest, LogoutResponse } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import type { RouteContext } from './context.js';
import { validateBody } from './validate.js';

/** POST /v1/logout: `{ profile }` or `{ all: true }`. */
export async function logout({ body, broker }: RouteContext): Promise<LogoutResponse> {
  const req = validateBody<LogoutRequest>(body, { profile: 'string', all: 'boolean' });
  if (req.all && req.profile) throw new AuthctlError('bad_request', 'give either "profile" or "all", not both');
    const names = req.all ? await broker.allSessionNames() : [await broker.logoutTarget(req.profile)];
  return broker.logout(names);
}
