/**
 * Verification failures as RFC 6750 §3 describes them: a code, the HTTP status to answer
 * with, and the WWW-Authenticate value to send back. Descriptions never quote the token.
 */
export type VerifyErrorCode = 'invalid_token' | 'insufficient_scope' | 'jwks_unavailable';

export class VerifyError extends Error {
  readonly code: VerifyErrorCode;
  /** 401 invalid_token, 403 insufficient_scope, 503 jwks_unavailable. */
  readonly status: number;
  /** The `WWW-Authenticate` header value to answer with (RFC 6750 §3). */
  readonly wwwAuthenticate: string;

  constructor(code: VerifyErrorCode, description: string, opts: { realm?: string; scopes?: string[]; noToken?: boolean; cause?: unknown } = {}) {
    super(description, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VerifyError';
    this.code = code;
    this.status = code === 'insufficient_scope' ? 403 : code === 'jwks_unavailable' ? 503 : 401;
    const params: string[] = [];
    if (opts.realm) params.push(`realm="${quotable(opts.realm)}"`);
    // §3.1: a request without any credentials gets no error code, only the challenge.
    if (!opts.noToken && code !== 'jwks_unavailable') {
      params.push(`error="${code}"`, `error_description="${quotable(description)}"`);
      if (code === 'insufficient_scope' && opts.scopes?.length) params.push(`scope="${quotable(opts.scopes.join(' '))}"`);
    }
    this.wwwAuthenticate = params.length ? `Bearer ${params.join(', ')}` : 'Bearer';
  }
}

/** §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E only. */
function quotable(s: string): string {
  return s.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '').slice(0, 300);
}

export function isVerifyError(e: unknown): e is VerifyError {
  return e instanceof VerifyError;
}
