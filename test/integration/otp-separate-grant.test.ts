/**
 * `privileged.separateGrant` and `privileged.requireEnrolment`, set by the admin's system
 * config, against the real test IdP, the real Secret Service (a private gnome-keyring) and
 * the built CLI; the agent is a real process. Any process of the user can read the login's
 * refresh token from the keyring, so the test plays that process: it reads the entry with
 * `secret-tool` and asks the IdP's token endpoint itself for the privileged scope, which the
 * IdP refuses, because the persisted grant never had it. The privileged scope comes from a
 * second login (`prompt=login`, `max_age=0`) held in agent memory, plus an OTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { decodeJwt } from 'jose';
import type { OtpChallenge, StatusResponse, TokenResponse } from '../../shared/api.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { CLI, loginViaCli, type CliResult } from '../fixtures/cli.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { startPrivateKeyring, type PrivateKeyring } from '../fixtures/keyring.js';
import { loginThroughAgent } from '../fixtures/login.js';
import { TotpCodes } from '../fixtures/oathtool.js';
import { refusal } from '../fixtures/refusal.js';
import { enrolTotpOnTerminal } from '../fixtures/terminal.js';

const SESSION_SECONDS = 3600;
let idp: TestIdp;
let keyring: PrivateKeyring;
let home: TestHome;
let agent: AgentProcess;
let codes: TotpCodes;

/** The built CLI in a session of its own (no terminal): nothing can prompt. */
function runWithoutTerminal(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** What any process of the user can do: read the login's refresh token from the keyring. */
function refreshTokenFromKeyring(): { refreshToken: string; scopes: string[] } {
  const entry = keyring.lookup(home.env.AUTHCTL_KEYCHAIN_SERVICE!, 'p');
  expect(entry).toBeTruthy();
  return JSON.parse(entry!);
}

/** …and take it to the IdP's token endpoint directly, asking for `scope` (RFC 6749 §6). */
async function mintAtIdp(refreshToken: string, scope: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL('/token', idp.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: idp.clientId, scope }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const scopesOf = (t: string) => String(decodeJwt(t).scope ?? '').split(' ');

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: 300 });
  keyring = await startPrivateKeyring();
  home = makeTestHome(keyring.env);
  const base = { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'admin:all'] };
  home.writeSystemConfig({
    storage: 'keychain',
    profiles: {
      p: { ...base, privileged: { scopes: ['admin:all'], separateGrant: true, sessionSeconds: SESSION_SECONDS, maxAge: 0, requireEnrolment: true } },
      q: { ...base, privileged: { scopes: ['admin:all'], requireEnrolment: true } },
    },
  });
  agent = await spawnAgent(home.env, home.socket);
});

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  keyring?.close();
  home?.cleanup();
});

describe('privileged.requireEnrolment', () => {
  it('refuses a login that would grant privileged scopes while no OTP method is enrolled, with the command to enrol', async () => {
    idp.resetCounts();
    const q = await loginViaCli(['--profile', 'q'], home.env, async () => undefined);
    expect(q.code).toBe(4);
    expect(q.stderr).toContain('authctl otp enroll --totp');
    const p = await loginViaCli(['--profile', 'p', '--privileged'], home.env, async () => undefined);
    expect(p.code).toBe(4);
    expect(p.stderr).toContain('authctl otp enroll --totp');
    expect(idp.counts().deviceAuthorization).toBe(0);
  });
});

