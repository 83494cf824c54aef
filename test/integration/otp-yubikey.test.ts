/**
 * YubiKey OTP in front of privileged requests, against the real test IdP: offline with
 * the slot's AES key (the published Yubico key, fresh OTPs minted as the key would),
 * counters that must increase, also after an agent restart; then online through a
 * validation protocol 2.0 server, where the enrolled key's public id still decides and a
 * failing service is not counted as a wrong guess.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import type { OtpChallenge, OtpStatusResponse, TokenRequest, TokenResponse } from '../../shared/api.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { loginThroughAgent } from '../fixtures/login.js';
import { mintYubicoOtp, startYubiCloudServer, VECTOR_KEY, type YubiCloudServer } from '../fixtures/yubicloud-server.js';
import { refusal } from '../fixtures/refusal.js';
import { runOnTerminal, type TerminalRun } from '../fixtures/terminal.js';

const OTHER_KEY = { publicId: 'vvccccfiluij', aesKeyHex: '0123456789abcdef0123456789abcdef', privateUid: '0a0b0c0d0e0f' };
let idp: TestIdp;
let yubicloud: YubiCloudServer;
let home: TestHome;
let agent: RunningAgent;
let client: AgentClient;

const start = () => startAgent({ pathEnv: home.pathEnv, log: 'file' });
const minted: string[] = [];
function otp(usage: number, session: number, key = VECTOR_KEY): string {
  const code = mintYubicoOtp({ ...key, usage, session });
  minted.push(code);
  return code;
}


async function answer(code: string, body: TokenRequest = { privileged: true }): Promise<TokenResponse> {
  const e = await refusal(client.call('POST', '/v1/token', { profile: 'p', ...body }));
  expect(e.code).toBe('otp_required');
  const c = e.details.challenge as OtpChallenge;
  return client.call<TokenResponse>('POST', '/v1/token', { profile: 'p', ...body, otp: { challengeId: c.id, code } });
}

/**
 * `authctl otp enroll --yubikey ARGS` on a terminal (a first method is enrolled by a person
 * at one), touching the key with `first`; resolves once the CLI exits.
 */
async function enrolOnTerminal(args: string[], first: string): Promise<TerminalRun> {
  const t = runOnTerminal(['otp', 'enroll', '--yubikey', ...args], home.env);
  await t.waitFor(/to finish enrolling: /);
  t.typeLine(first);
  return t;
}

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: 300 });
  yubicloud = await startYubiCloudServer({ keys: [VECTOR_KEY, OTHER_KEY] });
  home = makeTestHome();
  home.writeConfig({
    storage: 'file',
    profiles: { p: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'admin:all'], privileged: { scopes: ['admin:all'] } } },
  });
  agent = await start();
  client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
  await loginThroughAgent(client, idp, 'p');
});

afterAll(async () => {
  await agent?.close();
  await idp?.close();
  await yubicloud?.close();
  const logs = home.logs();
  expect(logs).toContain('"event":"otp"');
  expect(logs).not.toContain(VECTOR_KEY.aesKeyHex);
  expect(logs).not.toContain(yubicloud.apiKeyBase64);
  for (const code of minted) expect(logs).not.toContain(code);
  home.cleanup();
});

