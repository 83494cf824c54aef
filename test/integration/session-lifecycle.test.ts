/**
 * Login and logout as a session's lifecycle, against the real test IdP (which counts
 * revocations): a new login revokes the session it replaces; of two concurrent logins for
 * one profile the newer continues and the older is cancelled with a message that says
 * why; a logout during a pending login cancels it. Storage is the 0600 file here.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient } from '../../client/agent-client.js';
import { openLoginStream, type LoginStream } from '../../client/login-stream.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import type { LoginEvent, LogoutResponse, StatusResponse, TokenResponse } from '../../shared/api.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';

let idp: TestIdp;
let home: TestHome;
let agent: RunningAgent;
let client: AgentClient;

function stored(): { refreshToken?: string; subject?: string } | undefined {
  return JSON.parse(readFileSync(join(home.dir, 'state', 'authctl', 'sessions.json'), 'utf8')).sessions.work;
}

/** Reads a login stream up to its first verification event; the rest stays for later. */
async function startLogin(): Promise<{ stream: LoginStream; verification: Extract<LoginEvent, { event: 'verification' }>; rest: AsyncIterator<LoginEvent> }> {
  const stream = await openLoginStream(client, { profile: 'work' });
  const rest = stream.events[Symbol.asyncIterator]();
  for (;;) {
    const next = await rest.next();
    if (next.done) throw new Error('the login stream ended before its verification event');
    if (next.value.event === 'verification') return { stream, verification: next.value, rest };
  }
}

async function finish(rest: AsyncIterator<LoginEvent>): Promise<LoginEvent> {
  let last: LoginEvent | undefined;
  for (let n = await rest.next(); !n.done; n = await rest.next()) last = n.value;
  return last!;
}

/** Asks the IdP's token endpoint directly whether a refresh token is still good. */
async function refreshTokenWorks(rt: string): Promise<boolean> {
  const meta = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: idp.clientId }),
  });
  return res.status === 200;
}

beforeAll(async () => {
  // No rotation, so a refresh token stays good until it is revoked.
  idp = await startTestIdp({ accessTokenTTL: 300, rotateRefreshTokens: false });
  home = makeTestHome();
  home.writeConfig({ storage: 'file', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
  agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
  client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
});

afterAll(async () => {
  await agent?.close();
  await idp?.close();
  home?.cleanup();
});

beforeEach(async () => {
  await client.call('POST', '/v1/logout', { profile: 'work' });
  idp.resetCounts();
});

describe('session lifecycle', () => {
  it('a new login revokes the refresh token of the session it replaces', async () => {
    expect((await loginThroughAgent(client, idp, 'work', { login: 'alice' })).at(-1)).toMatchObject({ event: 'success', subject: 'alice' });
    const first = stored()!.refreshToken!;
    expect((await loginThroughAgent(client, idp, 'work', { login: 'bob' })).at(-1)).toMatchObject({ event: 'success', subject: 'bob' });
    const second = stored()!.refreshToken!;
    expect(second !== first).toBe(true);
    expect(idp.counts().revocation).toBe(1);
    expect(await refreshTokenWorks(first)).toBe(false);
    expect(await refreshTokenWorks(second)).toBe(true);
  });

  it('of two concurrent logins for one profile, the newer continues and the older is cancelled with a clear message', async () => {
    const older = await startLogin();
    const newer = await startLogin();
    const olderEnd = await finish(older.rest);
    expect(olderEnd).toMatchObject({ event: 'error', error: 'cancelled' });
    expect((olderEnd as { message: string }).message).toContain('another `authctl login --profile work` started');
    // Approving the cancelled login's code at the provider changes nothing here.
    await idp.approveDevice(older.verification.userCode, { login: 'alice' });
    await idp.approveDevice(newer.verification.userCode, { login: 'bob' });
    expect(await finish(newer.rest)).toMatchObject({ event: 'success', subject: 'bob' });
    expect(stored()).toMatchObject({ subject: 'bob' });
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    expect(status.profiles.find((p) => p.name === 'work')).toMatchObject({ state: 'logged_in', subject: 'bob' });
    const t = await client.call<TokenResponse>('POST', '/v1/token', { profile: 'work', minValidSeconds: 600 });
    expect(t.accessToken).toMatch(/^eyJ/);
  });

  it('logout during a pending login cancels that login', async () => {
    const pending = await startLogin();
    const out = await client.call<LogoutResponse>('POST', '/v1/logout', { profile: 'work' });
    expect(out.profiles[0]).toMatchObject({ profile: 'work', cancelledLogin: true });
    const end = await finish(pending.rest);
    expect(end).toMatchObject({ event: 'error', error: 'cancelled' });
    expect((end as { message: string }).message).toContain('cancelled by `authctl logout`');
    await idp.approveDevice(pending.verification.userCode);
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    expect(status.profiles.find((p) => p.name === 'work')).toMatchObject({ state: 'logged_out', hasRefreshToken: false });
    expect(stored()).toBeUndefined();
  });
});
