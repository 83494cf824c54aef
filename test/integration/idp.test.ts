import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestIdp, type TestIdp, type TestIdpOptions } from '../fixtures/idp.js';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const API_SCOPE = 'openid offline_access api:read api:write';

interface OAuthResponse {
  status: number;
  body: Record<string, unknown>;
}

interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in: number;
  scope?: string;
  token_type: string;
}

async function postForm(url: string, params: Record<string, string>): Promise<OAuthResponse> {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(params) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function deviceAuthorization(idp: TestIdp, params: Record<string, string> = {}): Promise<OAuthResponse> {
  return postForm(`${idp.issuer}/device/auth`, { client_id: idp.clientId, scope: API_SCOPE, ...params });
}

function pollToken(idp: TestIdp, deviceCode: string): Promise<OAuthResponse> {
  return postForm(`${idp.issuer}/token`, { grant_type: DEVICE_CODE_GRANT, client_id: idp.clientId, device_code: deviceCode });
}

function refresh(idp: TestIdp, refreshToken: string, params: Record<string, string> = {}): Promise<OAuthResponse> {
  return postForm(`${idp.issuer}/token`, { grant_type: 'refresh_token', client_id: idp.clientId, refresh_token: refreshToken, ...params });
}

async function revoke(idp: TestIdp, token: string): Promise<number> {
  const response = await fetch(`${idp.issuer}/token/revocation`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: idp.clientId, token, token_type_hint: 'refresh_token' }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** The whole device flow as a CLI and its user would do it; returns the token response. */
async function deviceLogin(idp: TestIdp, params: Record<string, string> = {}, login?: string): Promise<Tokens> {
  const started = await deviceAuthorization(idp, params);
  expect(started.status).toBe(200);
  await idp.approveDevice(String(started.body.user_code), { login });
  const polled = await pollToken(idp, String(started.body.device_code));
  expect(polled.status, JSON.stringify(polled.body)).toBe(200);
  return polled.body as unknown as Tokens;
}

function tokens(response: OAuthResponse): Tokens {
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as unknown as Tokens;
}

async function verifyAccessToken(idp: TestIdp, token: string, audience = idp.resource): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(idp.jwksUri));
  const { payload } = await jwtVerify(token, jwks, { issuer: idp.issuer, audience });
  return payload;
}

