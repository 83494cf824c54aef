/**
 * The agent's daily path against the real test IdP: device-flow login through the IdP's
 * own pages, cached tokens, refresh, narrowed scopes, rotation persisted, single-flight
 * refresh under load, invalid_grant → login_required, logout with revocation. Nothing of
 * ours is mocked; storage is the 0600 file here (the keychain has its own suite).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify, decodeJwt } from 'jose';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import { AuthctlError } from '../../shared/errors.js';
import type { StatusResponse, TokenResponse } from '../../shared/api.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { loginThroughAgent } from '../fixtures/login.js';

const TTL = 3;
let idp: TestIdp;
let home: TestHome;
let agent: RunningAgent;
let client: AgentClient;
const seen = new Set<string>();

function token(body: Record<string, unknown> = {}): Promise<TokenResponse> {
  return client.call<TokenResponse>('POST', '/v1/token', { profile: 'work', ...body }).then((t) => {
    seen.add(t.accessToken);
    return t;
  });
}

function storedRefreshToken(): string | undefined {
  const file = join(home.dir, 'state', 'authctl', 'sessions.json');
  return JSON.parse(readFileSync(file, 'utf8')).sessions.work?.refreshToken;
}

async function waitForExpiry(t: TokenResponse): Promise<void> {
  const ms = t.expiresAt * 1000 - Date.now() + 50;
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: TTL });
  home = makeTestHome();
  home.writeConfig({
    storage: 'file',
    // Tokens live 3 s here, so the default 60 s minimum validity would refresh on every request.
    profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'api:write'], minValidSeconds: 1 } },
  });
  agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
  client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
});

afterAll(async () => {
  await agent?.close();
  await idp?.close();
  home?.cleanup();
});

describe('agent spine', () => {
  it('refuses a token before login with login_required and the command to run', async () => {
    const err = await token().catch((e) => e);
    expect(err).toBeInstanceOf(AuthctlError);
    expect(err.code).toBe('login_required');
    expect(err.message).toContain('authctl login --profile work');
  });

  it('logs in through the device flow and stores the refresh token (0600 file here)', async () => {
    const events = await loginThroughAgent(client, idp, 'work');
    const kinds = events.map((e) => e.event);
    // First the flow and why: the API client said nothing about a browser, so device flow.
    expect(events[0]).toMatchObject({ event: 'flow', flow: 'device' });
    expect(kinds[1]).toBe('verification');
    expect(kinds).toContain('waiting');
    expect(kinds.at(-1)).toBe('success');
    const success = events.at(-1)!;
    expect(success).toMatchObject({ event: 'success', profile: 'work', subject: 'alice', storage: 'file' });
    const rt = storedRefreshToken();
    expect(rt).toBeTruthy();
    seen.add(rt!);
    const file = join(home.dir, 'state', 'authctl', 'sessions.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('hands out a JWT for the API that verifies against the JWKS, then serves it from cache', async () => {
    idp.resetCounts();
    const first = await token();
    const { payload } = await jwtVerify(first.accessToken, createRemoteJWKSet(new URL(idp.jwksUri)), { issuer: idp.issuer, audience: idp.resource });
    expect(payload.sub).toBe('alice');
    const second = await token();
    expect(second.accessToken).toBe(first.accessToken);
    expect(idp.counts().refresh).toBe(0);
  });

  it('refreshes once when less than minValidSeconds is left, and warns when the fresh token is shorter', async () => {
    idp.resetCounts();
    const before = await token();
    const t = await token({ minValidSeconds: TTL + 60 });
    expect(idp.counts().refresh).toBe(1);
    expect(t.accessToken).not.toBe(before.accessToken);
    expect(t.warning).toMatch(/less than the \d+s asked for/);
  });

  it('writes a rotated refresh token to storage before handing out the access token', async () => {
    const rtBefore = storedRefreshToken();
    const cached = await token();
    await waitForExpiry(cached);
    idp.resetCounts();
    await token();
    expect(idp.counts().refresh).toBe(1);
    const rtAfter = storedRefreshToken();
    expect(rtAfter).toBeTruthy();
    expect(rtAfter).not.toBe(rtBefore);
    seen.add(rtAfter!);
  });

  it('asks for exactly the scopes requested (a narrowed refresh grant), cached under its own key', async () => {
    idp.resetCounts();
    const narrow = await token({ scopes: ['api:read'] });
    expect(decodeJwt(narrow.accessToken).scope).toBe('api:read');
    expect(narrow.scopes).toEqual(['api:read']);
    const again = await token({ scopes: ['api:read'] });
    expect(again.accessToken).toBe(narrow.accessToken);
    expect(idp.counts().refresh).toBe(1);
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    const keys = status.profiles[0]!.cachedTokens.map((c) => c.scopes.join(' '));
    expect(keys).toContain('api:read');
    expect(JSON.stringify(status)).not.toContain(narrow.accessToken);
  });

  it('200 concurrent requests at expiry cause exactly one refresh and all succeed', async () => {
    const cached = await token();
    await waitForExpiry(cached);
    idp.resetCounts();
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => token()));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(200);
    expect(idp.counts().refresh).toBe(1);
    const values = new Set(results.map((r) => (r as PromiseFulfilledResult<TokenResponse>).value.accessToken));
    expect(values.size).toBe(1);
  });

  it('rejects bad input with 400 and a message naming the field', async () => {
    const res = await client.request<{ error: string; message: string }>('POST', '/v1/token', { profile: 'work', scopes: 'api:read' });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('"scopes"');
    const unknown = await client.request<{ error: string }>('POST', '/v1/token', { profile: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('unknown_profile');
  });

  it('logout revokes at the provider and deletes locally; the old refresh token is dead', async () => {
    const rt = storedRefreshToken()!;
    idp.resetCounts();
    const res = await client.call<{ profiles: Array<{ revoked: boolean; deleted: boolean }> }>('POST', '/v1/logout', { profile: 'work' });
    expect(res.profiles[0]).toMatchObject({ revoked: true, deleted: true });
    expect(idp.counts().revocation).toBe(1);
    expect(storedRefreshToken()).toBeUndefined();
    // The provider refuses the revoked token: proven with a raw refresh request.
    const meta = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    const r = await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: idp.clientId }),
    });
    expect((await r.json()).error).toBe('invalid_grant');
    const err = await token().catch((e) => e);
    expect(err.code).toBe('login_required');
  });

  it('a refresh token revoked behind the agent\'s back gives login_required and is deleted', async () => {
    await loginThroughAgent(client, idp, 'work');
    const rt = storedRefreshToken()!;
    seen.add(rt);
    const meta = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    await fetch(meta.revocation_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: rt, token_type_hint: 'refresh_token', client_id: idp.clientId }),
    });
    const err = await token({ minValidSeconds: 3600 }).catch((e) => e);
    expect(err.code).toBe('login_required');
    expect(err.message).toContain('authctl login --profile work');
    expect(storedRefreshToken()).toBeUndefined();
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    expect(status.profiles[0]!.state).toBe('login_required');
  });

  it('a denied login ends with login_required', async () => {
    const events = await loginThroughAgent(client, idp, 'work', { deny: true });
    expect(events.at(-1)).toMatchObject({ event: 'error', error: 'login_required' });
  });

  it('closing the login stream cancels the flow: the agent stops polling the provider', async () => {
    const { openLoginStream } = await import('../../client/login-stream.js');
    const stream = await openLoginStream(client, { profile: 'work' });
    for await (const ev of stream.events) if (ev.event === 'verification') break;
    stream.cancel();
    await new Promise((r) => setTimeout(r, 300));
    idp.resetCounts();
    await new Promise((r) => setTimeout(r, 2500)); // the test IdP's interval is 1 s
    expect(idp.counts().deviceCodePolls).toBe(0);
  });

  it('no token or refresh token the tests saw appears in any log line', async () => {
    await agent.log.close();
    const logs = home.logs();
    expect(logs).toContain('"message":"logged in"');
    expect(seen.size).toBeGreaterThan(5);
    for (const t of seen) expect(logs.includes(t)).toBe(false);
  });
});
