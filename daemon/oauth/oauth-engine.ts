/**
 * The OAuth protocol steps, one named function each, on openid-client v6. Only the
 * broker calls this. Discovery metadata is cached per issuer with a TTL, so a refresh
 * costs one HTTP request, not two; providers without discovery give their endpoints in
 * the profile. Every Configuration gets the profile's quirk rewriters (transport.ts).
 */
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { isLoopbackHost, type Profile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import { idpFailure, isTransient } from './errors.js';
import { ProviderClock } from './provider-clock.js';
import { captureTokenAnswers, type RawTokenAnswer } from './token-answer.js';
import { step, traceUrl, tracing } from '../trace.js';
import { quirksFor, withQuirks, type FetchLike } from './transport.js';

export interface TokenSet {
  accessToken: string;
  tokenType: string;
  /** Seconds, as the provider said (or exp - iat of a JWT); the broker turns it into a time. */
  expiresIn?: number;
  refreshToken?: string;
  /** Granted scopes, when the provider said. */
  scopes?: string[];
  subject?: string;
  refreshExpiresIn?: number;
  /**
   * Set when openid-client refused an answer the provider had accepted (200 with a token)
   * and the raw answer was used instead: what the check said, for the log.
   */
  validationProblem?: string;
}

export interface RefreshOptions {
  /** Aborts the request (the broker's refresh budget). */
  signal?: AbortSignal;
  /** Awaited with the provider's raw 200 answer, before anything can reject it. */
  onAccepted?: (answer: RawTokenAnswer) => Promise<void>;
}

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresIn: number;
  interval: number;
  raw: oidc.DeviceAuthorizationResponse;
}

export interface TokenParams {
  scopes?: string[];
  audience?: string;
  resource?: string;
}

export type ProviderProfile = Pick<Profile, 'issuer' | 'clientId'> & Partial<Pick<Profile, 'provider' | 'endpoints' | 'clientSecret'>>;

export interface OAuthEngineOptions {
  /** Per-request timeout in seconds (default 15). */
  timeoutSeconds?: number;
  now?: () => number;
}

const METADATA_TTL_MS = 60 * 60 * 1000;
const DEFAULT_TIMEOUT_S = 15;

export class OAuthEngine {
  private readonly metadata = new Map<string, { at: number; server: oidc.ServerMetadata }>();
  private readonly now: () => number;
  private readonly timeoutSeconds: number;
  /** Each provider's clock against ours, from the Date header of every answer. */
  readonly clock = new ProviderClock();
  /** The transport, measuring the providers' clocks as answers arrive. */
  readonly fetch: FetchLike;

  constructor(fetch: FetchLike, opts: OAuthEngineOptions = {}) {
    this.fetch = traced(this.clock.observe(fetch));
    this.now = opts.now ?? Date.now;
    this.timeoutSeconds = opts.timeoutSeconds ?? DEFAULT_TIMEOUT_S;
  }

  /**
   * The client configuration for a profile: explicit endpoints when the profile has them,
   * else the provider's metadata (cached). Google's installed-app secret is sent with
   * client_secret_post; every other client is public (RFC 6749 §2.1). The provider's
   * clock skew, as last measured, is openid-client's clock skew: ID token times are
   * checked against the provider's clock (with openid-client's 30 s tolerance around it).
   */
  async configFor(profile: ProviderProfile, fetchOverride?: FetchLike): Promise<oidc.Configuration> {
    const server = profile.endpoints ? explicitMetadata(profile) : await this.discovered(profile);
    checkEndpoints(server, profile.issuer);
    const skew = this.clock.skewOf(server.token_endpoint ?? profile.issuer) ?? this.clock.skewOf(profile.issuer) ?? 0;
    const metadata: Partial<oidc.ClientMetadata> = { [oidc.clockSkew]: skew, ...(profile.clientSecret ? { client_secret: profile.clientSecret } : {}) };
    const config = new oidc.Configuration(server, profile.clientId, metadata, profile.clientSecret ? oidc.ClientSecretPost(profile.clientSecret) : oidc.None());
    config[oidc.customFetch] = withQuirks(fetchOverride ?? this.fetch, quirksFor(profile as Profile)) as oidc.CustomFetch;
    config.timeout = this.timeoutSeconds;
    if (allowsPlainHttp(profile)) oidc.allowInsecureRequests(config);
    return config;
  }

