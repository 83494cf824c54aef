/**
 * A profile without a provider preset against a provider speaking the dialect variants
 * widely used clients tolerate (issue 10, item 16; golang.org/x/oauth2 accepts all of
 * them): `verification_url` for `verification_uri`, numbers sent as strings, no
 * `interval` (5 s then, RFC 8628 §3.2), and errors under other HTTP statuses (pending as
 * 428, a denial as 403, a refused refresh token as 401). The test IdP's `loose` mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import type { StatusResponse, TokenResponse } from '../../shared/api.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';

let idp: TestIdp;
let home: TestHome;
let agent: RunningAgent;
let client: AgentClient;

beforeAll(async () => {
  idp = await startTestIdp({ mode: 'loose', interval: null, accessTokenTTL: 300 });
  home = makeTestHome();
  // No `provider`: nothing tells the agent which dialect to expect.
  home.writeConfig({ storage: 'file', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
  agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
  client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
});

afterAll(async () => {
  await agent?.close();
  await idp?.close();
  home?.cleanup();
});

describe('dialects without a preset', () => {
  it('logs in (verification_url, string numbers, no interval, 428 pending) and refreshes', async () => {
    const events = await loginThroughAgent(client, idp, 'work');
    const verification = events.find((e) => e.event === 'verification');
    expect(verification).toMatchObject({ verificationUri: `${idp.issuer}/device` });
    expect(events).toContainEqual({ event: 'waiting', interval: 5 });
    expect(events.at(-1)).toMatchObject({ event: 'success', subject: 'alice' });

    await client.call('POST', '/v1/invalidate', { profile: 'work' });
    const t = await client.call<TokenResponse>('POST', '/v1/token', { profile: 'work' });
    expect(idp.counts().refresh).toBe(1);
    // expires_in "300", as a string: the token's life is counted from it.
    const left = t.expiresAt - Date.now() / 1000;
    expect(left).toBeGreaterThan(250);
    expect(left).toBeLessThanOrEqual(301);
  });

  it('a denial under 403 ends the login as login_required', async () => {
    const events = await loginThroughAgent(client, idp, 'work', { deny: true });
    expect(events.at(-1)).toMatchObject({ event: 'error', error: 'login_required', message: expect.stringMatching(/denied/) });
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    expect(status.profiles[0]).toMatchObject({ state: 'logged_in' }); // the earlier session stays
  });
});
