/**
 * Turns whatever openid-client, undici or the provider threw into an AuthctlError with
 * a message a person can act on. Provider texts are kept short and never carry tokens.
 * `idp_unavailable` means "try again later" (network, timeout, 5xx, rate limit) and is
 * what the broker retries; `idp_error` means the provider answered and said no, or
 * answered something that is not OAuth.
 */
import { ResponseBodyError, ClientError, WWWAuthenticateChallengeError } from 'openid-client';
import { AuthctlError } from '../../shared/errors.js';

export function idpFailure(e: unknown, issuer: string): AuthctlError {
  const own = ownError(e);
  if (own) return own;
  const host = hostOf(issuer);
  if (e instanceof ResponseBodyError) {
    const desc = typeof e.error_description === 'string' ? `: ${e.error_description.slice(0, 200)}` : '';
    return new AuthctlError('idp_error', `${host} refused the request (${e.error}${desc})`, { idpError: e.error });
  }
  if (e instanceof WWWAuthenticateChallengeError) {
    const error = e.cause[0]?.parameters.error ?? 'invalid_client';
    return new AuthctlError('idp_error', `${host} refused this client (HTTP ${e.status}, ${error}): check the client ID (and secret)`, { idpError: error });
  }
  const err = e as { name?: string; code?: string; message?: string; cause?: unknown };
  if (err?.name === 'TimeoutError' || err?.code === 'OAUTH_TIMEOUT') return new AuthctlError('idp_unavailable', `${host} did not answer in time`);
  if (err?.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    const status = (err.cause as { status?: number } | undefined)?.status ?? 0;
    // 5xx and 429: the provider is in trouble or busy, not saying no.
    const code = status >= 500 || status === 429 ? 'idp_unavailable' : 'idp_error';
    return new AuthctlError(code, `${host} answered HTTP ${status}`, { httpStatus: status });
  }
  if (err?.code === 'OAUTH_RESPONSE_IS_NOT_JSON' || err?.code === 'OAUTH_PARSE_ERROR')
    return new AuthctlError('idp_error', `${host} sent an answer that is not JSON; it is not behaving as an OAuth provider`);
  const net = networkCause(e);
  if (net) return new AuthctlError('idp_unavailable', net.tls ? `TLS to ${host} failed: ${net.why}` : `cannot reach ${host} (${net.why})`);
  if (e instanceof ClientError) {
    return new AuthctlError('idp_error', `${host} sent an unexpected answer (${err.message ?? err.code})`);
  }
  return new AuthctlError('idp_error', `${host}: ${String(err?.message ?? e).slice(0, 200)}`);
}

export function isInvalidGrant(e: unknown): boolean {
  return e instanceof ResponseBodyError && e.error === 'invalid_grant';
}

/** Worth another try: the provider could not be reached or was in trouble. */
export function isTransient(e: unknown, issuer: string): boolean {
  return idpFailure(e, issuer).code === 'idp_unavailable';
}

/** The transport throws AuthctlErrors; openid-client wraps them ("something went wrong"). */
function ownError(e: unknown): AuthctlError | undefined {
  for (let cur = e, depth = 0; cur && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    if (cur instanceof AuthctlError) return cur;
  }
  return undefined;
}

const NET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'the answer stalled',
  UND_ERR_SOCKET: 'the connection closed',
};

const UNTRUSTED = /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE/;

/** The network reason behind a fetch failure ("fetch failed" carries it in `cause`). */
function networkCause(e: unknown): { why: string; tls: boolean } | undefined {
  if (!(e instanceof TypeError) && !(e as { cause?: unknown })?.cause) return undefined;
  let cur = e as { code?: string; message?: string; cause?: unknown } | undefined;
  for (let depth = 0; cur && depth < 4; depth++) {
    const code = cur.code;
    if (code && (UNTRUSTED.test(code) || /CERT|TLS|SSL/.test(code))) return { why: tlsReason(code, cur.message), tls: true };
    if (code && NET_REASONS[code]) return { why: NET_REASONS[code], tls: false };
    if (!cur.cause) break;
    cur = cur.cause as typeof cur;
  }
  if (e instanceof TypeError) return { why: (cur?.code ?? cur?.message ?? e.message).slice(0, 200), tls: false };
  return undefined;
}

function tlsReason(code: string, message = ''): string {
  const reason = message ? `${message} (${code})` : code;
  if (UNTRUSTED.test(code))
    return `${reason}: the certificate is not signed by a trusted CA; add the CA bundle with "network": { "caFile": "/path/ca.pem" } in the config (or NODE_EXTRA_CA_CERTS) and restart the agent`;
  if (/EXPIRED|NOT_YET_VALID/.test(code)) return `${reason}: check the certificate's dates and this machine's clock`;
  if (/ALTNAME/.test(code)) return `${reason}: the certificate is for another host name`;
  return reason;
}

function hostOf(issuer: string): string {
  try {
    return new URL(issuer).host;
  } catch {
    return issuer;
  }
}