  /**
   * OpenID Connect Discovery 1.0 §4, then RFC 8414 §3 for OAuth-only servers; cached for
   * an hour. While the provider is down, metadata past its TTL is used rather than failing.
   */
  private async discovered(profile: ProviderProfile): Promise<oidc.ServerMetadata> {
    const entry = this.metadata.get(profile.issuer);
    if (entry && this.now() - entry.at <= METADATA_TTL_MS) return entry.server;
    try {
      const server = await this.discover(profile);
      this.metadata.set(profile.issuer, { at: this.now(), server });
      return server;
    } catch (e) {
      if (entry && idpFailure(e, profile.issuer).code === 'idp_unavailable') return entry.server;
      throw idpFailure(e, profile.issuer);
    }
  }

  private async discover(profile: ProviderProfile): Promise<oidc.ServerMetadata> {
    const options = {
      [oidc.customFetch]: this.fetch as oidc.CustomFetch,
      execute: allowsPlainHttp(profile) ? [oidc.allowInsecureRequests] : [],
      timeout: this.timeoutSeconds,
    };
    const issuer = new URL(profile.issuer);
    const notFound = (e: unknown) => idpFailure(e, profile.issuer).details.httpStatus === 404;
    try {
      return (await oidc.discovery(issuer, profile.clientId, undefined, oidc.None(), options)).serverMetadata();
    } catch (e) {
      if (!notFound(e)) throw e;
    }
    try {
      return (await oidc.discovery(issuer, profile.clientId, undefined, oidc.None(), { ...options, algorithm: 'oauth2' })).serverMetadata();
    } catch (e) {
      if (!notFound(e)) throw e;
      throw new AuthctlError(
        'idp_error',
        `${issuer.host} publishes no metadata for ${profile.issuer} (neither OpenID discovery nor RFC 8414): use its preset (--provider) or give the endpoints with --provider manual`,
      );
    }
  }

  /** RFC 8628 §3.1–3.2: Device Authorization Request and Response. */
  async startDeviceAuthorization(config: oidc.Configuration, params: TokenParams & { extraParams?: Record<string, string> }): Promise<DeviceAuthorization> {
    if (!config.serverMetadata().device_authorization_endpoint) {
      throw new AuthctlError('idp_error', `${new URL(config.serverMetadata().issuer).host} offers no device authorization endpoint (RFC 8628), which \`authctl login\` needs`);
    }
    try {
      const res = await oidc.initiateDeviceAuthorization(config, { ...params.extraParams, ...grantParams(params) });
      return {
        deviceCode: res.device_code,
        userCode: res.user_code,
        verificationUri: res.verification_uri,
        verificationUriComplete: res.verification_uri_complete,
        expiresIn: res.expires_in,
        // §3.2: "If no value is provided, clients MUST use 5 as the default."
        interval: res.interval ?? 5,
        raw: res,
      };
    } catch (e) {
      throw idpFailure(e, config.serverMetadata().issuer);
    }
  }

