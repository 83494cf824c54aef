/**
 * The same agent against each provider's dialect of RFC 8628 (the test IdP's emulation
 * modes, test/fixtures/idp-modes/): a full device-flow login with pending polls, a
 * refresh, slow_down (+5 s, or the interval GitHub names), a denied and an expired login.
 *
 * Timing: openid-client's poll loop sleeps with real timers and takes no clock, so the
 * waits are real (interval 1 s, so a slow_down costs 6-8 s). The IdP records when each
 * poll arrived and the tests assert the gaps as lower bounds: a client that polls too
 * early fails them; a slow machine cannot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient } from '../../client/agent-client.js';
import { openLoginStream } from '../../client/login-stream.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import type { LoginEvent, StatusResponse, TokenResponse } from '../../shared/api.js';
import type { Profile } from '../../shared/config.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { GITHUB_SLOW_DOWN_EXTRA, GOOGLE_TEST_CLIENT_SECRET, type IdpModeName } from '../fixtures/idp-modes/index.js';

const INTERVAL = 1;
const SCOPES = ['openid', 'offline_access', 'api:read', 'api:write'];
/** Timer and timestamp granularity; the waits themselves are whole seconds. */
const SLACK_MS = 50;
const OTHER_RESOURCE = 'https://other.authctl.test';

type Role = 'main' | 'slow' | 'deny' | 'expire';

interface ModeCase {
  mode: IdpModeName;
  /** The profile fields a user would have from `authctl profile add --provider ...`. */
  profile(idp: TestIdp): Partial<Profile>;
  /** Seconds the client must wait after a slow_down. */
  slowDownGap: number;
  rotates: boolean;
  /** What this provider's dialect changes, checked on a refreshed token. */
  check?(fresh: TokenResponse, rig: ModeRig): Promise<void>;
}

const endpointsOf = (idp: TestIdp) => ({
  deviceAuthorization: `${idp.issuer}/device/auth`,
  token: `${idp.issuer}/token`,
  revocation: `${idp.issuer}/token/revocation`,
});

const CASES: ModeCase[] = [
  { mode: 'standard', profile: () => ({ provider: 'generic' }), slowDownGap: INTERVAL + 5, rotates: true },
  {
    mode: 'auth0',
    profile: () => ({ provider: 'auth0', resource: OTHER_RESOURCE }),
    slowDownGap: INTERVAL + 5,
    rotates: true,
    // The resource travels as `audience`, which is all Auth0 reads.
    check: async (fresh) => expect(decodeJwt(fresh.accessToken).aud).toBe(OTHER_RESOURCE),
  },
  { mode: 'okta', profile: () => ({ provider: 'okta' }), slowDownGap: INTERVAL + 5, rotates: true },
  { mode: 'entra', profile: (idp) => ({ provider: 'entra', endpoints: endpointsOf(idp) }), slowDownGap: INTERVAL + 5, rotates: true },
  { mode: 'google', profile: () => ({ provider: 'google', clientSecret: GOOGLE_TEST_CLIENT_SECRET }), slowDownGap: INTERVAL + 5, rotates: false },
  {
    mode: 'github',
    profile: (idp) => ({ provider: 'github', endpoints: endpointsOf(idp) }),
    slowDownGap: INTERVAL + GITHUB_SLOW_DOWN_EXTRA,
    rotates: true,
    check: async (fresh, rig) => {
      // GitHub sends "api:read,api:write" and names the refresh token's lifetime its own way.
      expect([...fresh.scopes].sort()).toEqual(['api:read', 'api:write']);
      const status = await rig.client.call<StatusResponse>('GET', '/v1/status');
      const main = status.profiles.find((p) => p.name === 'main')!;
      expect(main.refreshTokenExpiresAt! - Date.now() / 1000).toBeGreaterThan(15_000_000);
    },
  },
  { mode: 'keycloak', profile: () => ({ provider: 'keycloak' }), slowDownGap: INTERVAL + 5, rotates: true },
];

interface ModeRig {
  idps: Record<Role, TestIdp>;
  home: TestHome;
  agent: RunningAgent;
  client: AgentClient;
}

const rigs = new Map<IdpModeName, ModeRig>();

