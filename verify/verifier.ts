/**
 * Offline verification of access tokens for API servers: `createVerifier(options)` returns
 * `verify(tokenOrAuthorizationHeader)`. JWTs are checked against the issuer's published
 * keys (keys.ts) with asymmetric algorithms only; PATs, when a prefix is configured, by
 * format and checksum first, then by the hash the server stored.
 */
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { checkIssuerUrl } from '../shared/config.js';
import { VerifyError } from './errors.js';
import { IssuerKeys } from './keys.js';
import { checkPatFormat, hashPat } from './pat.js';

/** Asymmetric JWS algorithms (RFC 7518 §3.1, RFC 8037): never `none`, never an HMAC. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

/** What `lookupPat` answers for a stored token: its owner and grants; undefined when unknown or revoked. */
export interface PatRecord {
  sub?: string;
  scopes?: string[];
  /** Unix seconds. */
  expiresAt?: number;
  [claim: string]: unknown;
}

export interface VerifierOptions {
  issuer: string;
  /** The API's identifier: the token's `aud` must name it (or one of these). */
  audience: string | string[];
  /** Scopes every token must carry. */
  scopes?: string[];
  clockToleranceSeconds?: number;
  /** A subset of the asymmetric algorithms (default: all of them). */
  algorithms?: string[];
  /** RFC 9068 §2.1: require the header `typ: at+jwt`. */
  requireAtJwt?: boolean;
  /** Accept PATs with this prefix too (with `lookupPat`). */
  patPrefix?: string;
  lookupPat?: (hash: string) => PatRecord | undefined | null | Promise<PatRecord | undefined | null>;
  /** The realm in WWW-Authenticate (default: none). */
  realm?: string;
  /** Skip discovery and fetch keys here. */
  jwksUri?: string;
  /** At most one key refetch per this many seconds (default 30). */
  jwksCooldownSeconds?: number;
  /** Keys are refetched after this many seconds even without an unknown kid (default 600). */
  jwksMaxAgeSeconds?: number;
  /** Per fetch (default 5). */
  timeoutSeconds?: number;
  fetch?: typeof fetch;
  /** The clock for exp/nbf (ms since the epoch; default Date.now). */
  now?: () => number;
}

export interface Verified {
  claims: JWTPayload & Record<string, unknown>;
  scopes: string[];
  kind: 'jwt' | 'pat';
}

export type Verify = (tokenOrAuthorizationHeader: string | undefined | null, opts?: { scopes?: string[] }) => Promise<Verified>;