  /**
   * RFC 8628 §3.4–3.5: polls the token endpoint until the user decides. openid-client
   * waits `interval` seconds before each poll and adds 5 s on `slow_down`, as §3.5 says;
   * the transport holds polls back further when the provider names a longer interval.
   * `expired_token` and `access_denied` end the flow as login_required. A transient
   * failure of one poll (a 5xx, a reset connection, a 429) does not: polling goes on, at
   * the interval reached so far, until the code expires by our clock (§3.2 expires_in).
   */
  async pollDeviceToken(config: oidc.Configuration, device: DeviceAuthorization, signal: AbortSignal, params: TokenParams = {}): Promise<TokenSet> {
    const issuer = config.serverMetadata().issuer;
    const capture = captureTokenAnswers(config[oidc.customFetch] as FetchLike, config.serverMetadata().token_endpoint!, { interval: device.interval });
    config[oidc.customFetch] = capture.fetch as oidc.CustomFetch;
    const expiry = AbortSignal.timeout(device.expiresIn * 1000);
    const polling = AbortSignal.any([signal, expiry]);
    const expired = () => new AuthctlError('login_required', 'the code expired before it was approved', { idpError: 'expired_token' });
    for (;;) {
      try {
        const raw = { ...device.raw, interval: capture.interval() };
        const res = await oidc.pollDeviceAuthorizationGrant(config, raw, grantParams({ audience: params.audience, resource: params.resource }), { signal: polling });
        return toTokenSet(res);
      } catch (e) {
        const answer = capture.accepted();
        if (answer) return fromRawAnswer(answer, e);
        if (e instanceof oidc.ResponseBodyError && (e.error === 'expired_token' || e.error === 'access_denied')) {
          if (e.error === 'expired_token') throw expired();
          throw new AuthctlError('login_required', 'the login was denied at the identity provider', { idpError: e.error });
        }
        if (signal.aborted) throw new AuthctlError('cancelled', 'the login was cancelled');
        if (expiry.aborted) throw expired();
        if (!isTransient(e, issuer)) throw idpFailure(e, issuer);
        // The next poll comes after the interval (openid-client waits before each poll);
        // a longer wait the provider asked for is added here.
        const extra = Number(idpFailure(e, issuer).details.retryAfterMs ?? 0) - capture.interval() * 1000;
        if (extra > 0) await sleep(extra, polling).catch(() => undefined);
      }
    }
  }

  /**
   * RFC 6749 §6: Refreshing an Access Token, narrowed to the scopes asked for (least
   * privilege). The provider's 200 answer is handed to `onAccepted` before openid-client
   * checks it; if a check then fails, the raw answer is used (the agent reads no more from
   * it than the tokens, their lifetimes and scopes).
   */
  async refresh(config: oidc.Configuration, refreshToken: string, params: TokenParams, opts: RefreshOptions = {}): Promise<TokenSet> {
    const capture = captureTokenAnswers(withSignal(config[oidc.customFetch] as FetchLike, opts.signal), config.serverMetadata().token_endpoint!, { onAccepted: opts.onAccepted });
    config[oidc.customFetch] = capture.fetch as oidc.CustomFetch;
    try {
      return toTokenSet(await oidc.refreshTokenGrant(config, refreshToken, grantParams(params)));
    } catch (e) {
      const answer = capture.accepted();
      // Errors go to the broker unmapped: it must tell invalid_grant from everything else.
      if (!answer) throw e;
      return fromRawAnswer(answer, e);
    }
  }

  /**
   * RFC 6749 §4.1.3 Access Token Request with the PKCE verifier (RFC 7636 §4.5), after the
   * callback passed the listener's checks. openid-client checks `state` and RFC 9207 `iss`
   * again, and the ID token's `nonce`. `callback` is the URL the browser was redirected to.
   */
  async exchangeAuthorizationCode(config: oidc.Configuration, callback: URL, checks: { pkceVerifier: string; state: string; nonce?: string }, params: TokenParams = {}): Promise<TokenSet> {
    const capture = captureTokenAnswers(config[oidc.customFetch] as FetchLike, config.serverMetadata().token_endpoint!, {});
    config[oidc.customFetch] = capture.fetch as oidc.CustomFetch;
    try {
      const res = await oidc.authorizationCodeGrant(
        config,
        callback,
        { pkceCodeVerifier: checks.pkceVerifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: Boolean(checks.nonce) },
        grantParams({ audience: params.audience, resource: params.resource }),
      );
      return toTokenSet(res);
    } catch (e) {
      // An ID token for another request (nonce) is refused; other checks the agent does not need give way as in device flow.
      const answer = capture.accepted();
      if (answer && !/nonce/i.test((e as Error).message)) return fromRawAnswer(answer, e);
      if (e instanceof oidc.ResponseBodyError && e.error === 'invalid_grant')
        throw new AuthctlError('login_required', 'the provider refused the authorization code (expired or already used): run `authctl login` again', { idpError: e.error });
      throw idpFailure(e, config.serverMetadata().issuer);
    }
  }

