/**
 * The broker's decisions against the real test IdP (issue 10, items 3, 5, 6, 7, 8, 11, 14,
 * 15): which refusals end a session, what is done with an answer broader than asked, how
 * scopes are checked and ordered, the stored grant and its checks across a restart, the
 * order of OTP and grant checks, the min-validity cap and the bounded cache. Storage is the
 * 0600 file here, so the stored session can be read; nothing of ours is mocked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import { MAX_KEYS_PER_PROFILE, TokenCache } from '../../daemon/broker/token-cache.js';
import { exitCodeFor } from '../../shared/errors.js';
import type { StatusResponse, TokenResponse } from '../../shared/api.js';
import type { ConfigFile, Profile } from '../../shared/config.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startTestIdp, TEST_RESOURCE, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';
import { refusal } from '../fixtures/refusal.js';

const OTHER_RESOURCE = 'https://other.authctl.test';
const WORK_SCOPES = ['openid', 'offline_access', 'api:read', 'api:write'];

let idp: TestIdp; // standard dialect, 30 s tokens
let entra: TestIdp; // Entra dialect, refuses a refresh for api:write as needing consent
let lax: TestIdp; // ignores the scope of a refresh and answers with the whole grant
let elsewhere: TestIdp; // another provider, for a profile pointed away from its login
const seenAtIdp: Array<string | null> = [];
const seenAtEntra: Array<string | null> = [];
let home: TestHome;
let agent: RunningAgent;
let client: AgentClient;
let config: ConfigFile;

const token = (profile: string, body: Record<string, unknown> = {}) => client.call<TokenResponse>('POST', '/v1/token', { profile, ...body });
const invalidate = (profile: string) => client.call('POST', '/v1/invalidate', { profile });
const status = async (profile: string) => (await client.call<StatusResponse>('GET', '/v1/status')).profiles.find((p) => p.name === profile)!;
const storedSession = (profile: string) => JSON.parse(readFileSync(join(home.dir, 'state', 'authctl', 'sessions.json'), 'utf8')).sessions[profile];

async function restartAgent(): Promise<void> {
  await agent.close();
  agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
  client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
}

function writeConfig(change: (profiles: Record<string, Profile>) => void = () => undefined): void {
  const next = structuredClone(config);
  change(next.profiles as Record<string, Profile>);
  home.writeConfig(next);
}

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: 30, refreshScopesSeen: seenAtIdp });
  entra = await startTestIdp({ mode: 'entra', refuseScopeOnRefresh: { scope: 'api:write', suberror: 'consent_required' }, refreshScopesSeen: seenAtEntra });
  lax = await startTestIdp({ ignoreScopeOnRefresh: true });
  elsewhere = await startTestIdp();
  home = makeTestHome();
  const at = (i: TestIdp, scopes: string[], extra: Partial<Profile> = {}): Profile => ({ issuer: i.issuer, clientId: i.clientId, scopes, ...extra });
  config = {
    storage: 'file',
    profiles: {
      work: at(idp, WORK_SCOPES, { privileged: { scopes: ['admin:all'] } }),
      aud: at(idp, WORK_SCOPES, { audience: TEST_RESOURCE }),
      short: at(idp, WORK_SCOPES),
      many: at(idp, ['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write', 'admin:all']),
      // Entra users put the resource's scope first: Entra picks the resource from it.
      entra: at(entra, ['api:read', 'openid', 'offline_access'], {
        provider: 'entra',
        endpoints: { deviceAuthorization: `${entra.issuer}/device/auth`, token: `${entra.issuer}/token`, revocation: `${entra.issuer}/token/revocation` },
      }),
      guarded: at(lax, ['openid', 'offline_access', 'api:read', 'admin:all'], { privileged: { scopes: ['admin:all'] } }),
      broad: at(lax, WORK_SCOPES),
    },
  };
  home.writeConfig(config);
  agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
  client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
  for (const [profile, at] of [['work', idp], ['short', idp], ['many', idp], ['entra', entra], ['guarded', lax], ['broad', lax]] as const) {
    expect((await loginThroughAgent(client, at, profile)).at(-1), profile).toMatchObject({ event: 'success' });
  }
});

afterAll(async () => {
  await agent?.close();
  await Promise.all([idp, entra, lax, elsewhere].map((i) => i?.close()));
  home?.cleanup();
});

describe('scopes at the API (item 6) and on the wire (item 11)', () => {
  it('refuses a scope that is not one RFC 6749 scope token with 400 (exit 2), for tokens and logins', async () => {
    for (const bad of ['api:read api:write', 'api:read,api:write', 'a"b', 'a\\b', 'caf\u00e9', 'a\tb']) {
      const res = await client.request<{ error: string; message: string }>('POST', '/v1/token', { profile: 'work', scopes: [bad] });
      expect(res.status, bad).toBe(400);
      expect(res.body.error).toBe('bad_request');
      expect(res.body.message).toContain('"scopes"');
      expect(exitCodeFor('bad_request')).toBe(2);
    }
    const login = await client.request<{ error: string }>('POST', '/v1/login', { profile: 'work', scopes: ['openid offline_access'] });
    expect(login.status).toBe(400);
  });

  it('sends scopes in the order given; only the cache key is normalised', async () => {
    idp.resetCounts();
    const first = await token('work', { scopes: ['api:write', 'api:read'] });
    expect(seenAtIdp.at(-1)).toBe('api:write api:read');
    const same = await token('work', { scopes: ['api:read', 'api:write', 'api:read'] });
    expect(same.accessToken).toBe(first.accessToken);
    expect(idp.counts().refresh).toBe(1);
  });

  it('Entra: a refresh that names no scope sends the login\'s scopes, in the login\'s order', async () => {
    await invalidate('entra');
    await token('entra');
    expect(seenAtEntra.at(-1)).toBe('api:read openid offline_access');
  });
});

describe('a refusal of one request is not the end of the session (item 3)', () => {
  it('Entra invalid_grant + consent_required for one scope: exit 3 with the login command; the session and its tokens stay', async () => {
    const before = await token('entra');
    entra.resetCounts();
    const err = await refusal(token('entra', { scopes: ['api:write'] }));
    expect(err.code).toBe('login_required');
    expect(exitCodeFor(err.code)).toBe(3);
    expect(err.message).toContain('consent');
    expect(err.message).toContain("authctl login --profile entra --scope 'api:read openid offline_access api:write'");
    expect(entra.counts().refresh).toBe(1);

    const s = await status('entra');
    expect(s.state).toBe('logged_in');
    expect(s.hasRefreshToken).toBe(true);
    expect((await token('entra')).accessToken).toBe(before.accessToken); // the cached token stays
    await invalidate('entra');
    const fresh = await token('entra'); // and the refresh token still works
    expect(fresh.accessToken).not.toBe(before.accessToken);
    expect(decodeJwt(fresh.accessToken).sub).toBe('alice');
  });

  it('invalid_scope from the provider (a scope the login was not granted): exit 3 with the command; the session stays', async () => {
    const err = await refusal(token('short', { scopes: ['admin:all'] }));
    expect(err.code).toBe('login_required');
    expect(err.message).toContain('invalid_scope');
    expect(err.message).toContain("authctl login --profile short --scope 'openid offline_access api:read api:write admin:all'");
    expect((await status('short')).state).toBe('logged_in');
    await invalidate('short');
    expect((await token('short')).accessToken).toBeTruthy();
  });
});

describe('an answer broader than asked (item 5)', () => {
  it('a privileged scope in an ordinary answer: never handed out or cached; the rotated refresh token is kept', async () => {
    const rtBefore = storedSession('guarded').refreshToken;
    lax.resetCounts();
    const err = await refusal(token('guarded', { scopes: ['api:read'] }));
    expect(err.code).toBe('idp_error');
    expect(err.message).toContain('ignored the requested scope');
    expect(err.message).toContain('"admin:all"');
    expect(lax.counts().refresh).toBe(1);
    const s = await status('guarded');
    expect(s.cachedTokens.filter((t) => t.scopes.includes('admin:all'))).toEqual([]);
    expect(s.state).toBe('logged_in');
    expect(storedSession('guarded').refreshToken).not.toBe(rtBefore); // rotation was stored before the check
    // Not cached: the next request asks the provider again (and is refused again).
    await refusal(token('guarded', { scopes: ['api:read'] }));
    expect(lax.counts().refresh).toBe(2);
  });

  it('broader without privileged scopes: handed out, with a warning said once', async () => {
    await invalidate('broad');
    const t = await token('broad', { scopes: ['api:read'] });
    expect(t.scopes).toContain('api:write');
    expect(t.warning).toContain('more than asked for');
    expect(t.warning).toContain('"api:write"');
    await invalidate('broad');
    const again = await token('broad', { scopes: ['api:read'] });
    expect(again.accessToken).not.toBe(t.accessToken);
    expect(again.warning).toBeUndefined();
  });
});

describe('the stored grant (item 7) and the OTP after it (item 8)', () => {
  it('stores every field of the grant, with null for none', () => {
    const s = storedSession('work');
    expect(s).toMatchObject({ issuer: idp.issuer, clientId: idp.clientId, tokenEndpoint: `${idp.issuer}/token`, audience: null, resource: null, requestedScopes: WORK_SCOPES });
  });

  it('refuses an audience the grant does not cover, before and after an agent restart', async () => {
    for (const round of ['before', 'after']) {
      const err = await refusal(token('work', { audience: OTHER_RESOURCE }));
      expect(err.code, round).toBe('usage');
      expect(err.message).toContain(`add a profile with --audience ${OTHER_RESOURCE}`);
      if (round === 'before') await restartAgent();
    }
    idp.resetCounts();
    expect((await token('work', { scopes: ['api:read'] })).accessToken).toBeTruthy(); // refreshed from the stored session
    expect(idp.counts().refresh).toBe(1);
  });

  it('refuses login --audience B on a profile for audience A before the flow starts, with the command to use', async () => {
    idp.resetCounts();
    const res = await client.request<{ error: string; message: string }>('POST', '/v1/login', { profile: 'aud', audience: OTHER_RESOURCE });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('usage');
    expect(res.body.message).toContain(`authctl login --profile aud-other-authctl-test --issuer ${idp.issuer} --client-id ${idp.clientId}`);
    expect(res.body.message).toContain(`--audience ${OTHER_RESOURCE}`);
    expect(idp.counts().deviceAuthorization).toBe(0);
  });

  it('a profile pointed at another issuer never gets the old provider\'s token, and status says logged out', async () => {
    const before = await token('short');
    writeConfig((p) => (p.short = { ...p.short!, issuer: elsewhere.issuer }));
    try {
      const err = await refusal(token('short'));
      expect(err.code).toBe('login_required');
      const s = await status('short');
      expect(s.state).toBe('logged_out');
      expect(s.cachedTokens).toEqual([]);
      expect(elsewhere.counts().refresh).toBe(0);
    } finally {
      writeConfig();
    }
    expect((await token('short')).accessToken).toBe(before.accessToken);
  });

  it('sends a refresh token only to the token endpoint that issued it', async () => {
    writeConfig((p) => (p.short = { ...p.short!, provider: 'manual', endpoints: { deviceAuthorization: `${idp.issuer}/device/auth`, token: `${elsewhere.issuer}/token` } }));
    try {
      await invalidate('short');
      const err = await refusal(token('short'));
      expect(err.code).toBe('login_required');
      expect(err.message).toContain(`session came from ${idp.issuer}/token`);
      expect(elsewhere.counts().refresh).toBe(0);
    } finally {
      writeConfig();
    }
    expect((await token('short')).accessToken).toBeTruthy();
  });

  it('asks for no OTP when the grant cannot serve the privileged request', async () => {
    // admin:all is privileged by policy, and the login for "work" never asked for it.
    const notGranted = await refusal(token('work', { scopes: ['admin:all'] }));
    expect(notGranted.code).toBe('login_required');
    expect(notGranted.message).toContain("authctl login --profile work --scope 'openid offline_access api:read api:write admin:all'");
    const otherAudience = await refusal(token('work', { privileged: true, audience: OTHER_RESOURCE }));
    expect(otherAudience.code).toBe('usage');
    // A request the grant can serve reaches the OTP gate.
    const servable = await refusal(token('work', { privileged: true, scopes: ['api:write'] }));
    expect(servable.code).toBe('otp_required');
  });
});

describe('min-validity and the cache', () => {
  it('minValidSeconds beyond the issued lifetime: one refresh and one warning, not one per request (item 14)', async () => {
    await invalidate('short');
    idp.resetCounts();
    const answers: TokenResponse[] = [];
    for (let i = 0; i < 10; i++) answers.push(await token('short', { minValidSeconds: 3600 }));
    expect(idp.counts().refresh).toBe(1);
    expect(new Set(answers.map((a) => a.accessToken)).size).toBe(1);
    const warned = answers.filter((a) => a.warning);
    expect(warned).toHaveLength(1);
    expect(warned[0]!.warning).toContain('less than the 3600s asked for');
    expect(warned[0]!.warning).toContain('refreshing again only when 15s are left');
  });

  it('a token minted for a smaller minimum is refreshed once for a larger one', async () => {
    await invalidate('short');
    await token('short');
    idp.resetCounts();
    await token('short', { minValidSeconds: 3600 });
    await token('short', { minValidSeconds: 3600 });
    expect(idp.counts().refresh).toBe(1);
  });

  it(`keeps at most ${MAX_KEYS_PER_PROFILE} keys per profile however many scope combinations are asked for (item 15)`, async () => {
    const extra = ['openid', 'offline_access', 'profile', 'email', 'api:write', 'admin:all'];
    const combos = Array.from({ length: 40 }, (_, n) => ['api:read', ...extra.filter((_, bit) => n & (1 << bit))]);
    for (const scopes of combos) await token('many', { scopes });
    const s = await status('many');
    expect(s.cachedTokens).toHaveLength(MAX_KEYS_PER_PROFILE);
    // The most recent combination is kept; the first ones were evicted.
    const keys = s.cachedTokens.map((t) => t.key);
    const keyOf = (scopes: string[]) => TokenCache.key({ profile: 'many', issuer: idp.issuer, clientId: idp.clientId, scopes });
    expect(keys).toContain(keyOf(combos.at(-1)!));
    expect(keys).not.toContain(keyOf(combos[0]!));
    expect(s.state).toBe('logged_in');
  });
});