describe('privileged.separateGrant', () => {
  it('leaves the privileged scopes out of the normal login: the keyring refresh token cannot mint them at the IdP', async () => {
    // Allowed without an enrolment: this grant carries no privileged scope.
    await loginThroughAgent(agent.client, idp, 'p');
    expect(idp.deviceAuthorizationParams().at(-1)!.scope!.split(' ')).not.toContain('admin:all');
    const stored = refreshTokenFromKeyring();
    expect(stored.scopes).not.toContain('admin:all');
    const refused = await mintAtIdp(stored.refreshToken, 'admin:all');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_scope');

    const plain = await agent.client.call<TokenResponse>('POST', '/v1/token', { profile: 'p' });
    expect(scopesOf(plain.accessToken)).toContain('api:read');
    expect(scopesOf(plain.accessToken)).not.toContain('admin:all');
  });

  it('answers a privileged request without the privileged sign-in with exit 3 and the command, before any OTP', async () => {
    await enrolTotpOnTerminal(home.env, (secret) => {
      codes = new TotpCodes(secret);
      return codes.fresh();
    });
    const e = await refusal(agent.client.call('POST', '/v1/token', { profile: 'p', privileged: true }));
    expect(e.code).toBe('login_required');
    expect(e.details.challenge).toBeUndefined();
    const r = await runWithoutTerminal(['token', '--privileged', '--profile', 'p']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('authctl login --profile p --privileged');
  });

  it('gets the privileged grant from a second, fresh sign-in kept in memory, and mints with it after an OTP', async () => {
    const keyringBefore = keyring.lookup(home.env.AUTHCTL_KEYCHAIN_SERVICE!, 'p');
    const login = await loginViaCli(['--profile', 'p', '--privileged'], home.env, (userCode) => idp.approveDevice(userCode));
    expect(login.code, login.stderr).toBe(0);
    const success = login.events.find((e) => e.event === 'success')!;
    expect(success.storage).toBe('memory');
    const asked = idp.deviceAuthorizationParams().at(-1)!;
    expect(asked.prompt).toBe('login');
    expect(asked.max_age).toBe('0');
    expect(asked.scope!.split(' ').sort()).toEqual(['admin:all', 'offline_access', 'openid']);

    // The keyring entry is untouched, and still cannot mint the privileged scope.
    expect(keyring.lookup(home.env.AUTHCTL_KEYCHAIN_SERVICE!, 'p')).toBe(keyringBefore);
    expect((await mintAtIdp(refreshTokenFromKeyring().refreshToken, 'admin:all')).body.error).toBe('invalid_scope');

    const status = await agent.client.call<StatusResponse>('GET', '/v1/status');
    const until = status.profiles.find((p) => p.name === 'p')!.privilegedSessionExpiresAt!;
    expect(until).toBeGreaterThan(Number(success.privilegedUntil) - 1);
    expect(until - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(SESSION_SECONDS);

    const required = await refusal(agent.client.call('POST', '/v1/token', { profile: 'p', privileged: true }));
    expect(required.code).toBe('otp_required');
    const c = required.details.challenge as OtpChallenge;
    const t = await agent.client.call<TokenResponse>('POST', '/v1/token', { profile: 'p', privileged: true, otp: { challengeId: c.id, code: await codes.fresh() } });
    expect(scopesOf(t.accessToken)).toEqual(['admin:all']);
    const plain = await agent.client.call<TokenResponse>('POST', '/v1/token', { profile: 'p' });
    expect(scopesOf(plain.accessToken)).not.toContain('admin:all');
  });

  it('forgets the privileged sign-in when the agent stops: it was never written anywhere', async () => {
    expect(await agent.stop()).toBe(0);
    agent = await spawnAgent(home.env, home.socket);
    const e = await refusal(agent.client.call('POST', '/v1/token', { profile: 'p', privileged: true }));
    expect(e.code).toBe('login_required');
    expect(e.message).toContain('--privileged');
    // The normal session, from the keyring, still works.
    const plain = await agent.client.call<TokenResponse>('POST', '/v1/token', { profile: 'p' });
    expect(scopesOf(plain.accessToken)).toContain('api:read');
  });

  it('logout revokes and forgets the privileged sign-in along with the session', async () => {
    const login = await loginViaCli(['--profile', 'p', '--privileged'], home.env, (userCode) => idp.approveDevice(userCode));
    expect(login.code, login.stderr).toBe(0);
    const before = await agent.client.call<StatusResponse>('GET', '/v1/status');
    expect(before.profiles.find((p) => p.name === 'p')!.privilegedSessionExpiresAt).toEqual(expect.any(Number));
    idp.resetCounts();
    await agent.client.call('POST', '/v1/logout', { profile: 'p' });
    expect(idp.counts().revocation).toBe(2);
    const after = await agent.client.call<StatusResponse>('GET', '/v1/status');
    expect(after.profiles.find((p) => p.name === 'p')!.privilegedSessionExpiresAt).toBeUndefined();
    expect((await refusal(agent.client.call('POST', '/v1/token', { profile: 'p', privileged: true }))).code).toBe('login_required');
  });
});