  /** RFC 7009 §2.1: Revocation Request, hinting that this is a refresh token. */
  async revoke(config: oidc.Configuration, refreshToken: string): Promise<void> {
    if (!config.serverMetadata().revocation_endpoint) {
      throw new AuthctlError('idp_error', 'the provider offers no revocation endpoint');
    }
    try {
      await oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
    } catch (e) {
      throw idpFailure(e, config.serverMetadata().issuer);
    }
  }
}

/** Metadata for a provider without discovery (GitHub, `manual`, Entra's fixed endpoints). */
function explicitMetadata(profile: ProviderProfile): oidc.ServerMetadata {
  const e = profile.endpoints!;
  return {
    issuer: profile.issuer,
    ...(e.authorization ? { authorization_endpoint: e.authorization } : {}),
    device_authorization_endpoint: e.deviceAuthorization,
    token_endpoint: e.token,
    ...(e.revocation ? { revocation_endpoint: e.revocation } : {}),
  };
}

function grantParams(p: TokenParams): Record<string, string> {
  const out: Record<string, string> = {};
  if (p.scopes?.length) out.scope = p.scopes.join(' ');
  if (p.audience) out.audience = p.audience;
  if (p.resource) out.resource = p.resource;
  return out;
}

/**
 * The provider's own answer, used when openid-client refused it after the provider had
 * issued tokens. Only an access token is required; everything optional that is malformed
 * is left out (a scope that is not a string, a refresh token that is not one). The ID
 * token is read for its subject only, unverified: it came straight from the token
 * endpoint over TLS (OpenID Connect Core §3.1.3.7 lets TLS stand in for its signature).
 */
function fromRawAnswer(answer: RawTokenAnswer, refused: unknown): TokenSet {
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
  const accessToken = answer.access_token as string;
  let subject: string | undefined;
  try {
    subject = str(answer.id_token) ? decodeJwt(answer.id_token as string).sub : undefined;
  } catch {
    subject = undefined;
  }
  const scope = answer.scope;
  const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : Array.isArray(scope) && scope.every((x) => typeof x === 'string') ? (scope as string[]) : undefined;
  const reason = refused instanceof Error ? `${refused.message}${refused.cause instanceof Error ? `: ${refused.cause.message}` : ''}` : String(refused);
  return {
    accessToken,
    tokenType: canonicalTokenType(str(answer.token_type)),
    expiresIn: num(answer.expires_in) ?? jwtLifetime(accessToken),
    refreshToken: str(answer.refresh_token),
    scopes,
    subject,
    refreshExpiresIn: num(answer.refresh_expires_in),
    validationProblem: reason.slice(0, 300),
  };
}

/** A fetch whose requests are also aborted by `signal` (the broker's deadline). */
function withSignal(fetch: FetchLike, signal?: AbortSignal): FetchLike {
  if (!signal) return fetch;
  return (url, init) => fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
  });
}

