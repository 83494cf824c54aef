import type { TokenRequest, TokenResponse } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import { withTrace } from '../trace.js';
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
    verbose: 'boolean',
  });
  if (!req.verbose) return broker.getToken(req, peer);
  return traced(() => broker.getToken(req, peer));
}

/** `--verbose`: the steps go back with the answer, or with the error. */
async function traced(run: () => Promise<TokenResponse>): Promise<TokenResponse> {
  const steps: string[] = [];
  try {
    return { ...(await withTrace((line) => steps.push(line), run)), steps };
  } catch (e) {
    const err = e instanceof AuthctlError ? e : new AuthctlError('internal', (e as Error).message);
    throw new AuthctlError(err.code, err.message, { ...err.details, steps });
  }
}
