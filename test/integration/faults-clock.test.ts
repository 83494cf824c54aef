/**
 * Clock skew. The agent counts a token's life from `expires_in` and the moment the answer
 * arrived, so a provider whose clock is off does not shorten (or stretch) it; and
 * GET /v1/diagnostics (what `authctl doctor` shows) measures the skew from the provider's
 * Date header and warns beyond 30 s.
 */
import { createServer } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent } from '../../daemon/agent.js';
import type { DiagnosticsResponse, StatusResponse, TokenResponse } from '../../shared/api.js';
import { spawnAgent } from '../fixtures/agent-process.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startFaultProxy } from '../fixtures/fault-proxy.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('clock skew', () => {
  it('GET /v1/diagnostics reports reachability and each provider\'s clock against ours', async () => {
    const proxy = await startFaultProxy();
    const skewedIdp = await startTestIdp({ issuer: proxy.url });
    proxy.setTarget(skewedIdp.listenUrl);
    proxy.skewDate(120);
    const nearIdp = await startTestIdp();
    const home = makeTestHome();
    cleanups.push(() => home.cleanup(), () => proxy.close(), () => skewedIdp.close(), () => nearIdp.close());
    const profile = (issuer: string) => ({ issuer, clientId: 'cli-app', scopes: ['openid'] });
    home.writeConfig({
      storage: 'file',
      profiles: { skewed: profile(skewedIdp.issuer), near: profile(nearIdp.issuer), gone: profile(`http://127.0.0.1:${await closedPort()}`) },
    });
    const agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
    cleanups.push(() => agent.close());
    const client = new AgentClient({ socketPath: agent.socketPath, autostart: false });

    const diag = await client.call<DiagnosticsResponse>('GET', '/v1/diagnostics');
    const by = Object.fromEntries(diag.profiles.map((p) => [p.profile, p]));
    expect(by.skewed).toMatchObject({ reachable: true, issuer: skewedIdp.issuer });
    expect(Math.abs(by.skewed!.skewSeconds! - 120)).toBeLessThanOrEqual(2);
    expect(by.skewed!.skewWarning).toMatch(/\b1(1[89]|2[012])s ahead of/); // the Date header has one-second resolution
    expect(by.near).toMatchObject({ reachable: true });
    expect(Math.abs(by.near!.skewSeconds!)).toBeLessThanOrEqual(1);
    expect(by.near!.skewWarning).toBeUndefined();
    expect(by.gone).toMatchObject({ reachable: false });
    expect(by.gone!.error).toContain('connection refused');
  });

  it('a provider 20 s behind: a token lasts what expires_in says, not what exp says by our clock', async () => {
    // Only this process's Date moves (the IdP's clock); the agent below is its own process.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 20_000, shouldAdvanceTime: true });
    const idp: TestIdp = await startTestIdp({ accessTokenTTL: 120 });
    const home: TestHome = makeTestHome();
    // By exp and our clock this token would have 100 s left, below the 110 s asked for.
    home.writeConfig({ storage: 'file', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'], minValidSeconds: 110 } } });
    const agent = await spawnAgent(home.env, home.socket);
    cleanups.push(async () => {
      await agent.stop();
      await idp.close();
      home.cleanup();
    });
    const client = agent.client;
    expect((await loginThroughAgent(client, idp, 'work')).at(-1)).toMatchObject({ event: 'success' });

    idp.resetCounts();
    const t = await client.call<TokenResponse>('POST', '/v1/token', { profile: 'work' });
    expect(idp.counts().refresh).toBe(0); // served from the cache: 110 s and more are left
    expect(t.expiresAt - (performance.timeOrigin + performance.now()) / 1000).toBeGreaterThan(110);
    // The premise: the provider stamped the token by its clock, 20 s behind ours.
    const realNow = (performance.timeOrigin + performance.now()) / 1000;
    const { iat, exp } = decodeJwt(t.accessToken);
    expect(realNow - iat!).toBeGreaterThanOrEqual(19);
    expect(exp! - realNow).toBeLessThan(110);
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    expect(status.profiles[0]!.cachedTokens).toHaveLength(1);
  });
});
