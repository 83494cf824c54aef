/**
 * Turns whatever openid-client, undici or the provider threw into an AuthctlError with
 * a message a person can act on. Provider texts are kept short and never carry tokens.
 */
import { ResponseBodyError, ClientError } from 'openid-client';
import { AuthctlError } from '../../shared/errors.js';

export function idpFailure(e: unknown, issuer: string): AuthctlError {
  if (e instanceof AuthctlError) return e;
  const host = hostOf(issuer);
  if (e instanceof ResponseBodyError) {
    const desc = typeof e.error_description === 'string' ? `: ${e.error_description.slice(0, 200)}` : '';
    return new AuthctlError('idp_error', `${host} refused the request (${e.error}${desc})`, { idpError: e.error });
  }
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError')
    return new AuthctlError('idp_unavailable', `${host} did not answer in time`);
  if (e instanceof TypeError || err?.cause?.code) {
    const why = err.cause?.code ?? err.cause?.message ?? err.message ?? 'network error';
    return new AuthctlError('idp_unavailable', `cannot reach ${host} (${tlsHint(why)})`);
  }
  if (e instanceof ClientError) {
    return new AuthctlError('idp_error', `${host} sent an unexpected answer (${err.code ?? err.message})`);
  }
  return new AuthctlError('idp_error', `${host}: ${String(err?.message ?? e).slice(0, 200)}`);
}

export function isInvalidGrant(e: unknown): boolean {
  return e instanceof ResponseBodyError && e.error === 'invalid_grant';
}

function tlsHint(code: string): string {
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS/i.test(code)) return `${code}: the TLS certificate is not trusted; configure the CA bundle`;
  return code;
}

function hostOf(issuer: string): string {
  try {
    return new URL(issuer).host;
  } catch {
    return issuer;
  }
}