describe('test IdP (oidc-provider)', () => {
  let idp: TestIdp;

  beforeAll(async () => {
    idp = await startTestIdp();
  });

  afterAll(async () => {
    await idp?.close();
  });

  it('listens on a random loopback port and advertises the device flow', async () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(idp.clientId).toBe('cli-app');
    expect(idp.resource).toBe('https://api.authctl.test');

    const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery.issuer).toBe(idp.issuer);
    expect(discovery.device_authorization_endpoint).toBe(`${idp.issuer}/device/auth`);
    expect(discovery.revocation_endpoint).toBe(`${idp.issuer}/token/revocation`);
    expect(discovery.jwks_uri).toBe(idp.jwksUri);
    expect(discovery.grant_types_supported).toEqual(expect.arrayContaining([DEVICE_CODE_GRANT, 'refresh_token']));
    expect(discovery.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write', 'admin:all']),
    );
  });

  it('runs the device flow end to end: pending, approval through the pages, JWT access token and refresh token', async () => {
    const started = await deviceAuthorization(idp);
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      device_code: expect.any(String),
      user_code: expect.stringMatching(/^[A-Z]{4}-[A-Z]{4}$/),
      verification_uri: `${idp.issuer}/device`,
      verification_uri_complete: expect.stringContaining(`${idp.issuer}/device?user_code=`),
      expires_in: 600,
      interval: 1,
    });
    const deviceCode = String(started.body.device_code);

    const pending = await pollToken(idp, deviceCode);
    expect(pending).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });

    await idp.approveDevice(String(started.body.user_code));

    const issued = tokens(await pollToken(idp, deviceCode));
    expect(issued.token_type).toBe('Bearer');
    expect(issued.expires_in).toBe(300);
    expect(issued.scope).toBe('api:read api:write');
    expect(issued.refresh_token).toEqual(expect.any(String));
    expect(issued.id_token).toEqual(expect.any(String));

    const claims = await verifyAccessToken(idp, issued.access_token);
    expect(claims).toMatchObject({
      iss: idp.issuer,
      aud: 'https://api.authctl.test',
      sub: 'alice',
      client_id: 'cli-app',
      scope: 'api:read api:write',
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(300);

    // A device code is good for one token response only.
    const again = await pollToken(idp, deviceCode);
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('uses the login name entered on the sign-in page as the subject', async () => {
    const issued = await deviceLogin(idp, {}, 'bob');
    expect((await verifyAccessToken(idp, issued.access_token)).sub).toBe('bob');
  });

  it('gives no refresh token without offline_access', async () => {
    const issued = await deviceLogin(idp, { scope: 'openid api:read' });
    expect(issued.refresh_token).toBeUndefined();
    expect(issued.scope).toBe('api:read');
  });

  it('rotates refresh tokens, narrows scope on refresh, and treats reuse of a rotated token as theft', async () => {
    const first = await deviceLogin(idp);
    const firstRefresh = String(first.refresh_token);

    const rotated = tokens(await refresh(idp, firstRefresh));
    expect(rotated.refresh_token).toEqual(expect.any(String));
    expect(rotated.refresh_token).not.toBe(firstRefresh);
    expect(rotated.scope).toBe('api:read api:write');
    expect((await verifyAccessToken(idp, rotated.access_token)).scope).toBe('api:read api:write');

    const narrowed = tokens(await refresh(idp, String(rotated.refresh_token), { scope: 'api:read' }));
    expect(narrowed.scope).toBe('api:read');
    const narrowedClaims = await verifyAccessToken(idp, narrowed.access_token);
    expect(narrowedClaims.scope).toBe('api:read');
    expect(narrowedClaims.aud).toBe(idp.resource);

    // Narrowing is per request: the refresh token keeps the full grant.
    const widened = tokens(await refresh(idp, String(narrowed.refresh_token)));
    expect(widened.scope).toBe('api:read api:write');

    const beyondGrant = await refresh(idp, String(widened.refresh_token), { scope: 'admin:all' });
    expect(beyondGrant).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });

    const reused = await refresh(idp, firstRefresh);
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // oidc-provider's reuse detection revokes the whole grant, so the newest token dies too.
    const latest = await refresh(idp, String(widened.refresh_token));
    expect(latest).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('makes a revoked refresh token fail with invalid_grant', async () => {
    const issued = await deviceLogin(idp);
    expect(await revoke(idp, String(issued.refresh_token))).toBe(200);
    const afterRevocation = await refresh(idp, String(issued.refresh_token));
    expect(afterRevocation).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('reports access_denied to the poller when the user presses Abort', async () => {
    const started = await deviceAuthorization(idp);
    await idp.denyDevice(String(started.body.user_code));
    const polled = await pollToken(idp, String(started.body.device_code));
    expect(polled).toMatchObject({ status: 400, body: { error: 'access_denied' } });
  });

  it('refuses to approve an unknown user code', async () => {
    await expect(idp.approveDevice('BCDF-GHJK')).rejects.toThrow(/not accepted/);
  });

  it('accepts Auth0-style audience for other *.authctl.test resource servers', async () => {
    const admin = 'https://admin.authctl.test';
    const issued = await deviceLogin(idp, { scope: 'offline_access admin:all', audience: admin });
    expect(issued.scope).toBe('admin:all');
    const claims = await verifyAccessToken(idp, issued.access_token, admin);
    expect(claims.aud).toBe(admin);

    const refreshed = tokens(await refresh(idp, String(issued.refresh_token), { audience: admin }));
    expect((await verifyAccessToken(idp, refreshed.access_token, admin)).scope).toBe('admin:all');

    const notGranted = await refresh(idp, String(refreshed.refresh_token), { audience: idp.resource });
    expect(notGranted).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
  });

  it('rejects resources outside *.authctl.test', async () => {
    const started = await deviceAuthorization(idp, { audience: 'https://api.example.com' });
    expect(started).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
  });

  it('counts the requests that reach it, failed ones included', async () => {
    idp.resetCounts();
    expect(idp.counts()).toEqual({ deviceAuthorization: 0, deviceCodePolls: 0, refresh: 0, revocation: 0 });

    const started = await deviceAuthorization(idp);
    await pollToken(idp, String(started.body.device_code));
    await idp.approveDevice(String(started.body.user_code));
    const issued = tokens(await pollToken(idp, String(started.body.device_code)));
    const refreshed = tokens(await refresh(idp, String(issued.refresh_token)));
    await revoke(idp, String(refreshed.refresh_token));
    await refresh(idp, String(refreshed.refresh_token));

    expect(idp.counts()).toEqual({ deviceAuthorization: 1, deviceCodePolls: 2, refresh: 2, revocation: 1 });
    idp.resetCounts();
    expect(idp.counts()).toEqual({ deviceAuthorization: 0, deviceCodePolls: 0, refresh: 0, revocation: 0 });
  });
});

describe('test IdP options', () => {
  const started: TestIdp[] = [];
  async function start(opts: TestIdpOptions): Promise<TestIdp> {
    const idp = await startTestIdp(opts);
    started.push(idp);
    return idp;
  }

  afterAll(async () => {
    await Promise.all(started.map((idp) => idp.close()));
  });

  it('keeps the same refresh token when rotation is off', async () => {
    const idp = await start({ rotateRefreshTokens: false });
    const issued = await deviceLogin(idp);
    const first = tokens(await refresh(idp, String(issued.refresh_token)));
    expect(first.refresh_token).toBe(issued.refresh_token);
    const second = tokens(await refresh(idp, String(issued.refresh_token)));
    expect(second.refresh_token).toBe(issued.refresh_token);
  });

  it('issues access tokens that expire after a 2 second TTL', async () => {
    const idp = await start({ accessTokenTTL: 2, interval: 3, deviceCodeTTL: 30 });
    const authorization = await deviceAuthorization(idp);
    expect(authorization.body).toMatchObject({ interval: 3, expires_in: 30 });

    const issued = await deviceLogin(idp);
    expect(issued.expires_in).toBe(2);
    const claims = await verifyAccessToken(idp, issued.access_token);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(2);

    await new Promise((resolve) => setTimeout(resolve, 3100));
    await expect(verifyAccessToken(idp, issued.access_token)).rejects.toBeInstanceOf(joseErrors.JWTExpired);
    const refreshed = tokens(await refresh(idp, String(issued.refresh_token)));
    await expect(verifyAccessToken(idp, refreshed.access_token)).resolves.toMatchObject({ sub: 'alice' });
  });

  it('expires device codes after deviceCodeTTL', async () => {
    const idp = await start({ deviceCodeTTL: 1 });
    const authorization = await deviceAuthorization(idp);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const polled = await pollToken(idp, String(authorization.body.device_code));
    expect(polled).toMatchObject({ status: 400, body: { error: 'expired_token' } });
  });

  it('closes its keep-alive connections on close()', async () => {
    const idp = await startTestIdp();
    // fetch keeps this connection alive; close() must not wait for it.
    await fetch(`${idp.issuer}/.well-known/openid-configuration`).then((r) => r.arrayBuffer());
    const closing = Date.now();
    await idp.close();
    expect(Date.now() - closing).toBeLessThan(1000);
    await expect(fetch(`${idp.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
  });
});
