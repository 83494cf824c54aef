/**
 * The OAuth protocol steps, one named function each, on openid-client v6. Only the
 * broker calls this. Discovery metadata is cached per issuer with a TTL, so a refresh
 * costs one HTTP request, not two.
 */
import * as oidc from 'openid-client';
import { isLoopbackHost, type Profile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import { idpFailure } from './errors.js';
import type { FetchLike } from './transport.js';

export interface TokenSet {
  accessToken: string;
  tokenType: string;
  /** Seconds, as the provider said; the broker turns it into a time. */
  expiresIn?: number;
  refreshToken?: string;
  /** Granted scopes, when the provider said. */
  scopes?: string[];
  subject?: string;
  refreshExpiresIn?: number;
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

const METADATA_TTL_MS = 60 * 60 * 1000;

export class OAuthEngine {
  private readonly metadata = new Map<string, { at: number; server: oidc.ServerMetadata }>();

  constructor(
    readonly fetch: FetchLike,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * OpenID Connect Discovery 1.0 §4 / RFC 8414 §3: the provider's metadata, cached.
   * Plain http is allowed for loopback issuers only.
   */
  async configFor(profile: Pick<Profile, 'issuer' | 'clientId'>, fetchOverride?: FetchLike): Promise<oidc.Configuration> {
    const key = profile.issuer;
    let entry = this.metadata.get(key);
    if (!entry || this.now() - entry.at > METADATA_TTL_MS) {
      const discovered = await this.discover(profile);
      entry = { at: this.now(), server: discovered.serverMetadata() };
      this.metadata.set(key, entry);
    }
    const config = new oidc.Configuration(entry.server, profile.clientId, undefined, oidc.None());
    this.applyTransport(config, profile.issuer, fetchOverride);
    return config;
  }

  private async discover(profile: Pick<Profile, 'issuer' | 'clientId'>): Promise<oidc.Configuration> {
    const insecure = allowsPlainHttp(profile.issuer);
    try {
      return await oidc.discovery(new URL(profile.issuer), profile.clientId, undefined, oidc.None(), {
        [oidc.customFetch]: this.fetch as oidc.CustomFetch,
        execute: insecure ? [oidc.allowInsecureRequests] : [],
        timeout: 15,
      });
    } catch (e) {
      throw idpFailure(e, profile.issuer);
    }
  }

  private applyTransport(config: oidc.Configuration, issuer: string, fetchOverride?: FetchLike): void {
    config[oidc.customFetch] = (fetchOverride ?? this.fetch) as oidc.CustomFetch;
    config.timeout = 15;
    if (allowsPlainHttp(issuer)) oidc.allowInsecureRequests(config);
  }

  /** RFC 8628 §3.1–3.2: Device Authorization Request and Response. */
  async startDeviceAuthorization(config: oidc.Configuration, params: TokenParams & { extraParams?: Record<string, string> }): Promise<DeviceAuthorization> {
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
   * waits `interval` seconds before each poll and adds 5 s on `slow_down`, as §3.5 says.
   * `expired_token` and `access_denied` end the flow as login_required.
   */
  async pollDeviceToken(config: oidc.Configuration, device: DeviceAuthorization, signal: AbortSignal, params: TokenParams = {}): Promise<TokenSet> {
    try {
      const res = await oidc.pollDeviceAuthorizationGrant(config, device.raw, grantParams({ audience: params.audience, resource: params.resource }), { signal });
      return toTokenSet(res);
    } catch (e) {
      if (e instanceof oidc.ResponseBodyError && (e.error === 'expired_token' || e.error === 'access_denied' || e.error === 'authorization_declined')) {
        throw new AuthctlError(
          'login_required',
          e.error === 'expired_token' ? 'the code expired before it was approved' : 'the login was denied at the identity provider',
          { idpError: e.error },
        );
      }
      if (signal.aborted) throw new AuthctlError('cancelled', 'the login was cancelled');
      throw idpFailure(e, config.serverMetadata().issuer);
    }
  }

  /** RFC 6749 §6: Refreshing an Access Token, narrowed to the scopes asked for (least privilege). */
  async refresh(config: oidc.Configuration, refreshToken: string, params: TokenParams): Promise<TokenSet> {
    // Errors go to the broker unmapped: it must tell invalid_grant from everything else.
    const res = await oidc.refreshTokenGrant(config, refreshToken, grantParams(params));
    return toTokenSet(res);
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

function grantParams(p: TokenParams): Record<string, string> {
  const out: Record<string, string> = {};
  if (p.scopes?.length) out.scope = p.scopes.join(' ');
  if (p.audience) out.audience = p.audience;
  if (p.resource) out.resource = p.resource;
  return out;
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
    expiresIn: typeof res.expires_in === 'number' ? res.expires_in : undefined,
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

function allowsPlainHttp(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}
