/**
 * TOTP (RFC 6238) for privileged token requests: enrolment secret, provisioning URI,
 * and verification with replay protection.
 *
 * The code generation itself is `otpauth`'s (RFC 4226 HOTP over the time-step counter);
 * this module owns the policy around it: which steps are acceptable, replay, and input
 * validation, none of which the library's `validate()` covers.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export type TotpResult =
  | { ok: true; step: number }
  | { ok: false; reason: 'invalid' | 'replayed' | 'malformed' };

export interface VerifyTotpInput {
  /** Base32 shared secret (RFC 4648 alphabet; case and `=` padding are tolerated). */
  secret: string;
  /** What the user typed. */
  code: string;
  /** Clock in milliseconds since the Unix epoch. */
  now: () => number;
  /** The highest time step accepted before for this secret, or null if none. */
  lastUsedStep: number | null;
  window?: number;
  digits?: number;
  period?: number;
  algorithm?: TotpAlgorithm;
}

export interface TotpUriInput {
  secret: string;
  account: string;
  issuer: string;
  digits?: number;
  period?: number;
  algorithm?: TotpAlgorithm;
}

const SECRET_BYTES = 20;
const BASE32 = /^[A-Za-z2-7]+=*$/;

/**
 * A new shared secret: 20 random bytes (160 bits, the HMAC-SHA1 output size that
 * RFC 4226 section 4 recommends), base32-encoded without padding (32 characters).
 */
export function generateTotpSecret(): string {
  return new Secret({ buffer: toArrayBuffer(randomBytes(SECRET_BYTES)) }).base32;
}

/**
 * The `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…` provisioning URI (Google
 * Authenticator "Key Uri Format") that authenticator apps import, usually as a QR code.
 *
 * Colons are refused in issuer and account: apps split the label at the first colon,
 * and an encoded `%3A` is decoded before that split by some of them, so the account
 * would show under the wrong issuer.
 */
export function totpUri({
  secret,
  account,
  issuer,
  digits = 6,
  period = 30,
  algorithm = 'SHA1',
}: TotpUriInput): string {
  if (account.length === 0 || account.includes(':')) {
    throw new TypeError('totpUri: account must be non-empty and must not contain ":"');
  }
  if (issuer.length === 0 || issuer.includes(':')) {
    throw new TypeError('totpUri: issuer must be non-empty and must not contain ":"');
  }
  checkParameters(digits, period, 0);
  return new TOTP({
    issuer,
    label: account,
    issuerInLabel: true,
    secret: decodeSecret(secret),
    algorithm,
    digits,
    period,
  }).toString();
}

/**
 * Verifies a TOTP code (RFC 6238 section 4: T = floor(unixtime / period), code =
 * HOTP(secret, T) truncated to `digits`).
 *
 * - Accepts a code for any step in [T - window, T + window] (RFC 6238 section 5.2
 *   allows a small window for clock drift and typing delay).
 * - Never accepts a step <= `lastUsedStep` (section 5.2: a verifier MUST NOT accept the
 *   second attempt of the same OTP). The caller stores the returned `step` as the new
 *   `lastUsedStep` before it acts on the result.
 * - Every candidate step is computed and compared in constant time, with no early exit,
 *   so the response time says nothing about which step (if any) matched.
 * - `malformed`: not exactly `digits` ASCII digits. Nothing is trimmed: the prompt layer
 *   decides what user input normalisation is acceptable.
 *
 * Throws TypeError only for caller mistakes (bad secret encoding, bad parameters), never
 * for what the user typed.
 */
export function verifyTotp({
  secret,
  code,
  now,
  lastUsedStep,
  window = 1,
  digits = 6,
  period = 30,
  algorithm = 'SHA1',
}: VerifyTotpInput): TotpResult {
  checkParameters(digits, period, window);
  const key = decodeSecret(secret);

  if (code.length !== digits || !/^[0-9]+$/.test(code)) {
    return { ok: false, reason: 'malformed' };
  }

  const nowMs = now();
  if (!Number.isFinite(nowMs) || nowMs < 0) {
    throw new TypeError('verifyTotp: clock returned an invalid time');
  }
  const current = Math.floor(nowMs / (period * 1000));
  const given = Buffer.from(code, 'ascii');

  let accepted: number | null = null;
  let replayed = false;
  for (let step = current - window; step <= current + window; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(HOTP.generate({ secret: key, algorithm, digits, counter: step }), 'ascii');
    if (!timingSafeEqual(given, expected)) continue;
    if (lastUsedStep !== null && step <= lastUsedStep) {
      replayed = true;
    } else {
      // On a (1 in 10^digits) collision across steps, keep the later step: storing the
      // larger lastUsedStep can only shrink what a replay could reuse.
      accepted = step;
    }
  }

  if (accepted !== null) return { ok: true, step: accepted };
  return { ok: false, reason: replayed ? 'replayed' : 'invalid' };
}

function decodeSecret(secret: string): Secret {
  // Validated here because otpauth's decoder puts the offending secret character into
  // its error message, and error messages end up in logs.
  if (!BASE32.test(secret)) {
    throw new TypeError('TOTP secret is not base32');
  }
  return Secret.fromBase32(secret);
}

function checkParameters(digits: number, period: number, window: number): void {
  // RFC 4226 section 5.3: at least 6 digits; dynamic truncation yields 31 bits, so more
  // than 10 digits would only add leading zeros.
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) {
    throw new TypeError('TOTP digits must be an integer from 6 to 10');
  }
  if (!Number.isInteger(period) || period <= 0) {
    throw new TypeError('TOTP period must be a positive integer (seconds)');
  }
  if (!Number.isInteger(window) || window < 0 || window > 10) {
    throw new TypeError('TOTP window must be an integer from 0 to 10');
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}
