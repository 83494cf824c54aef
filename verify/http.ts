/**
 * For `node:http` servers: read the Authorization header, verify it, and on failure answer
 * 401/403/503 with the RFC 6750 challenge, so a handler needs one line.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VerifyError } from './errors.js';
import type { Verified, Verify } from './verifier.js';

/**
 * The verified token, or undefined after answering the request with the error (the
 * handler then returns). Unexpected errors are answered 500 and rethrown.
 */
export async function authenticate(verify: Verify, req: IncomingMessage, res: ServerResponse, opts: { scopes?: string[] } = {}): Promise<Verified | undefined> {
  try {
    return await verify(req.headers.authorization, opts);
  } catch (e) {
    const status = e instanceof VerifyError ? e.status : 500;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    if (e instanceof VerifyError) headers['www-authenticate'] = e.wwwAuthenticate;
    if (status === 503) headers['retry-after'] = '30';
    res.writeHead(status, headers);
    res.end(JSON.stringify(e instanceof VerifyError ? { error: e.code, error_description: e.message } : { error: 'server_error' }));
    if (!(e instanceof VerifyError)) throw e;
    return undefined;
  }
}
