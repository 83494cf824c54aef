/**
 * Providers that are slow or rate-limiting (issue 10, item 12), against the real test IdP:
 * - a hung token endpoint: concurrent `authctl token` runs for different scopes are all
 *   answered (exit 5, or the cached token with a warning) well before a client gives up,
 *   and the IdP sees one refresh for the burst, not one retry budget per request;
 * - a 429 with `Retry-After` is transient whatever its body: the agent waits what the
 *   provider asked (when it fits in the request's budget) and tries again;
 * - a longer `Retry-After`, or Okta's `X-Rate-Limit-Reset`, is honoured across requests:
 *   until then the provider is not asked again, and requests fail (or get the cached
 *   token) at once.
 * The agent uses its default 15 s transport timeout here, as users have it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import type { TokenResponse } from '../../shared/api.js';
import { AuthctlError, exitCodeFor } from '../../shared/errors.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { runCli } from '../fixtures/cli.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Rig {
  idp: TestIdp;
  home: TestHome;
  agent: RunningAgent;
  client: AgentClient;
}

async function loggedIn(): Promise<Rig> {
  const idp = await startTestIdp({ accessTokenTTL: 300 });
  const home = makeTestHome();
  home.writeConfig({ storage: 'file', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'api:write'] } } });
  const agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
  const client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
  cleanups.push(async () => {
    await idp.close(); // ends hung exchanges first
    await agent.close();
    home.cleanup();
  });
  expect((await loginThroughAgent(client, idp, 'work')).at(-1)).toMatchObject({ event: 'success' });
  idp.resetCounts();
  return { idp, home, agent, client };
}

const token = (r: Rig, body: Record<string, unknown> = {}) => r.client.call<TokenResponse>('POST', '/v1/token', { profile: 'work', ...body });
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as AuthctlError);

describe('a hung token endpoint', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await loggedIn();
  });

  // The test's own timeout is the bound: every request must be answered within it.
  it('answers a burst of requests for different scopes with exit 5 or the cached token, asking the IdP once', { timeout: 20_000 }, async () => {
    r.idp.knobs.hangRefresh = true;
    const [read, write, stale] = await Promise.all([
      runCli(['token', '--profile', 'work', '--scope', 'api:read'], r.home.env),
      runCli(['token', '--profile', 'work', '--scope', 'api:write'], r.home.env),
      // The login's token is cached: below the asked-for validity it is still handed out.
      runCli(['token', '--profile', 'work', '--min-valid', '3600'], r.home.env),
    ]);
    for (const res of [read, write]) {
      expect(res.code, res.stderr).toBe(5);
      expect(res.stderr).toContain(new URL(r.idp.issuer).host);
    }
    expect(stale.code, stale.stderr).toBe(0);
    expect(stale.stdout).toMatch(/^eyJ/);
    expect(stale.stderr).toContain('handing out the cached token');
    expect(r.idp.counts().refresh).toBe(1);
  });
});

describe('429 with Retry-After', () => {
  it('is transient whatever its body: the agent waits as asked, then the refresh succeeds', async () => {
    const r = await loggedIn();
    r.idp.knobs.rateLimitRefresh = { times: 1, headers: { 'Retry-After': '2' } };
    const t = await token(r, { scopes: ['api:read'] });
    expect(t.scopes).toEqual(['api:read']);
    const [first, second] = r.idp.requestTimes('refresh');
    expect(r.idp.counts().refresh).toBe(2);
    expect(second! - first!).toBeGreaterThanOrEqual(2_000 - 50); // a lower bound: never earlier than asked
  });

  it.each([
    { header: 'Retry-After', value: () => '30' },
    { header: 'X-Rate-Limit-Reset', value: () => String(Math.floor(Date.now() / 1000) + 30) },
  ])('a longer wait ($header) is kept across requests: nobody asks the provider before it', async ({ header, value }) => {
    const r = await loggedIn();
    r.idp.knobs.rateLimitRefresh = { times: 1, headers: { [header]: value() } };
    const first = await failure(token(r, { scopes: ['api:read'] }));
    expect(first).toBeInstanceOf(AuthctlError);
    expect(exitCodeFor(first!.code)).toBe(5);
    expect(first!.message).toMatch(/rate-limiting this client \(HTTP 429\); it asked to wait (29|30)s/);
    // Another scope, a moment later: answered from memory, the provider is not asked.
    const second = await failure(token(r, { scopes: ['api:write'] }));
    expect(exitCodeFor(second!.code)).toBe(5);
    expect(second!.message).toMatch(/the agent asks again in \d+s/);
    // The login's cached token is handed out meanwhile, with a warning.
    const stale = await token(r, { minValidSeconds: 3600 });
    expect(stale.warning).toContain('handing out the cached token');
    expect(r.idp.counts().refresh).toBe(1);
  });
});
