/**
 * A hostile network between the agent and its provider, injected by a loopback proxy in
 * front of the test IdP: connection refused, a reset mid-body, 500/502/503, a hang longer
 * than the timeout, invalid JSON, a 10 MB body. Through all of it the agent keeps serving
 * cached tokens (below minValidSeconds too, with a warning, while they last), retries what
 * is transient (and only that), says what happened for requests it cannot serve, and
 * recovers once the provider is back. The faults are the proxy's own answers: the IdP never
 * sees those requests, so the refresh token stays valid throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import { AuthctlError, exitCodeFor } from '../../shared/errors.js';
import type { TokenResponse } from '../../shared/api.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../fixtures/fault-proxy.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';

/** The agent's per-request timeout here (the default is 15 s; the proxy hangs for good). */
const TIMEOUT_S = 1;
/** REFRESH_RETRY in daemon/oauth/retry.ts: tries per refresh for a transient failure. */
const TRIES = 3;

let proxy: FaultProxy;
let idp: TestIdp;
let home: TestHome;
let agent: RunningAgent;
let client: AgentClient;

const seen = new Set<string>();
const token = (body: Record<string, unknown> = {}) =>
  client.call<TokenResponse>('POST', '/v1/token', { profile: 'work', ...body }).then((t) => {
    seen.add(t.accessToken);
    return t;
  });

beforeAll(async () => {
  proxy = await startFaultProxy();
  idp = await startTestIdp({ issuer: proxy.url, accessTokenTTL: 600 });
  proxy.setTarget(idp.listenUrl);
  home = makeTestHome();
  home.writeConfig({
    storage: 'file',
    network: { timeoutSeconds: TIMEOUT_S },
    profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'api:write'], minValidSeconds: 30 } },
  });
  // Each case fails two requests in a row and then checks recovery at once: the memory of a
  // failed refresh (test/integration/provider-rate-limits.test.ts) would answer them from memory.
  agent = await startAgent({ pathEnv: home.pathEnv, log: 'file', refreshFailureMemoryMs: 0 });
  client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
  const events = await loginThroughAgent(client, idp, 'work');
  expect(events.at(-1)).toMatchObject({ event: 'success' });
});

afterAll(async () => {
  await agent?.close();
  await proxy?.close();
  await idp?.close();
  // The warnings and retries were logged; no token may be in any line.
  const logs = home.logs();
  expect(logs).toContain('the refresh failed; retrying');
  for (const t of seen) expect(logs.includes(t)).toBe(false);
  home?.cleanup();
});

interface FaultCase {
  name: string;
  inject(): Promise<void> | void;
  heal(): Promise<void> | void;
  code: 'idp_unavailable' | 'idp_error';
  says: RegExp;
  /** Transient failures are retried; a provider's garbage is not. */
  retried: boolean;
}

const onRefresh = (rule: Omit<FaultRule, 'match'>): Pick<FaultCase, 'inject' | 'heal'> => ({
  inject: () => proxy.fault({ match: 'refresh', ...rule }),
  heal: () => proxy.clearFaults(),
});

const CASES: FaultCase[] = [
  { name: 'connection refused', inject: () => proxy.down(), heal: () => proxy.up(), code: 'idp_unavailable', says: /connection refused/, retried: true },
  { name: 'a reset in the middle of the body', ...onRefresh({ kind: 'reset' }), code: 'idp_unavailable', says: /closed the connection in the middle/, retried: true },
  { name: 'HTTP 500', ...onRefresh({ kind: 'status', status: 500 }), code: 'idp_unavailable', says: /answered HTTP 500/, retried: true },
  { name: 'HTTP 502', ...onRefresh({ kind: 'status', status: 502 }), code: 'idp_unavailable', says: /answered HTTP 502/, retried: true },
  { name: 'HTTP 503', ...onRefresh({ kind: 'status', status: 503 }), code: 'idp_unavailable', says: /answered HTTP 503/, retried: true },
  { name: 'a hang longer than the timeout', ...onRefresh({ kind: 'hang' }), code: 'idp_unavailable', says: /did not answer in time/, retried: true },
  { name: 'invalid JSON', ...onRefresh({ kind: 'badJson' }), code: 'idp_error', says: /not JSON/, retried: false },
  { name: 'a 10 MB body', ...onRefresh({ kind: 'huge' }), code: 'idp_error', says: /larger than 1 MiB/, retried: false },
];

describe.each(CASES)('$name', (c) => {
  it('serves the cached token, explains what it cannot serve, and recovers', async () => {
    // A clean slate: one cached token for the profile's default scopes, nothing else.
    await client.call('POST', '/v1/invalidate', { profile: 'work' });
    const cached = await token();
    await c.inject();
    const refreshesBefore = proxy.seen('refresh');
    try {
      // Enough validity: the cache answers and the provider is not asked.
      expect((await token()).accessToken).toBe(cached.accessToken);

      // Below the asked-for validity: the refresh fails, the unexpired token is still served.
      const stale = await token({ minValidSeconds: 3600 });
      expect(stale.accessToken).toBe(cached.accessToken);
      expect(stale.warning).toMatch(c.says);
      expect(stale.warning).toContain('handing out the cached token');

      // Nothing cached for these scopes: the error names the host and the reason, exit code 5.
      const err = await token({ scopes: ['api:write'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthctlError);
      expect((err as AuthctlError).code).toBe(c.code);
      expect((err as AuthctlError).message).toMatch(c.says);
      expect((err as AuthctlError).message).toContain(new URL(proxy.url).host);
      expect(exitCodeFor((err as AuthctlError).code)).toBe(5);

      if (c.name !== 'connection refused') expect(proxy.seen('refresh') - refreshesBefore).toBe(2 * (c.retried ? TRIES : 1));
    } finally {
      await c.heal();
    }

    const recovered = await token({ minValidSeconds: 3600 });
    expect(recovered.accessToken).not.toBe(cached.accessToken);
    expect(recovered.warning ?? '').not.toContain('handing out the cached token');
    expect((await token({ scopes: ['api:write'] })).scopes).toEqual(['api:write']);
  });
});

describe('metadata', () => {
  it('discovery was fetched once, at login: refreshes never ask for it again within its TTL', () => {
    expect(proxy.seen('discovery')).toBe(1);
  });
});
