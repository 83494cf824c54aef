/**
 * Client of the Yubico OTP validation protocol 2.0 (YubiCloud, or a self-hosted
 * yubikey-val): https://developers.yubico.com/OTP/Specifications/OTP_validation_protocol.html
 *
 * Every exchange is authenticated with HMAC-SHA1 under the client's API key in both
 * directions, so a response is trusted only if its signature verifies and it echoes our
 * OTP and nonce; TLS alone would trust whoever holds a certificate for the host.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseYubicoOtp } from './yubico-otp.js';

export type YubiCloudStatus =
  | 'OK'
  | 'BAD_OTP'
  | 'REPLAYED_OTP'
  | 'BAD_SIGNATURE'
  | 'MISSING_PARAMETER'
  | 'NO_SUCH_CLIENT'
  | 'OPERATION_NOT_ALLOWED'
  | 'BACKEND_ERROR'
  | 'NOT_ENOUGH_ANSWERS'
  | 'REPLAYED_REQUEST';

/**
 * Why a verification failed. A server status other than OK is passed through as is;
 * the rest describe our side of the exchange:
 * - `malformed_otp`: not a Yubico OTP, nothing was sent.
 * - `invalid_config`: bad client id, API key or URL list, nothing was sent.
 * - `insecure_url`: a URL that is neither https nor http on loopback, nothing was sent.
 * - `unavailable`: no URL answered (network error, timeout or 5xx on every one).
 * - `http_error`: a non-5xx, non-200 HTTP status.
 * - `malformed_response`, `bad_response_signature`, `otp_mismatch`, `nonce_mismatch`:
 *   the answer cannot be trusted.
 * - `unknown_status`: a signed answer with a status this protocol version does not define.
 */
export type YubiCloudFailure =
  | Exclude<YubiCloudStatus, 'OK'>
  | 'malformed_otp'
  | 'invalid_config'
  | 'insecure_url'
  | 'unavailable'
  | 'http_error'
  | 'malformed_response'
  | 'bad_response_signature'
  | 'otp_mismatch'
  | 'nonce_mismatch'
  | 'unknown_status';

/**
 * `detail` names the servers and what went wrong with each (origin, error code, HTTP
 * status). It never contains the OTP, the API key or a server-supplied text.
 */
export type YubiCloudResult = { ok: true } | { ok: false; reason: YubiCloudFailure; detail?: string };

/** The subset of WHATWG fetch this client needs; undici's `fetch` and Node's global one both fit. */
export type YubiCloudFetch = (
  url: string,
  init: { method: 'GET'; signal: AbortSignal; redirect: 'error' },
) => Promise<{ status: number; text(): Promise<string> }>;

export interface VerifyWithYubiCloudInput {
  otp: string;
  clientId: string;
  /** The API key exactly as Yubico issues it: base64 of the HMAC key. */
  apiKeyBase64: string;
  /** Validation endpoints, e.g. `https://api.yubico.com/wsapi/2.0/verify`, tried in order. */
  urls: readonly string[];
  fetch: YubiCloudFetch;
  /** Clock in milliseconds. */
  now: () => number;
  /** Budget for the whole call, shared across the URLs (see verifyWithYubiCloud). */
  timeoutMs: number;
  /** Sync level: percentage of validation servers that must agree, or a server preset. */
  sl?: number | 'fast' | 'secure';
}

const KNOWN_FAILURES: ReadonlySet<string> = new Set<Exclude<YubiCloudStatus, 'OK'>>([
  'BAD_OTP',
  'REPLAYED_OTP',
  'BAD_SIGNATURE',
  'MISSING_PARAMETER',
  'NO_SUCH_CLIENT',
  'OPERATION_NOT_ALLOWED',
  'BACKEND_ERROR',
  'NOT_ENOUGH_ANSWERS',
  'REPLAYED_REQUEST',
]);

const MAX_RESPONSE_CHARS = 8192;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Protocol "Generating signatures": sort the pairs by key, join as `k=v&k=v` (raw values,
 * not URL-encoded), HMAC-SHA1 with the base64-decoded API key, base64 the digest.
 * The same function signs requests and checks responses (without their `h`).
 */
