import type { LoginEvent, LoginRequest } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import { withTrace } from '../trace.js';
import type { RouteContext } from './context.js';
import { validateBody } from './validate.js';

/** A stream never outlives its code; a provider announcing a longer life gets this much at most. */
export const MAX_LOGIN_STREAM_MS = 30 * 60 * 1000;
/** After the code's expiry, the provider's own `expired_token` (a clearer error) may still arrive. */
const EXPIRY_GRACE_MS = 2_000;

/**
 * POST /v1/login, answered as a stream of JSON lines. Closing the connection cancels the
 * flow: the agent stops polling the provider at once. The stream is closed at the code's
 * expiry (RFC 8628 §3.2 `expires_in`) even when the provider keeps answering
 * `authorization_pending`, so a login stream is bounded in time like every other request.
 */
export async function login({ body, broker, req, res, log, forwarded }: RouteContext): Promise<undefined> {
  const input = validateBody<LoginRequest>(body, { profile: 'string', scopes: 'scopes', audience: 'string', privileged: 'boolean', flow: 'string', canOpenBrowser: 'boolean', noBrowserReason: 'string', verbose: 'boolean' });
  if (input.flow !== undefined && !['auto', 'browser', 'device'].includes(input.flow)) throw new AuthctlError('usage', '"flow" must be "auto", "browser" or "device"');
  if (input.noBrowserReason !== undefined) input.noBrowserReason = input.noBrowserReason.slice(0, 200);
  broker.preflightLogin(input); // unknown profiles and refused requests fail before the stream starts, with a status code
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  req.socket.setTimeout(0); // a login waits for a person; the idle timeout must not cut it
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  let expiry: NodeJS.Timeout | undefined;
  let expired = false;
  const emit = (e: LoginEvent) => {
    if (e.event === 'verification' && !expiry) {
      const ms = Math.min(e.expiresAt * 1000 - Date.now() + EXPIRY_GRACE_MS, MAX_LOGIN_STREAM_MS);
      expiry = setTimeout(() => {
        expired = true;
        abort.abort();
      }, Math.max(0, ms));
    }
    if (!res.writableEnded) res.write(JSON.stringify(e) + '\n');
  };
  try {
    const via = { viaForwarding: forwarded !== undefined };
    // --verbose: each step of the agent's (provider calls, retries) as a `step` event, as it happens.
    if (input.verbose) await withTrace((message) => emit({ event: 'step', message }), () => broker.login(input, emit, abort.signal, via));
    else await broker.login(input, emit, abort.signal, via);
  } catch (e) {
    let err = e instanceof AuthctlError ? e : new AuthctlError('internal', 'the login failed unexpectedly');
    if (expired) err = new AuthctlError('login_required', 'the code expired before it was approved: run `authctl login` again and approve it in time');
    else if (!(e instanceof AuthctlError)) log.error('login failed', { reason: (e as Error).message });
    emit({ event: 'error', error: err.code, message: err.message });
  } finally {
    clearTimeout(expiry);
  }
  res.end();
  return undefined;
}
