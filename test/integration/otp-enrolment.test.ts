/**
 * Who may enrol an OTP method, and when. The first enrolment holds the gate (trust on first
 * use), so it needs a process with a controlling terminal: the built CLI on a real pty
 * here; a process in a session of its own (setsid) is refused. Two enrolments started side
 * by side: the one confirmed last cannot replace the one that landed first, nor can an
 * OTP-approved enrolment land over a method that was enrolled meanwhile. The audit log says
 * who enrolled. The OTP clock is the agent's injectable one; codes come from `oathtool`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { decodeJwt } from 'jose';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import type { OtpChallenge, OtpEnrollResponse, OtpStatusResponse, TokenResponse } from '../../shared/api.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';
import { oathtoolTotp } from '../fixtures/oathtool.js';
import { refusal } from '../fixtures/refusal.js';
import { runOnTerminal } from '../fixtures/terminal.js';
import { mintYubicoOtp, VECTOR_KEY } from '../fixtures/yubicloud-server.js';

let idp: TestIdp;
let home: TestHome;
let agent: RunningAgent;
let client: AgentClient;
let clock = Date.now();
let secret = '';

const code = (s = secret) => oathtoolTotp(s, Math.floor(clock / 1000));
const nextStep = () => (clock += 30_000);

/** POST from a process in a new session, without a controlling terminal. */
function postWithoutTerminal(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const script = `
    const req = require('node:http').request({ socketPath: process.argv[1], path: process.argv[2], method: 'POST', headers: { host: 'authctl', 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, body: JSON.parse(text) })));
    });
    req.end(process.argv[3]);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, agent.socketPath, path, JSON.stringify(body)], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(JSON.parse(out)));
  });
}

async function privileged(answer: string): Promise<TokenResponse> {
  const c = (await refusal(client.call('POST', '/v1/token', { profile: 'p', privileged: true }))).details.challenge as OtpChallenge;
  return client.call<TokenResponse>('POST', '/v1/token', { profile: 'p', privileged: true, otp: { challengeId: c.id, code: answer } });
}

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: 300 });
  home = makeTestHome();
  home.writeConfig({
    storage: 'file',
    profiles: { p: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'admin:all'], privileged: { scopes: ['admin:all'] } } },
  });
  agent = await startAgent({ pathEnv: home.pathEnv, log: 'file', otp: { now: () => clock } });
  client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
  await loginThroughAgent(client, idp, 'p');
});

afterAll(async () => {
  await agent?.close();
  await idp?.close();
  home?.cleanup();
});

describe('the first OTP enrolment', () => {
  it('is refused to a process without a controlling terminal', async () => {
    const r = await postWithoutTerminal('/v1/otp/enroll', { method: 'totp' });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('otp_required');
    expect(r.body.message).toMatch(/must be enrolled from a terminal/);
    expect(r.body.secret).toBeUndefined();
    expect((await client.call<OtpStatusResponse>('GET', '/v1/otp/status')).methods).toEqual([]);
  });

  it('started twice: the enrolment confirmed last cannot replace the one that landed first', async () => {
    const first = runOnTerminal(['otp', 'enroll', '--totp'], home.env);
    const stale = runOnTerminal(['otp', 'enroll', '--totp'], home.env);
    const firstSecret = (await first.waitFor(/Or type in this secret: ([A-Z2-7]{32})/))[1]!;
    const staleSecret = (await stale.waitFor(/Or type in this secret: ([A-Z2-7]{32})/))[1]!;
    expect(staleSecret).not.toBe(firstSecret);
    await first.waitFor(/to finish enrolling: /);
    await stale.waitFor(/to finish enrolling: /);

    first.typeLine(code(firstSecret));
    expect(await first.exit).toBe(0);
    stale.typeLine(code(staleSecret));
    expect(await stale.exit).toBe(4);
    expect(stale.output()).toMatch(/another enrolment \(TOTP\) finished first/);
    secret = firstSecret;
    nextStep();

    // The gate still answers to the first secret, and not to the stale one.
    const wrong = await refusal(privileged(code(staleSecret)));
    expect(wrong.code).toBe('otp_invalid');
    const t = await privileged(code());
    expect(String(decodeJwt(t.accessToken).scope)).toBe('admin:all');
    nextStep();
  });

  it('writes who enrolled to the audit log: pid, executable, uid and terminal', async () => {
    const lines = () =>
      home
        .logs()
        .split('\n')
        .filter((l) => l.includes('"event":"otp"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (let i = 0; i < 100 && !lines().some((l) => l.outcome === 'enrolled'); i++) await new Promise((r) => setTimeout(r, 50));
    const enrolled = lines().find((l) => l.outcome === 'enrolled')!;
    expect(enrolled).toMatchObject({ method: 'totp', approvedBy: 'first use, from a terminal', peerUid: process.getuid!() });
    expect(enrolled.peerPid).toEqual(expect.any(Number));
    expect(String(enrolled.peerExe)).toMatch(/node/);
    expect(String(enrolled.tty)).toMatch(/^pts\/\d+$/);
    expect(lines().some((l) => l.outcome === 'enrol_refused' && l.why === 'enrolled methods changed')).toBe(true);
    expect(lines().some((l) => l.outcome === 'enrol_refused' && l.why === 'no terminal at start')).toBe(true);
    expect(home.logs()).not.toContain(secret);
  });
});

describe('enrolling while a method is enrolled', () => {
  it('needs an OTP, and never lands over a method enrolled meanwhile', async () => {
    const settings = { method: 'yubikey', aesKey: VECTOR_KEY.aesKeyHex, publicId: VECTOR_KEY.publicId };
    const startApproved = async (): Promise<OtpEnrollResponse & { status: 'pending' }> => {
      const c = (await refusal(client.call('POST', '/v1/otp/enroll', settings))).details.challenge as OtpChallenge;
      const started = await client.call<OtpEnrollResponse>('POST', '/v1/otp/enroll', { ...settings, otp: { challengeId: c.id, code: code() } });
      nextStep();
      if (started.status !== 'pending') throw new Error('not pending');
      expect(started.first).toBeUndefined();
      return started;
    };
    const one = await startApproved();
    const two = await startApproved();
    const done = await client.call<OtpEnrollResponse>('POST', '/v1/otp/enroll', { method: 'yubikey', enrollmentId: one.enrollmentId, code: mintYubicoOtp({ ...VECTOR_KEY, usage: 1, session: 0 }) });
    expect(done).toMatchObject({ status: 'enrolled', method: 'yubikey' });
    const late = await refusal(client.call('POST', '/v1/otp/enroll', { method: 'yubikey', enrollmentId: two.enrollmentId, code: mintYubicoOtp({ ...VECTOR_KEY, usage: 1, session: 1 }) }));
    expect(late.code).toBe('usage');
    expect(late.message).toContain('authctl otp remove --yubikey');
  });
});