beforeAll(async () => {
  await Promise.all(
    CASES.map(async (c) => {
      const idps: Record<Role, TestIdp> = {
        main: await startTestIdp({ mode: c.mode, interval: INTERVAL, accessTokenTTL: 120 }),
        slow: await startTestIdp({ mode: c.mode, interval: INTERVAL, slowDownOnPoll: 2 }),
        deny: await startTestIdp({ mode: c.mode, interval: INTERVAL }),
        expire: await startTestIdp({ mode: c.mode, interval: INTERVAL, deviceCodeTTL: 2 }),
      };
      const home = makeTestHome();
      const profiles: Record<string, Profile> = {};
      for (const [role, idp] of Object.entries(idps)) {
        profiles[role] = { issuer: idp.issuer, clientId: idp.clientId, scopes: SCOPES, minValidSeconds: 10, ...c.profile(idp) } as Profile;
      }
      home.writeConfig({ storage: 'file', profiles });
      const agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
      rigs.set(c.mode, { idps, home, agent, client: new AgentClient({ socketPath: agent.socketPath, autostart: false }) });
    }),
  );
});

afterAll(async () => {
  for (const rig of rigs.values()) {
    await rig.agent.close();
    await Promise.all(Object.values(rig.idps).map((i) => i.close()));
    rig.home.cleanup();
  }
});

interface LoginPlan {
  /** Approve (or deny) once this many polls have been answered. */
  afterPolls?: number;
  deny?: boolean;
  /** Never answer: the code expires. */
  ignore?: boolean;
}

