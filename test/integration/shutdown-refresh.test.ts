/**
 * SIGTERM while a refresh is in flight and its client has already given up: the provider
 * has rotated the refresh token, and its answer is on the way (held by the fault proxy).
 * The agent must wait for that answer and write the rotated refresh token to the real
 * keychain (here slow to answer: its daemon is stopped for a moment) before it exits, or
 * the next agent holds a retired token (login required).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { runCli } from '../fixtures/cli.js';
import { startFaultProxy, type FaultProxy } from '../fixtures/fault-proxy.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { startPrivateKeyring, type PrivateKeyring } from '../fixtures/keyring.js';
import { loginThroughAgent } from '../fixtures/login.js';

let proxy: FaultProxy;
let idp: TestIdp;
let keyring: PrivateKeyring;
let home: TestHome;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  proxy = await startFaultProxy();
  idp = await startTestIdp({ issuer: proxy.url, accessTokenTTL: 300, rotateRefreshTokens: true });
  proxy.setTarget(idp.listenUrl);
  keyring = await startPrivateKeyring();
  home = makeTestHome({ ...keyring.env });
  home.writeConfig({ storage: 'keychain', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
});

afterAll(async () => {
  await agent?.stop('SIGKILL');
  await proxy?.close();
  await idp?.close();
  keyring?.close();
  home?.cleanup();
});

/** Sends a token request and hangs up without waiting for the answer. */
function askAndHangUp(socketPath: string): Promise<void> {
  const body = JSON.stringify({ profile: 'work', minValidSeconds: 3600 });
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath, () => {
      sock.write(`POST /v1/token HTTP/1.1\r\nHost: authctl\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      resolve();
    });
    sock.once('error', reject);
    void proxy.waitForHeld().then(() => sock.destroy());
  });
}

function refused(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('shutdown during a refresh', () => {
  it('waits for a refresh the provider already answered, even when its client left, and stores the rotated token', async () => {
    agent = await spawnAgent(home.env, home.socket);
    expect((await loginThroughAgent(agent.client, idp, 'work')).at(-1)).toMatchObject({ event: 'success', storage: 'keychain' });
    const before = JSON.parse(keyring.lookup(home.env.AUTHCTL_KEYCHAIN_SERVICE!, 'work')!).refreshToken;

    proxy.fault({ match: 'refresh', kind: 'holdResponse', times: 1 });
    idp.resetCounts();
    await askAndHangUp(home.socket);
    await proxy.waitForHeld();
    // The provider has rotated: the old refresh token is retired from here on.
    expect(idp.counts().refresh).toBe(1);

    const running = agent;
    let gone = false;
    const exited = running.stop('SIGTERM').then((code) => ((gone = true), code));
    while (!(await refused(home.socket))) await new Promise((r) => setTimeout(r, 10));
    // A keychain slow to answer (stopped daemon): the write after the refresh has to wait.
    keyring.pause();
    try {
      proxy.releaseHeld();
      // Room for an agent that does not wait to exit early; one that waits is still here after.
      for (let i = 0; i < 40 && !gone; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      keyring.resume();
    }
    expect(await exited).toBe(0);
    agent = undefined;

    const after = JSON.parse(keyring.lookup(home.env.AUTHCTL_KEYCHAIN_SERVICE!, 'work')!).refreshToken;
    expect(after !== before, "the rotated refresh token was stored").toBe(true);

    // The next agent refreshes with the stored (rotated) token.
    agent = await spawnAgent(home.env, home.socket);
    const t = await runCli(['token', '--min-valid', '3600'], home.env);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^eyJ/);
    expect(idp.counts().refresh).toBe(2);
  });
});
