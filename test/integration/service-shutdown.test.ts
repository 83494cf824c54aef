/**
 * Graceful shutdown of the built agent process: SIGTERM while 100 token requests wait on a
 * refresh that rotates the refresh token. The refresh is held in flight by a real HTTP
 * proxy (the agent honours HTTP_PROXY, as on a corporate network) until the agent has
 * stopped accepting; then every request gets a whole answer or a clean close, the rotated
 * refresh token is in the keychain (a private gnome-keyring), and the socket is gone.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeychainStore } from '../../daemon/store/keychain-store.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { startPrivateKeyring, type PrivateKeyring } from '../fixtures/keyring.js';
import { loginThroughAgent } from '../fixtures/login.js';

const REQUESTS = 100;

/** A CONNECT proxy that, while `hold` is on, stops forwarding a refresh-token grant until released. */
interface HoldingProxy {
  url: string;
  hold: boolean;
  /** Resolves when a refresh grant is being held. */
  holding: Promise<void>;
  release(): void;
  close(): Promise<void>;
}

async function startHoldingProxy(): Promise<HoldingProxy> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let held!: () => void;
  const holding = new Promise<void>((r) => (held = r));
  const proxy = { hold: false } as HoldingProxy;
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client, head) => {
    const [host, port] = String(req.url).split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.on('data', (chunk: Buffer) => {
        if (!proxy.hold || !chunk.includes('grant_type=refresh_token')) return void upstream.write(chunk);
        client.pause();
        held();
        void released.then(() => {
          upstream.write(chunk);
          client.resume();
        });
      });
    });
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', drop);
    client.on('error', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    holding,
    release,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}

type Outcome = { kind: 'answered'; accessToken: string } | { kind: 'closed' } | { kind: 'broken'; raw: string };

/** One token request on its own connection; the raw bytes decide: a whole answer, nothing at all, or broken. */
function tokenRequest(socketPath: string): { connected: Promise<void>; outcome: Promise<Outcome> } {
  const body = JSON.stringify({ profile: 'work', minValidSeconds: 3600 });
  const sock = connect(socketPath);
  const connected = new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const outcome = new Promise<Outcome>((resolve) => {
    const chunks: Buffer[] = [];
    sock.once('connect', () =>
      sock.write(`POST /v1/token HTTP/1.1\r\nHost: authctl\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
    );
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => undefined);
    sock.once('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (raw === '') return resolve({ kind: 'closed' });
      const [head, text = ''] = raw.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(head!)?.[1]);
      if (!head!.startsWith('HTTP/1.1 200 ') || Buffer.byteLength(text) !== length) return resolve({ kind: 'broken', raw: raw.slice(0, 200) });
      resolve({ kind: 'answered', accessToken: JSON.parse(text).accessToken });
    });
  });
  return { connected, outcome };
}

/** True once a connect to the path is refused: the agent no longer accepts. */
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

let idp: TestIdp;
let keyring: PrivateKeyring;
let proxy: HoldingProxy;
let home: TestHome;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: 300, rotateRefreshTokens: true });
  keyring = await startPrivateKeyring();
  proxy = await startHoldingProxy();
  home = makeTestHome({ ...keyring.env, HTTP_PROXY: proxy.url });
  home.writeConfig({ storage: 'keychain', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
});

afterAll(async () => {
  await agent?.stop('SIGKILL');
  await proxy?.close();
  await idp?.close();
  keyring?.close();
  home?.cleanup();
});

describe('graceful shutdown (SIGTERM)', () => {
  it('answers or cleanly closes 100 in-flight requests, completes the rotation\'s keychain write, and removes its socket', async () => {
    agent = await spawnAgent(home.env, home.socket);
    expect((await loginThroughAgent(agent.client, idp, 'work')).at(-1)).toMatchObject({ event: 'success', storage: 'keychain' });
    // The test reads the same private keyring the agent writes to.
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.env.DBUS_SESSION_BUS_ADDRESS;
    const keychain = new KeychainStore(home.env.AUTHCTL_KEYCHAIN_SERVICE);
    const before = (await keychain.get('work'))?.refreshToken;
    expect(before).toEqual(expect.any(String));

    proxy.hold = true;
    idp.resetCounts();
    // 300 s tokens and a 3600 s minimum: every request needs the one refresh the proxy holds.
    const requests = Array.from({ length: REQUESTS }, () => tokenRequest(home.socket));
    await Promise.all(requests.map((r) => r.connected));
    await proxy.holding;
    // Answered after all 100 connected, so the agent has accepted every one of them (FIFO backlog).
    await agent.client.call('GET', '/v1/status');

    const exited = agent.stop('SIGTERM');
    while (!(await refused(home.socket))) await new Promise((r) => setTimeout(r, 10));
    proxy.release();

    const outcomes = await Promise.all(requests.map((r) => r.outcome));
    expect(await exited).toBe(0);
    agent = undefined;
    expect(outcomes.filter((o) => o.kind === 'broken')).toEqual([]);
    const answered = outcomes.filter((o): o is Extract<Outcome, { kind: 'answered' }> => o.kind === 'answered');
    expect(answered.length).toBeGreaterThan(0);
    expect(new Set(answered.map((o) => o.accessToken)).size).toBe(1);
    expect(idp.counts().refresh).toBe(1);
    expect(existsSync(home.socket)).toBe(false);

    // The rotated refresh token reached the keychain before exit, and it is the live one.
    const after = (await keychain.get('work'))?.refreshToken;
    expect(after).toEqual(expect.any(String));
    expect(after).not.toBe(before);
    const meta = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    const refresh = await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: after!, client_id: idp.clientId }),
    });
    expect(refresh.status).toBe(200);

    const logs = home.logs();
    expect(logs).toContain('agent stopped');
    for (const secret of [before!, after!, answered[0]!.accessToken]) expect(logs.includes(secret)).toBe(false);
  });
});
