/**
 * Sessions without a refresh token, in the real keychain, across agent restarts:
 * - a GitHub OAuth app (the test IdP's 'github-oauth-app' mode: no refresh token, no
 *   expires_in, an opaque token) keeps its token like `gh` does: the restarted agent
 *   answers the same token;
 * - a login without offline_access says at login and in status when the session ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusResponse } from '../../shared/api.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { loginViaCli, runCli } from '../fixtures/cli.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { startPrivateKeyring, type PrivateKeyring } from '../fixtures/keyring.js';

let keyring: PrivateKeyring;
const idps: TestIdp[] = [];
const homes: TestHome[] = [];
const agents: AgentProcess[] = [];

async function agentFor(h: TestHome): Promise<AgentProcess> {
  const a = await spawnAgent(h.env, h.socket);
  agents.push(a);
  return a;
}

async function status(h: TestHome) {
  const r = await runCli(['status', '--json'], h.env);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as StatusResponse).profiles.find((p) => p.name === 'work')!;
}

beforeAll(async () => {
  keyring = await startPrivateKeyring();
});

afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL');
  for (const i of idps) await i.close();
  keyring?.close();
  for (const h of homes) h.cleanup();
});

describe('sessions without a refresh token', () => {
  it('a GitHub OAuth app token (no refresh token, no expiry) is kept in the keychain and survives a restart', async () => {
    const idp = await startTestIdp({ mode: 'github-oauth-app' });
    idps.push(idp);
    const h = makeTestHome({ ...keyring.env });
    homes.push(h);
    const endpoints = { deviceAuthorization: `${idp.issuer}/device/auth`, token: `${idp.issuer}/token` };
    h.writeConfig({ storage: 'keychain', profiles: { work: { provider: 'github', endpoints, issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'api:read'] } } });
    let agent = await agentFor(h);
    const login = await loginViaCli(['--profile', 'work'], h.env, (code) => idp.approveDevice(code));
    expect(login.code, login.stderr).toBe(0);
    expect(login.events.at(-1)).toMatchObject({ event: 'success', storage: 'keychain', refreshToken: false });
    expect(String(login.events.at(-1)!.sessionNote)).toContain('does not expire');

    const first = await runCli(['token'], h.env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^gho_/);
    expect(JSON.parse(keyring.lookup(h.env.AUTHCTL_KEYCHAIN_SERVICE!, 'work')!)).toMatchObject({ accessToken: first.stdout.trim() });

    expect(await agent.stop()).toBe(0);
    agent = await agentFor(h);
    const again = await runCli(['token'], h.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout === first.stdout).toBe(true);
    expect(await status(h)).toMatchObject({ state: 'logged_in', hasRefreshToken: false, storedIn: 'keychain' });
    const human = await runCli(['status'], h.env);
    expect(human.stdout).toContain('session: no refresh token, and the token does not expire');
    expect(await agent.stop()).toBe(0);
  });

  it('a login without offline_access says when the session ends, at login and in status, and keeps it across a restart', async () => {
    const idp = await startTestIdp({ accessTokenTTL: 600 });
    idps.push(idp);
    const h = makeTestHome({ ...keyring.env });
    homes.push(h);
    h.writeConfig({ storage: 'keychain', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'api:read'] } } });
    let agent = await agentFor(h);
    const login = await loginViaCli(['--profile', 'work'], h.env, (code) => idp.approveDevice(code));
    expect(login.code, login.stderr).toBe(0);
    const success = login.events.at(-1)!;
    expect(success).toMatchObject({ event: 'success', refreshToken: false, sessionEndsAt: expect.any(Number) });
    expect(String(success.sessionNote)).toMatch(/^no refresh token \(the login did not include offline_access.*\): the session ends at \d{4}-\d\d-\d\dT/);

    const first = await runCli(['token'], h.env);
    expect(first.code, first.stderr).toBe(0);
    expect(await agent.stop()).toBe(0);
    agent = await agentFor(h);
    idp.resetCounts();
    const again = await runCli(['token'], h.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout === first.stdout).toBe(true);
    expect(idp.counts().refresh).toBe(0);

    const p = await status(h);
    expect(p).toMatchObject({ state: 'logged_in', hasRefreshToken: false, sessionEndsAt: success.sessionEndsAt });
    const human = await runCli(['status'], h.env);
    expect(human.stdout).toMatch(/session: no refresh token .*the session ends at /);
    // A scope the login did not get cannot be had without a new login: the message says which.
    const other = await runCli(['token', '--scope', 'api:write'], h.env);
    expect(other.code).toBe(3);
    expect(other.stderr).toContain('has no refresh token');
    expect(other.stderr).toContain('authctl login --profile work --scope');

    // Logout revokes the kept access token.
    const out = await runCli(['logout', '--profile', 'work'], h.env);
    expect(out.code, out.stderr).toBe(0);
    expect(idp.counts().revocation).toBe(1);
    expect(keyring.lookup(h.env.AUTHCTL_KEYCHAIN_SERVICE!, 'work')).toBe(null);
    expect(await agent.stop()).toBe(0);
  });
});
