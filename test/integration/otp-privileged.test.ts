/**
 * Privileged requests behind a one-time password, against the real test IdP, with TOTP
 * codes computed by the real `oathtool`: policy decides what is privileged, ordinary
 * tokens never carry a privileged scope, a privileged token needs a fresh OTP every time,
 * challenges are single-use, bound and expiring, wrong codes lock out with a growing delay,
 * and used steps and the lockout survive an agent restart. The OTP clock is the agent's
 * injectable one, so tests move time instead of waiting for it; the IdP runs on real time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realpathSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import type { OtpChallenge, OtpStatusResponse, StatusResponse, TokenRequest, TokenResponse } from '../../shared/api.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { loginThroughAgent } from '../fixtures/login.js';
import { SecretWitness } from '../fixtures/secret-witness.js';
import { refusal } from '../fixtures/refusal.js';
import { oathtoolTotp } from '../fixtures/oathtool.js';
import { runOnTerminal } from '../fixtures/terminal.js';

const STEP_MS = 30_000;
let idp: TestIdp;
let home: TestHome;
let agent: RunningAgent;
let client: AgentClient;
let clock = Date.now();
let secret = '';
const usedCodes: string[] = [];
const witness = new SecretWitness();

const start = () => startAgent({ pathEnv: home.pathEnv, log: 'file', otp: { now: () => clock } });

/** The TOTP code at the agent's OTP clock, from the real oathtool. */
function totp(at = clock): string {
  const code = oathtoolTotp(secret, Math.floor(at / 1000));
  usedCodes.push(code);
  return code;
}

/** A code that is not the current one (nor, but for a 1 in 10^6 chance, a neighbour's). */
const wrongCode = () => String((Number(totp()) + 500_000) % 1_000_000).padStart(6, '0');

function nextStep(): void {
  clock += STEP_MS;
}

async function token(body: TokenRequest): Promise<TokenResponse> {
  const t = await client.call<TokenResponse>('POST', '/v1/token', { profile: 'p', ...body });
  witness.see('access token', t.accessToken);
  return t;
}


async function challengeFor(body: TokenRequest): Promise<OtpChallenge> {
  const e = await refusal(token(body));
  expect(e.code).toBe('otp_required');
  return e.details.challenge as OtpChallenge;
}

async function privileged(body: TokenRequest = { privileged: true }): Promise<TokenResponse> {
  const c = await challengeFor(body);
  return token({ ...body, otp: { challengeId: c.id, code: totp() } });
}

function scopesOf(t: TokenResponse): string[] {
  return String(decodeJwt(t.accessToken).scope ?? '').split(' ');
}

async function restartAgent(): Promise<void> {
  await agent.close();
  agent = await start();
}

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: 300 });
  home = makeTestHome();
  const profile = { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'api:write', 'admin:all'] };
  home.writeConfig({
    storage: 'file',
    profiles: {
      p: { ...profile, privileged: { scopes: ['admin:all'] } },
    },
  });
  witness.watch('agent logs', () => home.logs());
  agent = await start();
  client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
  await loginThroughAgent(client, idp, 'p');
});

afterAll(async () => {
  await agent?.close();
  await idp?.close();
  const logs = home.logs();
  expect(logs).toContain('"event":"otp"');
  expect(witness.leaks()).toEqual([]);
  if (secret) expect(logs).not.toContain(secret);
  for (const code of usedCodes) expect(logs).not.toMatch(new RegExp(`(?<!\\d)${code}(?!\\d)`));
  home.cleanup();
});

