/**
 * OTP secrets and replay state in the real Secret Service (a private gnome-keyring on its
 * own D-Bus session), with the agent as a real process on real time and codes from the
 * real `oathtool`: the secret and the last used step live in the keychain entry, never in
 * a file, and a used step is refused after the agent restarts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import type { OtpChallenge, OtpStatusResponse, TokenResponse } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { startPrivateKeyring, type PrivateKeyring } from '../fixtures/keyring.js';
import { loginThroughAgent } from '../fixtures/login.js';
import { TotpCodes } from '../fixtures/oathtool.js';
import { enrolTotpOnTerminal } from '../fixtures/terminal.js';

let idp: TestIdp;
let keyring: PrivateKeyring;
let home: TestHome;
let agent: AgentProcess;

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: 300 });
  keyring = await startPrivateKeyring();
  home = makeTestHome(keyring.env);
  home.writeConfig({
    storage: 'keychain',
    profiles: { p: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'admin:all'], privileged: { scopes: ['admin:all'] } } },
  });
  agent = await spawnAgent(home.env, home.socket);
  await loginThroughAgent(agent.client, idp, 'p');
});

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  keyring?.close();
  home?.cleanup();
});

async function privileged(code: string): Promise<TokenResponse> {
  const e = await agent.client.call('POST', '/v1/token', { profile: 'p', privileged: true }).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(AuthctlError);
  const c = (e as AuthctlError).details.challenge as OtpChallenge;
  return agent.client.call<TokenResponse>('POST', '/v1/token', { profile: 'p', privileged: true, otp: { challengeId: c.id, code } });
}

describe('OTP state in the keychain', () => {
  it('keeps the secret and the used step in the keychain entry, refusing a used step after a restart', async () => {
    const service = home.env.AUTHCTL_KEYCHAIN_SERVICE!;
    let codes!: TotpCodes;
    const secret = await enrolTotpOnTerminal(home.env, (s) => {
      codes = new TotpCodes(s);
      return codes.fresh();
    });

    const status = await agent.client.call<OtpStatusResponse>('GET', '/v1/otp/status');
    expect(status.storage).toBe('keychain');
    expect(status.warning).toBeUndefined();
    const entry = JSON.parse(keyring.lookup(service, 'otp')!);
    expect(entry.totp.secret).toBe(secret);
    const enrolledStep = entry.totp.lastStep;
    expect(enrolledStep).toEqual(expect.any(Number));
    expect(existsSync(join(home.dir, 'state', 'authctl', 'otp.json'))).toBe(false);

    const t = await privileged(await codes.fresh());
    expect(String(decodeJwt(t.accessToken).scope)).toBe('admin:all');
    expect(JSON.parse(keyring.lookup(service, 'otp')!).totp.lastStep).toBeGreaterThan(enrolledStep);

    expect(await agent.stop()).toBe(0);
    agent = await spawnAgent(home.env, home.socket);
    const replay = await privileged(codes.previous).catch((err: unknown) => err);
    expect(replay).toBeInstanceOf(AuthctlError);
    expect((replay as AuthctlError).code).toBe('otp_invalid');
    expect((replay as AuthctlError).message).toMatch(/already used/);
  });
});