describe('YubiKey OTP, offline', () => {
  it('refuses settings that are not a YubiKey slot, without repeating the secret', async () => {
    const e = await refusal(client.call('POST', '/v1/otp/enroll', { method: 'yubikey', aesKey: 'not-hex-0123456789', publicId: VECTOR_KEY.publicId }));
    expect(e.code).toBe('bad_request');
    expect(e.message).toMatch(/32 hex characters/);
    expect(e.message).not.toContain('not-hex');
  });

  it('enrols with the AES key and public id, learning the private uid from a first OTP', async () => {
    const wrongKey = await enrolOnTerminal(['--aes-key', OTHER_KEY.aesKeyHex, '--public-id', VECTOR_KEY.publicId], otp(1, 0));
    await wrongKey.waitFor(/does not decrypt[\s\S]*to finish enrolling: /);
    // Cancelled: exit 4 at the prompt, or 130 when Ctrl-C lands before the prompt turned echo off.
    wrongKey.typeLine('\x03');
    expect([4, 130]).toContain(await wrongKey.exit);
    const done = await enrolOnTerminal(['--aes-key', VECTOR_KEY.aesKeyHex, '--public-id', VECTOR_KEY.publicId], otp(1, 0));
    expect(await done.exit).toBe(0);
    expect(done.output()).toContain(`Enrolled YubiKey ${VECTOR_KEY.publicId}.`);
    const status = await client.call<OtpStatusResponse>('GET', '/v1/otp/status');
    expect(status.methods).toEqual([expect.objectContaining({ method: 'yubikey', mode: 'offline', publicId: VECTOR_KEY.publicId })]);
    expect(JSON.stringify(status)).not.toContain(VECTOR_KEY.aesKeyHex);
    expect(JSON.stringify(status)).not.toContain(VECTOR_KEY.privateUid);
  });

  it('answers a privileged request with a fresh OTP, and refuses replayed, older and foreign ones', async () => {
    const t = await answer(otp(1, 1));
    expect(String(decodeJwt(t.accessToken).scope)).toBe('admin:all');
    // Three wrong answers in a row would lock out: a right one in between resets the count.
    for (const [code, why, next] of [
      [otp(1, 1), /already used/, undefined],
      [otp(1, 0), /already used/, otp(1, 2)],
      [otp(2, 0, OTHER_KEY), /another YubiKey/, otp(1, 3)],
    ] as const) {
      const e = await refusal(answer(code));
      expect(e.code).toBe('otp_invalid');
      expect(e.message).toMatch(why);
      if (next) await answer(next);
    }
  });

  it('keeps the counters across an agent restart', async () => {
    await agent.close();
    agent = await start();
    const e = await refusal(answer(otp(1, 3)));
    expect(e.message).toMatch(/already used/);
    await answer(otp(2, 0));
  });
});

describe('YubiKey OTP, online (validation protocol 2.0)', () => {
  it('switches the key to the service only by removing it (an OTP from it) and enrolling again, then validates with the service', async () => {
    const settings = ['--client-id', yubicloud.clientId, '--api-key', yubicloud.apiKeyBase64, '--url', yubicloud.url];
    // An enrolled method is never replaced.
    const over = await refusal(client.call('POST', '/v1/otp/enroll', { method: 'yubikey', clientId: yubicloud.clientId, apiKey: yubicloud.apiKeyBase64, urls: [yubicloud.url] }));
    expect(over.code).toBe('usage');
    const r = await refusal(client.call('POST', '/v1/otp/remove', { method: 'yubikey' }));
    await client.call('POST', '/v1/otp/remove', { method: 'yubikey', otp: { challengeId: (r.details.challenge as OtpChallenge).id, code: otp(2, 1) } });
    const done = await enrolOnTerminal(settings, otp(3, 0));
    expect(await done.exit).toBe(0);
    expect(done.output()).toContain(`Enrolled YubiKey ${VECTOR_KEY.publicId}.`);
    const before = yubicloud.requests.length;
    const t = await answer(otp(3, 1));
    expect(String(decodeJwt(t.accessToken).scope)).toBe('admin:all');
    expect(yubicloud.requests.length).toBe(before + 1);
    const replay = await refusal(answer(otp(3, 1)));
    expect(replay.message).toMatch(/already used/);
    await answer(otp(3, 2));
  });

  it('refuses another YubiKey\'s OTP although the service would accept it', async () => {
    const before = yubicloud.requests.length;
    const e = await refusal(answer(otp(5, 0, OTHER_KEY)));
    expect(e.message).toMatch(/another YubiKey/);
    expect(yubicloud.requests.length).toBe(before);
  });

  it('does not count a failing service as a wrong guess', async () => {
    const challenge = (await refusal(client.call('POST', '/v1/token', { profile: 'p', privileged: true }))).details.challenge as OtpChallenge;
    const left = challenge.attemptsLeft;
    for (const mode of ['http_500', 'bad_signature'] as const) {
      yubicloud.setMode(mode);
      const e = await refusal(client.call('POST', '/v1/token', { profile: 'p', privileged: true, otp: { challengeId: challenge.id, code: otp(4, 0) } }));
      expect(e.code).toBe('otp_invalid');
      expect(e.message).toMatch(/no usable answer/);
      expect((e.details.challenge as OtpChallenge).attemptsLeft).toBe(left);
    }
    yubicloud.setMode('normal');
    const t = await client.call<TokenResponse>('POST', '/v1/token', { profile: 'p', privileged: true, otp: { challengeId: challenge.id, code: otp(4, 1) } });
    expect(String(decodeJwt(t.accessToken).scope)).toBe('admin:all');
  });
});