/** A login through the agent; the user acts at the IdP's pages once the client has polled enough. */
async function login(rig: ModeRig, role: Role, plan: LoginPlan = {}): Promise<LoginEvent[]> {
  const idp = rig.idps[role];
  idp.resetCounts();
  const stream = await openLoginStream(rig.client, { profile: role });
  const events: LoginEvent[] = [];
  let user: Promise<void> = Promise.resolve();
  for await (const ev of stream.events) {
    events.push(ev);
    if (ev.event !== 'verification' || plan.ignore) continue;
    user = (async () => {
      while (idp.counts().deviceCodePolls < (plan.afterPolls ?? 0)) await new Promise((r) => setTimeout(r, 50));
      await (plan.deny ? idp.denyDevice(ev.userCode) : idp.approveDevice(ev.userCode));
    })();
  }
  await user;
  return events;
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

function storedRefreshToken(rig: ModeRig, role: Role): string | undefined {
  const file = join(rig.home.dir, 'state', 'authctl', 'sessions.json');
  return JSON.parse(readFileSync(file, 'utf8')).sessions[role]?.refreshToken;
}

describe.concurrent('provider modes', () => {
describe.each(CASES)('$mode', (c) => {
  const rig = () => rigs.get(c.mode)!;
  const token = (role: Role, body: Record<string, unknown> = {}) => rig().client.call<TokenResponse>('POST', '/v1/token', { profile: role, ...body });

  it('logs in through pending polls, at the announced interval, then refreshes', async () => {
    const events = await login(rig(), 'main', { afterPolls: 2 });
    expect(events.at(-1)).toMatchObject({ event: 'success', profile: 'main', subject: 'alice' });
    const idp = rig().idps.main;
    expect(idp.counts().deviceCodePolls).toBeGreaterThanOrEqual(3); // two pending, then the token
    for (const gap of gaps(idp.requestTimes('deviceCodePolls'))) expect(gap).toBeGreaterThanOrEqual(INTERVAL * 1000 - SLACK_MS);

    const rtBefore = storedRefreshToken(rig(), 'main');
    idp.resetCounts();
    const fresh = await token('main', { minValidSeconds: 3600 }); // longer than the token lives: refresh now
    expect(decodeJwt(fresh.accessToken).sub).toBe('alice');
    expect(idp.counts().refresh).toBe(c.mode === 'okta' ? 2 : 1); // Okta's first refresh is rate-limited, then retried
    const rtAfter = storedRefreshToken(rig(), 'main');
    if (c.rotates) expect(rtAfter).not.toBe(rtBefore);
    else expect(rtAfter).toBe(rtBefore); // no new refresh token: keep the one we have
    // Asking again for more than the provider issues does not refresh per request (at most
    // once per issued token); dropping the cached token does.
    expect((await token('main', { minValidSeconds: 3600 })).accessToken).toBe(fresh.accessToken);
    await rig().client.call('POST', '/v1/invalidate', { profile: 'main' });
    const again = await token('main', { minValidSeconds: 3600 });
    expect(again.accessToken).not.toBe(fresh.accessToken);
    await c.check?.(again, rig());
  });

  it(`waits ${c.slowDownGap}s after slow_down before polling again`, async () => {
    const events = await login(rig(), 'slow', { afterPolls: 2 });
    expect(events.at(-1)).toMatchObject({ event: 'success', profile: 'slow' });
    const times = rig().idps.slow.requestTimes('deviceCodePolls');
    expect(times.length).toBeGreaterThanOrEqual(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(INTERVAL * 1000 - SLACK_MS);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(c.slowDownGap * 1000 - SLACK_MS);
    // The login stream tells the CLI the new interval, GitHub's named one included.
    expect(events).toContainEqual({ event: 'waiting', interval: c.slowDownGap });
  });

  it('a denied login ends with login_required and says so', async () => {
    const events = await login(rig(), 'deny', { afterPolls: 1, deny: true });
    expect(events.at(-1)).toMatchObject({ event: 'error', error: 'login_required' });
    expect((events.at(-1) as { message: string }).message).toContain('denied');
  });

  it('a code nobody approves expires with login_required', async () => {
    const events = await login(rig(), 'expire', { ignore: true });
    expect(events.at(-1)).toMatchObject({ event: 'error', error: 'login_required' });
    expect((events.at(-1) as { message: string }).message).toContain('expired');
  });
});

it('a provider that announces no interval is polled every 5 s (RFC 8628 §3.2)', async () => {
  const idp = await startTestIdp({ interval: null });
  const home = makeTestHome();
  home.writeConfig({ storage: 'file', profiles: { main: { issuer: idp.issuer, clientId: idp.clientId, scopes: SCOPES } } });
  const agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
  try {
    const rig: ModeRig = { idps: { main: idp } as Record<Role, TestIdp>, home, agent, client: new AgentClient({ socketPath: agent.socketPath, autostart: false }) };
    const events = await login(rig, 'main', { afterPolls: 1 });
    expect(events).toContainEqual({ event: 'waiting', interval: 5 });
    expect(events.at(-1)).toMatchObject({ event: 'success' });
    const [asked] = idp.requestTimes('deviceAuthorization');
    const polls = idp.requestTimes('deviceCodePolls');
    expect(polls[0]! - asked!).toBeGreaterThanOrEqual(5000 - SLACK_MS);
    for (const gap of gaps(polls)) expect(gap).toBeGreaterThanOrEqual(5000 - SLACK_MS);
  } finally {
    await agent.close();
    await idp.close();
    home.cleanup();
  }
});
});

describe('provider specifics', () => {
  it('a provider without discovery, set up as generic: the error says what to do', async () => {
    const last = await loginAsGenericProfile(rigs.get('github')!, 'nodiscovery');
    expect(last).toMatchObject({ event: 'error', error: 'idp_error' });
    expect((last as { message: string }).message).toContain('publishes no metadata');
    expect((last as { message: string }).message).toContain('--provider manual');
  });

  it('google: without the installed-app secret the provider refuses the client', async () => {
    const last = await loginAsGenericProfile(rigs.get('google')!, 'nosecret');
    expect(last).toMatchObject({ event: 'error', error: 'idp_error' });
    expect((last as { message: string }).message).toContain('invalid_client');
  });
});

/** Adds a profile without a provider preset for the mode's `deny` IdP and tries to log in; the last event. */
async function loginAsGenericProfile(rig: ModeRig, name: string): Promise<LoginEvent | undefined> {
  const idp = rig.idps.deny;
  const file = join(rig.home.dir, 'config', 'authctl', 'config.json');
  const profiles: Record<string, Profile> = JSON.parse(readFileSync(file, 'utf8')).profiles;
  rig.home.writeConfig({ storage: 'file', profiles: { ...profiles, [name]: { issuer: idp.issuer, clientId: idp.clientId, scopes: SCOPES } } });
  const events: LoginEvent[] = [];
  const stream = await openLoginStream(rig.client, { profile: name });
  for await (const ev of stream.events) events.push(ev);
  return events.at(-1);
}