export function signYubiCloudParams(params: ReadonlyMap<string, string> | Record<string, string>, apiKey: Uint8Array): string {
  const entries = params instanceof Map ? [...params.entries()] : Object.entries(params);
  const line = entries
    .filter(([key]) => key !== 'h')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  return createHmac('sha1', apiKey).update(line, 'utf8').digest('base64');
}

/**
 * The request nonce: 32 random alphanumerics. The spec allows 16–40, but yubikey-val
 * releases still in service refuse more than 32 as MISSING_PARAMETER.
 */
export function generateYubiCloudNonce(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Protocol "Request": `GET <url>?id=&otp=&nonce=&timestamp=1[&sl=]&h=`, signed over every
 * parameter but `h` (as the server checks it), URL-encoded (base64 `+` and `/` in `h` must be).
 */
export function buildYubiCloudRequestUrl({
  url,
  clientId,
  otp,
  nonce,
  apiKey,
  sl,
}: {
  url: string;
  clientId: string;
  otp: string;
  nonce: string;
  apiKey: Uint8Array;
  sl?: number | 'fast' | 'secure';
}): string {
  const params: Record<string, string> = { id: clientId, otp, nonce, timestamp: '1' };
  if (sl !== undefined) params.sl = String(sl);
  const target = new URL(url);
  for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
  target.searchParams.set('h', signYubiCloudParams(params, apiKey));
  return target.toString();
}

/**
 * Protocol "Response": text lines `key=value` (CRLF), split at the first `=` because
 * base64 values end in `=`. Returns null for a body that is not such a list, or that
 * repeats a key (the signature covers a set, so a repeated key is ambiguous).
 */
export function parseYubiCloudResponse(body: string): Map<string, string> | null {
  if (body.length > MAX_RESPONSE_CHARS) return null;
  const fields = new Map<string, string>();
  for (const line of body.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return null;
    const key = line.slice(0, eq);
    if (!/^[A-Za-z0-9_]+$/.test(key) || fields.has(key)) return null;
    fields.set(key, line.slice(eq + 1));
  }
  return fields.size > 0 ? fields : null;
}

/** Protocol "Verifying signatures": recompute over every field but `h`, compare in constant time. */
export function verifyYubiCloudResponseSignature(fields: ReadonlyMap<string, string>, apiKey: Uint8Array): boolean {
  const given = fields.get('h');
  if (given === undefined) return false;
  const expected = Buffer.from(signYubiCloudParams(fields, apiKey), 'ascii');
  const actual = Buffer.from(given, 'ascii');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Decides what a parsed response means for our request:
 * 1. The signature must verify. The one exception is NO_SUCH_CLIENT, which the server
 *    cannot sign (it has no key for an unknown id); it is a failure either way, and
 *    naming it points at the misconfiguration instead of at an attacker.
 * 2. The echoed `otp` and `nonce` must be ours (protocol "Verification": against
 *    cut-and-paste of another signed response). Required for OK; older servers omit
 *    them from error answers, so there they are checked only when present.
 * 3. Only status OK is success.
 */
export function checkYubiCloudResponse({
  fields,
  otp,
  nonce,
  apiKey,
}: {
  fields: ReadonlyMap<string, string>;
  otp: string;
  nonce: string;
  apiKey: Uint8Array;
}): YubiCloudResult {
  const status = fields.get('status');
  if (status === undefined) return { ok: false, reason: 'malformed_response' };

  if (!verifyYubiCloudResponseSignature(fields, apiKey)) {
    return { ok: false, reason: status === 'NO_SUCH_CLIENT' ? 'NO_SUCH_CLIENT' : 'bad_response_signature' };
  }

  const echoedOtp = fields.get('otp');
  if ((status === 'OK' || echoedOtp !== undefined) && echoedOtp !== otp) {
    return { ok: false, reason: 'otp_mismatch' };
  }
  const echoedNonce = fields.get('nonce');
  if ((status === 'OK' || echoedNonce !== undefined) && echoedNonce !== nonce) {
    return { ok: false, reason: 'nonce_mismatch' };
  }

  if (status === 'OK') return { ok: true };
  if (KNOWN_FAILURES.has(status)) return { ok: false, reason: status as Exclude<YubiCloudStatus, 'OK'> };
  return { ok: false, reason: 'unknown_status' };
}

/**
 * Verifies a Yubico OTP with the validation service.
 *
 * The URLs are tried in order; the next one is tried only when a server gave no answer
 * (network error, timeout) or a 5xx. Any other answer is final: once a server has seen
 * the OTP it is spent, so asking another server would at best yield REPLAYED_OTP.
 * Each attempt uses a fresh nonce.
 *
 * `timeoutMs` bounds the whole call, as measured by `now()`: each attempt gets an equal
 * share of what is left, so one hanging server cannot use up the time of the next.
 */
export async function verifyWithYubiCloud({
  otp,
  clientId,
  apiKeyBase64,
  urls,
  fetch,
  now,
  timeoutMs,
  sl,
}: VerifyWithYubiCloudInput): Promise<YubiCloudResult> {
  // The server lower-cases the OTP before echoing it; do the same so that an OTP typed
  // with caps lock on still matches the echo.
  const parsed = parseYubicoOtp(otp);
  if (!parsed) return { ok: false, reason: 'malformed_otp' };
  const normalizedOtp = otp.toLowerCase();

  if (!/^[0-9]+$/.test(clientId) || !BASE64.test(apiKeyBase64) || urls.length === 0 || !(timeoutMs > 0)) {
    return { ok: false, reason: 'invalid_config' };
  }
  const apiKey = Buffer.from(apiKeyBase64, 'base64');
  const origins: string[] = [];
  for (const url of urls) {
    let parsedUrl: URL;
    try {
      parsedUrl = new URL(url);
    } catch {
      return { ok: false, reason: 'invalid_config' };
    }
    if (!isAllowedUrl(parsedUrl)) return { ok: false, reason: 'insecure_url', detail: parsedUrl.origin };
    origins.push(parsedUrl.origin);
  }

  const deadline = now() + timeoutMs;
  const problems: string[] = [];
  for (let i = 0; i < urls.length; i++) {
    const remaining = deadline - now();
    if (remaining <= 0) {
      problems.push(`${origins[i]}: not tried, time budget spent`);
      break;
    }
    const nonce = generateYubiCloudNonce();
    const requestUrl = buildYubiCloudRequestUrl({ url: urls[i]!, clientId, otp: normalizedOtp, nonce, apiKey, sl });
    const answer = await fetchOnce(fetch, requestUrl, Math.ceil(remaining / (urls.length - i)));

    if (answer.kind === 'no_answer') {
      problems.push(`${origins[i]}: ${answer.why}`);
      continue;
    }
    if (answer.status >= 500) {
      problems.push(`${origins[i]}: HTTP ${answer.status}`);
      continue;
    }
    if (answer.status !== 200) {
      return { ok: false, reason: 'http_error', detail: `${origins[i]}: HTTP ${answer.status}` };
    }
    const fields = parseYubiCloudResponse(answer.body);
    if (!fields) return { ok: false, reason: 'malformed_response', detail: origins[i] };
    const result = checkYubiCloudResponse({ fields, otp: normalizedOtp, nonce, apiKey });
    return result.ok ? result : { ...result, detail: origins[i] };
  }
  return { ok: false, reason: 'unavailable', detail: problems.join('; ') };
}

type Answer = { kind: 'answer'; status: number; body: string } | { kind: 'no_answer'; why: string };

async function fetchOnce(fetch: YubiCloudFetch, url: string, timeoutMs: number): Promise<Answer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    // redirect: 'error', because a redirect could carry the OTP to another host or to http.
    const response = await fetch(url, { method: 'GET', signal: controller.signal, redirect: 'error' });
    const body = await response.text();
    return { kind: 'answer', status: response.status, body };
  } catch (error) {
    // Only a code such as ECONNREFUSED is kept: error messages of fetch implementations
    // can quote the request URL, and that carries the OTP.
    return { kind: 'no_answer', why: controller.signal.aborted ? 'timeout' : errorCode(error) };
  } finally {
    clearTimeout(timer);
  }
}

function errorCode(error: unknown): string {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return 'network error';
}

/** https anywhere; plain http only to loopback (the design's rule for every remote party). */
function isAllowedUrl(url: URL): boolean {
  if (url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
