/**
 * Corporate networks: an HTTPS identity provider whose certificate comes from a private CA
 * (as behind a TLS-inspecting proxy), reached through a forward proxy (HTTP CONNECT) named
 * by HTTPS_PROXY, or directly when NO_PROXY names it. The agent trusts the CA only when it
 * is configured (the config's network.caFile, or NODE_EXTRA_CA_CERTS); otherwise the error
 * names the host and the reason, with exit code 5.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import type { DiagnosticsResponse, TokenResponse } from '../../shared/api.js';
import type { NetworkSettings } from '../../shared/config.js';
import { runCli } from '../fixtures/cli.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startFaultProxy, type FaultProxy } from '../fixtures/fault-proxy.js';
import { startForwardProxy, type ForwardProxy } from '../fixtures/forward-proxy.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';

let certs: { dir: string; ca: string; key: string; cert: string };
let front: FaultProxy;
let idp: TestIdp;
let forward: ForwardProxy;
let previousDispatcher: Dispatcher;
const running: Array<{ agent: RunningAgent; home: TestHome }> = [];

/** A private CA and a certificate for localhost and 127.0.0.1 signed by it (openssl). */
function makeCerts() {
  const dir = mkdtempSync(join(tmpdir(), 'authctl-tls-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=authctl test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  return { dir, ca: join(dir, 'ca.pem'), key: readFileSync(join(dir, 'server.key'), 'utf8'), cert: readFileSync(join(dir, 'server.pem'), 'utf8') };
}

async function agentWith(env: Record<string, string>, network: NetworkSettings = {}): Promise<{ client: AgentClient; home: TestHome }> {
  const home = makeTestHome(env);
  home.writeConfig({ storage: 'file', network, profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
  const agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
  running.push({ agent, home });
  return { client: new AgentClient({ socketPath: agent.socketPath, autostart: false }), home };
}

beforeAll(async () => {
  certs = makeCerts();
  front = await startFaultProxy({ tls: { key: certs.key, cert: certs.cert } });
  idp = await startTestIdp({ issuer: front.url });
  front.setTarget(idp.listenUrl);
  forward = await startForwardProxy();
  // The test itself approves logins at the IdP's HTTPS pages, so it trusts the test CA.
  previousDispatcher = getGlobalDispatcher();
  setGlobalDispatcher(new Agent({ connect: { ca: readFileSync(certs.ca, 'utf8') } }));
});

afterAll(async () => {
  setGlobalDispatcher(previousDispatcher);
  for (const { agent, home } of running) {
    await agent.close();
    home.cleanup();
  }
  await forward?.close();
  await front?.close();
  await idp?.close();
  rmSync(certs.dir, { recursive: true, force: true });
});

const host = () => new URL(front.url).host;

describe('corporate network', () => {
  it('goes through HTTPS_PROXY and trusts the CA from the config', async () => {
    const { client } = await agentWith({ HTTPS_PROXY: forward.url }, { caFile: certs.ca });
    const before = forward.tunnels().length;
    expect((await loginThroughAgent(client, idp, 'work')).at(-1)).toMatchObject({ event: 'success', subject: 'alice' });
    const t = await client.call<TokenResponse>('POST', '/v1/token', { profile: 'work', minValidSeconds: 3600 });
    expect(t.accessToken).toBeTruthy();
    const tunnels = forward.tunnels().slice(before);
    expect(tunnels.length).toBeGreaterThan(0);
    expect(new Set(tunnels)).toEqual(new Set([host()]));
  });

  it('bypasses the proxy for NO_PROXY hosts, and trusts NODE_EXTRA_CA_CERTS', async () => {
    const { client } = await agentWith({ HTTPS_PROXY: forward.url, NO_PROXY: 'localhost', NODE_EXTRA_CA_CERTS: certs.ca });
    const before = forward.tunnels().length;
    expect((await loginThroughAgent(client, idp, 'work')).at(-1)).toMatchObject({ event: 'success' });
    expect(forward.tunnels().length).toBe(before);
  });

  it('without the CA: the TLS error names the host and the reason, and login exits 5', async () => {
    const { client, home } = await agentWith({ HTTPS_PROXY: forward.url });
    const cli = await runCli(['login', '--profile', 'work', '--no-browser'], home.env);
    expect(cli.code).toBe(5);
    expect(cli.stderr).toContain(`TLS to ${host()} failed`);
    expect(cli.stderr).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED/);
    expect(cli.stderr).toContain('caFile');
    const diag = await client.call<DiagnosticsResponse>('GET', '/v1/diagnostics');
    expect(diag.profiles[0]).toMatchObject({ profile: 'work', reachable: false });
    expect(diag.profiles[0]!.error).toContain(`TLS to ${host()} failed`);
  });
});
