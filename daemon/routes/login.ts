import type { LoginEvent, LoginRequest } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import type { RouteContext } from './context.js';
import { validateBody } from './validate.js';

/**
 * POST /v1/login, answered as a stream of JSON lines. Closing the connection cancels the
 * flow: the agent stops polling the provider at once.
 */
export async function login({ body, broker, req, res, log }: RouteContext): Promise<undefined> {
  const input = validateBody<LoginRequest>(body, { profile: 'string', scopes: 'string[]', audience: 'string' });
  broker.profile(input.profile); // unknown profiles fail before the stream starts, with a status code
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  req.socket.setTimeout(0); // a login waits for a person; the idle timeout must not cut it
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  const emit = (e: LoginEvent) => {
    if (!res.writableEnded) res.write(JSON.stringify(e) + '\n');
  };
  try {
    await broker.login(input, emit, abort.signal);
  } catch (e) {
    const err = e instanceof AuthctlError ? e : new AuthctlError('internal', 'the login failed unexpectedly');
    if (!(e instanceof AuthctlError)) log.error('login failed', { reason: (e as Error).message });
    emit({ event: 'error', error: err.code, message: err.message });
  }
  res.end();
  return undefined;
}