export function createVerifier(options: VerifierOptions): Verify {
  const problem = checkIssuerUrl(options.issuer);
  if (problem) throw new TypeError(`issuer ${problem}`);
  const audiences = ([] as string[]).concat(options.audience ?? []);
  if (!audiences.length || audiences.some((a) => typeof a !== 'string' || !a)) throw new TypeError('audience is required: the identifier of this API');
  const algorithms = options.algorithms ?? [...ASYMMETRIC_ALGORITHMS];
  const refused = algorithms.filter((a) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
  if (refused.length || !algorithms.length) throw new TypeError(`only asymmetric algorithms are accepted (${ASYMMETRIC_ALGORITHMS.join(', ')}), not ${refused.join(', ') || 'none'}`);
  if (options.patPrefix && !options.lookupPat) throw new TypeError('patPrefix needs lookupPat(hash)');
  if (options.patPrefix) checkPatFormat('', options.patPrefix); // validates the prefix
  const realm = options.realm;
  const tolerance = options.clockToleranceSeconds ?? 30;
  const now = options.now ?? Date.now;
  const keys = new IssuerKeys({
    issuer: options.issuer,
    jwksUri: options.jwksUri,
    cooldownMs: (options.jwksCooldownSeconds ?? 30) * 1000,
    cacheMaxAgeMs: (options.jwksMaxAgeSeconds ?? 600) * 1000,
    timeoutMs: (options.timeoutSeconds ?? 5) * 1000,
    fetch: options.fetch ?? fetch,
    realm,
  });
  const invalid = (why: string, cause?: unknown) => new VerifyError('invalid_token', why, { realm, cause });

  return async (input, opts = {}) => {
    const token = bearerToken(input, realm);
    const verified =
      options.patPrefix && token.startsWith(`${options.patPrefix}_`)
        ? await verifyPat(token, options.patPrefix, options.lookupPat!, now, invalid)
        : await verifyJwt(token);
    const required = [...(options.scopes ?? []), ...(opts.scopes ?? [])];
    const missing = required.filter((s) => !verified.scopes.includes(s));
    if (missing.length) throw new VerifyError('insufficient_scope', `the token lacks the scope ${missing.join(' ')}`, { realm, scopes: required });
    return verified;
  };

  async function verifyJwt(token: string): Promise<Verified> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch (e) {
      throw invalid('the token is not a JWT', e);
    }
    if (typeof alg !== 'string' || !algorithms.includes(alg)) throw invalid(`the token's algorithm ${String(alg)} is not accepted`);
    try {
      const { payload } = await jwtVerify(token, keys.lookup, {
        issuer: options.issuer,
        audience: audiences,
        algorithms,
        clockTolerance: tolerance,
        currentDate: new Date(now()),
        requiredClaims: ['exp'],
        ...(options.requireAtJwt ? { typ: 'at+jwt' } : {}),
      });
      return { claims: payload as Verified['claims'], scopes: scopesOf(payload), kind: 'jwt' };
    } catch (e) {
      if (e instanceof VerifyError) throw e;
      throw invalid(describeJoseError(e), e);
    }
  }
}

/** RFC 6750 §2.1: `Bearer <token>`, or the bare token. */
function bearerToken(input: string | undefined | null, realm?: string): string {
  if (typeof input !== 'string' || !input.trim()) throw new VerifyError('invalid_token', 'no token was sent', { realm, noToken: true });
  const m = /^\s*(?:bearer\s+)?(\S+)\s*$/i.exec(input);
  if (!m) throw new VerifyError('invalid_token', 'the Authorization header is not "Bearer <token>"', { realm });
  return m[1]!;
}

async function verifyPat(token: string, prefix: string, lookup: NonNullable<VerifierOptions['lookupPat']>, now: () => number, invalid: (why: string) => VerifyError): Promise<Verified> {
  if (!checkPatFormat(token, prefix)) throw invalid('the token is not a well-formed access token (its checksum does not match)');
  const record = await lookup(hashPat(token));
  if (!record) throw invalid('the access token is unknown or revoked');
  if (typeof record.expiresAt === 'number' && record.expiresAt * 1000 <= now()) throw invalid('the access token expired');
  const { scopes = [], ...claims } = record;
  return { claims: claims as Verified['claims'], scopes: [...scopes], kind: 'pat' };
}

/** `scope` (RFC 9068 §2.2.3, space-separated) or `scp` (Entra, Okta: an array). */
export function scopesOf(payload: JWTPayload): string[] {
  const { scope, scp } = payload as { scope?: unknown; scp?: unknown };
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  return [];
}

function describeJoseError(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'the token expired';
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf') return 'the token is not valid yet';
    if (e.claim === 'iat') return 'the token was issued in the future';
    if (e.claim === 'typ') return 'the token is not an RFC 9068 access token (typ at+jwt)';
    return `the token's ${e.claim} is not accepted (${e.reason})`;
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (e instanceof errors.JWKSNoMatchingKey) return "no key of the issuer matches the token's kid";
  if (e instanceof errors.JWKSMultipleMatchingKeys) return "several keys of the issuer match the token's kid";
  if (e instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not accepted";
  if (e instanceof errors.JWTInvalid || e instanceof errors.JWSInvalid) return 'the token is malformed';
  if (e instanceof errors.JOSENotSupported) return "the token's algorithm or key is not supported";
  return 'the token does not verify';
}