function toTokenSet(res: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): TokenSet {
  let subject: string | undefined;
  try {
    subject = res.claims()?.sub;
  } catch {
    subject = undefined;
  }
  const refreshExpiresIn = Number((res as Record<string, unknown>).refresh_expires_in);
  return {
    accessToken: res.access_token,
    tokenType: canonicalTokenType(res.token_type),
    expiresIn: typeof res.expires_in === 'number' ? res.expires_in : jwtLifetime(res.access_token),
    refreshToken: res.refresh_token,
    scopes: typeof res.scope === 'string' ? res.scope.split(' ').filter(Boolean) : undefined,
    subject,
    refreshExpiresIn: Number.isFinite(refreshExpiresIn) && refreshExpiresIn > 0 ? refreshExpiresIn : undefined,
  };
}

/** openid-client lower-cases token_type; HTTP auth schemes are written Bearer and DPoP. */
function canonicalTokenType(t: string | undefined): string {
  const lower = (t ?? 'bearer').toLowerCase();
  return lower === 'bearer' ? 'Bearer' : lower === 'dpop' ? 'DPoP' : (t as string);
}

/**
 * Without expires_in, a JWT's own lifetime (exp - iat, both by the provider's clock) is
 * counted from when the answer arrived: comparing `exp` with our clock would be off by
 * whatever the two clocks disagree.
 */
export function jwtLifetime(token: string): number | undefined {
  try {
    const { exp, iat } = decodeJwt(token);
    return typeof exp === 'number' && typeof iat === 'number' && exp > iat ? exp - iat : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RFC 8414 §2 / OpenID Discovery §3: every endpoint the metadata names is checked on its own
 * before anything is sent. https always; plain http only to this machine and only for an issuer
 * on this machine, so a loopback test issuer cannot make `http://elsewhere/token` acceptable
 * (openid-client's allowInsecureRequests applies to the whole configuration).
 */
export function checkEndpoints(server: oidc.ServerMetadata, issuer: string): void {
  const localIssuer = isLoopbackHost(new URL(issuer).hostname);
  const named: Array<[string, unknown]> = Object.entries(server).filter(([k]) => k.endsWith('_endpoint') || k === 'jwks_uri');
  const aliases = (server as Record<string, unknown>).mtls_endpoint_aliases;
  if (aliases && typeof aliases === 'object') named.push(...Object.entries(aliases as Record<string, unknown>).map(([k, v]): [string, unknown] => [`mtls_endpoint_aliases.${k}`, v]));
  for (const [name, value] of named) {
    if (value === undefined) continue;
    const url = typeof value === 'string' ? URL.parse(value) : null;
    if (url?.protocol === 'https:') continue;
    if (url?.protocol === 'http:' && localIssuer && isLoopbackHost(url.hostname)) continue;
    const shown = String(value).slice(0, 200);
    throw new AuthctlError(
      'idp_error',
      `the provider ${new URL(issuer).host} names an endpoint authctl will not use: ${name} ${JSON.stringify(shown)} is not https (plain http only to this machine, for a provider on this machine); nothing was sent there: fix the provider's metadata or give the endpoints in the profile`,
    );
  }
}

/** Plain http only to loopback (the config schema refuses any other http URL). */
function allowsPlainHttp(profile: ProviderProfile): boolean {
  const urls = [profile.issuer, ...Object.values(profile.endpoints ?? {})];
  return urls.some((u) => {
    const url = new URL(u);
    return url.protocol === 'http:' && isLoopbackHost(url.hostname);
  });
}

/** Each provider call of a traced (`--verbose`) request: method, URL without query, status, time. */
function traced(fetch: FetchLike): FetchLike {
  return async (url, init) => {
    if (!tracing()) return fetch(url, init);
    const method = (init.method ?? 'GET').toUpperCase();
    const started = Date.now();
    try {
      const res = await fetch(url, init);
      step(() => `${method} ${traceUrl(url)} → HTTP ${res.status} (${Date.now() - started} ms)`);
      return res;
    } catch (e) {
      step(() => `${method} ${traceUrl(url)} failed after ${Date.now() - started} ms: ${(e as Error).name}${(e as NodeJS.ErrnoException).code ? ` ${(e as NodeJS.ErrnoException).code}` : ''}`);
      throw e;
    }
  };
}