describe('privileged requests behind a TOTP', () => {
  it('fails closed with otp_required, and says how to enrol, while no method is enrolled', async () => {
    const e = await refusal(token({ privileged: true }));
    expect(e.code).toBe('otp_required');
    expect(e.details.challenge).toBeUndefined();
    expect(e.message).toContain('authctl otp enroll --totp');
  });

  it('enrols TOTP on a terminal: a secret and otpauth URI, active only after a first right code', async () => {
    const t = runOnTerminal(['otp', 'enroll', '--totp'], home.env);
    const shown = await t.waitFor(/Or add this URI: (otpauth:\S+)\s+Or type in this secret: ([A-Z2-7]{32})/);
    secret = shown[2]!;
    expect(shown[1]).toMatch(new RegExp(`^otpauth://totp/authctl:[^?]+\\?.*secret=${secret}`));
    await t.waitFor(/to finish enrolling: $/);
    expect((await client.call<OtpStatusResponse>('GET', '/v1/otp/status')).methods).toEqual([]);

    t.typeLine(String((Number(totp()) + 1) % 1_000_000).padStart(6, '0'));
    await t.waitFor(/(to finish enrolling: [\s\S]*){2}/);
    expect((await client.call<OtpStatusResponse>('GET', '/v1/otp/status')).methods).toEqual([]);

    t.typeLine(totp());
    expect(await t.exit).toBe(0);
    expect(t.output()).toContain('Enrolled TOTP.');
    const status = await client.call<OtpStatusResponse>('GET', '/v1/otp/status');
    expect(status.methods.map((m) => m.method)).toEqual(['totp']);
    expect(status.storage).toBe('file');
    expect(status.warning).toMatch(/readable by anything running as you/);
    expect(JSON.stringify(status)).not.toContain(secret);
    nextStep();
  });

  it('never puts a privileged scope into an ordinary token, with or without scopes named', async () => {
    idp.resetCounts();
    const plain = await token({});
    expect(scopesOf(plain)).not.toContain('admin:all');
    expect(scopesOf(plain)).toEqual(expect.arrayContaining(['api:read', 'api:write']));
    expect(plain.scopes).not.toContain('admin:all');
    const narrow = await token({ scopes: ['api:read'] });
    expect(scopesOf(narrow)).toEqual(['api:read']);
    expect(idp.counts().refresh).toBe(2);
  });

  it('answers a request for a policy-privileged scope with a challenge that says what it approves', async () => {
    const c = await challengeFor({ scopes: ['admin:all'] });
    expect(c.id).toMatch(/^[\w-]{20,}$/);
    expect(c.expiresAt).toBe(Math.floor((clock + 120_000) / 1000));
    expect(c.methods).toEqual(['totp']);
    expect(c.attemptsLeft).toBe(3);
    expect(c.reason).toContain('"admin:all"');
    expect(c.approves).toEqual({ action: 'token', profile: 'p', scopes: ['admin:all'], audience: undefined, resource: undefined });
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    // The peer check names the requester: this very process (the in-process client), and its parent.
    expect(status.peerCheck).toBe('available');
    expect(c.requester?.pid).toBe(process.pid);
    expect(c.requester?.exe).toBe(realpathSync(process.execPath));
    expect(c.requester?.parent?.pid).toBe(process.ppid);
  });

  it('mints a privileged token for one request only: not cached, and the next one needs a new OTP', async () => {
    idp.resetCounts();
    const first = await privileged();
    expect(scopesOf(first)).toEqual(['admin:all']);
    expect(idp.counts().refresh).toBe(1);
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    const cached = status.profiles.find((p) => p.name === 'p')!.cachedTokens;
    expect(cached.length).toBeGreaterThan(0);
    expect(cached.some((t) => t.key.startsWith('privileged') || t.scopes.join(' ') === 'admin:all')).toBe(false);

    // The same code for a new challenge: its time step is spent.
    const c = await challengeFor({ privileged: true });
    const again = await refusal(token({ privileged: true, otp: { challengeId: c.id, code: usedCodes.at(-1)! } }));
    expect(again.code).toBe('otp_invalid');
    expect(again.message).toMatch(/already used/);
    const retry = again.details.challenge as OtpChallenge;
    expect(retry.id).toBe(c.id);
    expect(retry.attemptsLeft).toBe(2);
    nextStep();
    const second = await token({ privileged: true, otp: { challengeId: c.id, code: totp() } });
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(scopesOf(second)).toEqual(['admin:all']);
    expect(idp.counts().refresh).toBe(2);
    nextStep();
  });

  it('refuses a spent challenge, and a challenge presented for another request', async () => {
    const c = await challengeFor({ privileged: true });
    await token({ privileged: true, otp: { challengeId: c.id, code: totp() } });
    nextStep();
    const spent = await refusal(token({ privileged: true, otp: { challengeId: c.id, code: totp() } }));
    expect(spent.code).toBe('otp_invalid');
    expect(spent.message).toMatch(/expired or was already used/);

    const other = await challengeFor({ privileged: true });
    const moved = await refusal(token({ privileged: true, scopes: ['admin:all', 'api:read'], otp: { challengeId: other.id, code: totp() } }));
    expect(moved.code).toBe('otp_invalid');
    expect(moved.message).toMatch(/another request/);
    // Refused without being spent or counted: the right request can still use it.
    const ok = await token({ privileged: true, otp: { challengeId: other.id, code: totp() } });
    expect(scopesOf(ok)).toEqual(['admin:all']);
    nextStep();
  });

  it('refuses an expired challenge', async () => {
    const c = await challengeFor({ privileged: true });
    clock += 121_000;
    const e = await refusal(token({ privileged: true, otp: { challengeId: c.id, code: totp() } }));
    expect(e.code).toBe('otp_invalid');
    expect(e.message).toMatch(/expired/);
  });

  it('refuses a used time step after an agent restart', async () => {
    nextStep();
    await privileged();
    await restartAgent();
    const c = await challengeFor({ privileged: true });
    const e = await refusal(token({ privileged: true, otp: { challengeId: c.id, code: usedCodes.at(-1)! } }));
    expect(e.code).toBe('otp_invalid');
    expect(e.message).toMatch(/already used/);
    nextStep();
    await token({ privileged: true, otp: { challengeId: c.id, code: totp() } });
    nextStep();
  });

  it('locks out after three wrong codes, with a delay that grows and survives a restart', async () => {
    const c = await challengeFor({ privileged: true });
    for (const left of [2, 1]) {
      const e = await refusal(token({ privileged: true, otp: { challengeId: c.id, code: wrongCode() } }));
      expect(e.code).toBe('otp_invalid');
      expect((e.details.challenge as OtpChallenge).attemptsLeft).toBe(left);
    }
    const raw = await client.request<{ error: string; retryAfterSeconds: number }>('POST', '/v1/token', {
      profile: 'p',
      privileged: true,
      otp: { challengeId: c.id, code: wrongCode() },
    });
    expect(raw.status).toBe(429);
    expect(raw.body).toMatchObject({ error: 'otp_locked', retryAfterSeconds: 30 });

    // While locked out even a right code is refused, and no new challenge is issued.
    const locked = await refusal(token({ privileged: true, otp: { challengeId: c.id, code: totp() } }));
    expect(locked.code).toBe('otp_locked');
    expect((await refusal(token({ privileged: true }))).code).toBe('otp_locked');
    await restartAgent();
    expect((await refusal(token({ privileged: true }))).code).toBe('otp_locked');
    expect((await client.call<OtpStatusResponse>('GET', '/v1/otp/status')).lockedUntil).toBe(Math.ceil((clock + 30_000) / 1000));

    clock += 31_000;
    const c2 = await challengeFor({ privileged: true });
    for (let i = 0; i < 2; i++) await refusal(token({ privileged: true, otp: { challengeId: c2.id, code: wrongCode() } }));
    const second = await refusal(token({ privileged: true, otp: { challengeId: c2.id, code: wrongCode() } }));
    expect(second.code).toBe('otp_locked');
    expect(second.details.retryAfterSeconds).toBe(60);

    clock += 61_000;
    await privileged();
    // A right answer resets the count.
    const c3 = await challengeFor({ privileged: true });
    expect(c3.attemptsLeft).toBe(3);
    nextStep();
  });

  it('judges wrong answers sent in parallel one at a time: none is judged past the lockout', async () => {
    const open = await Promise.all(Array.from({ length: 6 }, () => challengeFor({ privileged: true })));
    const results = await Promise.all(open.map((c) => refusal(token({ privileged: true, otp: { challengeId: c.id, code: wrongCode() } }))));
    expect(results.map((e) => e.code).sort()).toEqual(['otp_invalid', 'otp_invalid', 'otp_locked', 'otp_locked', 'otp_locked', 'otp_locked']);
    clock += 31_000;
    await privileged();
    nextStep();
  });

  it('needs an OTP from the enrolled method to enrol another or to remove it, and never enrols over one', async () => {
    const e = await refusal(client.call('POST', '/v1/otp/enroll', { method: 'yubikey', aesKey: '0123456789abcdef0123456789abcdef', publicId: 'vvccccfiluij' }));
    expect(e.code).toBe('otp_required');
    expect((e.details.challenge as OtpChallenge).approves).toEqual({ action: 'otp_enroll', method: 'yubikey' });
    const over = await refusal(client.call('POST', '/v1/otp/enroll', { method: 'totp' }));
    expect(over.code).toBe('usage');
    expect(over.message).toContain('authctl otp remove --totp');

    const r = await refusal(client.call('POST', '/v1/otp/remove', { method: 'totp' }));
    expect(r.code).toBe('otp_required');
    const c = r.details.challenge as OtpChallenge;
    expect(c.approves).toEqual({ action: 'otp_remove', method: 'totp' });
    const removed = await client.call('POST', '/v1/otp/remove', { method: 'totp', otp: { challengeId: c.id, code: totp() } });
    expect(removed).toEqual({ removed: ['totp'] });
    expect((await client.call<OtpStatusResponse>('GET', '/v1/otp/status')).methods).toEqual([]);
    const after = await refusal(token({ privileged: true }));
    expect(after.message).toMatch(/no one-time password method is enrolled/);
  });

  it('writes every OTP outcome to the audit log', async () => {
    const expected = ['no_method', 'enrolled', 'challenge_issued', 'accepted', 'wrong', 'locked', 'refused_locked', 'challenge_refused', 'removed'];
    const outcomes = () =>
      home
        .logs()
        .split('\n')
        .filter((l) => l.includes('"event":"otp"'))
        .map((l) => JSON.parse(l).outcome as string);
    // The log file is written asynchronously: give the last lines a moment to land.
    for (let i = 0; i < 100 && !expected.every((o) => outcomes().includes(o)); i++) await new Promise((r) => setTimeout(r, 50));
    expect(outcomes()).toEqual(expect.arrayContaining(expected));
  });
});
