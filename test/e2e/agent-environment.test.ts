/**
 * The autostarted agent does not inherit the environment of the command that happened to
 * start it (issue 11, items 1 and 2). The CLI runs with NODE_OPTIONS=--inspect=0,
 * NODE_TLS_REJECT_UNAUTHORIZED=0, NODE_EXTRA_CA_CERTS (the self-signed certificate of the
 * "provider"), HTTPS_PROXY and AUTHCTL_SYSTEM_CONFIG=/nonexistent, as an IDE debug terminal
 * or a hostile wrapper would; the agent it starts has no inspector port, still verifies
 * TLS, and still applies the admin's policy (mandatory keychain, its own profiles) from the
 * fixed system config.
 *
 * The build copy here has its compiled-in system config path pointed at a temp file
 * (built-app-copy.ts), so the test never writes the real /etc/authctl/config.json.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StatusResponse } from '../../shared/api.js';
import { EXIT } from '../../shared/errors.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { cliAs, isAlive, startAs, waitFor, type Started } from '../fixtures/agent-as-user.js';
import { copyBuiltApp, type AppCopy } from '../fixtures/built-app-copy.js';
import { startForwardProxy, type ForwardProxy } from '../fixtures/forward-proxy.js';
import { startTlsResourceServer, type TlsResourceServer } from '../fixtures/tls-server.js';

let dir: string;
let app: AppCopy;
let tls: TlsResourceServer;
let proxy: ForwardProxy;
let caFile: string;
let fixedSystemConfig: string;
const homes: TestHome[] = [];
const started: Started[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'authctl-env-'));
  fixedSystemConfig = join(dir, 'etc-authctl-config.json');
  app = copyBuiltApp({ withAddon: true, systemConfigFile: fixedSystemConfig });
  tls = await startTlsResourceServer({
    issuer: 'https://idp.invalid',
    jwksUri: 'https://idp.invalid/jwks',
    audience: 'https://api.invalid',
    refuse: (res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}'),
    handle: (_req, res) => res.writeHead(404).end(),
  });
  caFile = join(dir, 'provider-cert.pem');
  writeFileSync(caFile, tls.caPem);
  proxy = await startForwardProxy();
  // The admin's policy, in the fixed system file: the keychain is mandatory, and there is an
  // organisation profile of its own.
  writeFileSync(
    fixedSystemConfig,
    JSON.stringify({
      storage: 'keychain',
      profiles: {
        corp: { issuer: tls.url, clientId: 'cli-app', scopes: ['openid', 'offline_access'], privileged: { scopes: ['admin:all'] } },
        'corp-admin': { issuer: tls.url, clientId: 'cli-admin', scopes: ['openid'] },
      },
    }),
    { mode: 0o644 },
  );
});

afterEach(async () => {
  for (const home of homes.splice(0)) {
    await cliAs(undefined, ['daemon', 'stop'], home.env, app.cli);
    home.cleanup();
  }
  for (const s of started.splice(0)) s.kill('SIGKILL');
});

afterAll(async () => {
  await tls?.close();
  await proxy?.close();
  app?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A home whose commands autostart the agent, with the hostile variables set. */
function hostileHome(): TestHome {
  const home = makeTestHome({
    NODE_OPTIONS: '--inspect=0',
    NODE_TLS_REJECT_UNAUTHORIZED: '0',
    NODE_EXTRA_CA_CERTS: caFile,
    HTTPS_PROXY: proxy.url,
    // A file that does not exist (on some machines /nonexistent is a directory: nobody's home).
    AUTHCTL_SYSTEM_CONFIG: '/nonexistent/authctl-config.json',
    NODE_DEBUG: 'net',
  });
  delete home.env.AUTHCTL_NO_AUTOSTART;
  home.writeConfig({ storage: 'file', profiles: { corp: { issuer: tls.url, clientId: 'cli-app', scopes: ['openid', 'offline_access'] } } });
  homes.push(home);
  return home;
}

/** Inodes of listening TCP sockets (IPv4 and IPv6) in this network namespace. */
function listeningTcpInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = readFileSync(table, 'utf8').split('\n').slice(1);
    for (const cols of lines.map((l) => l.trim().split(/\s+/))) if (cols[3] === '0A') inodes.add(cols[9]!);
  }
  return inodes;
}

/** The listening TCP sockets process `pid` holds open (an inspector is one). */
function tcpListenersOf(pid: number): string[] {
  const listening = listeningTcpInodes();
  return readdirSync(`/proc/${pid}/fd`)
    .map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .map((link) => /^socket:\[(\d+)\]$/.exec(link)?.[1])
    .filter((inode): inode is string => Boolean(inode && listening.has(inode)));
}

function environOf(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

describe('an agent autostarted from a hostile environment', () => {
  it('control: a node process with that NODE_OPTIONS holds an inspector port, and the check sees it', async () => {
    const control = startAs(undefined, process.execPath, ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], { PATH: '/usr/bin:/bin', NODE_OPTIONS: '--inspect=0' });
    started.push(control);
    await waitFor('the control process', () => control.stdout().includes('ready'));
    expect(tcpListenersOf(control.pid).length).toBeGreaterThan(0);
  });

  it('has no inspector and none of the variables, verifies TLS, goes through the proxy, and keeps the fixed system policy', async () => {
    const home = hostileHome();
    const status = await cliAs(undefined, ['status', '--json'], home.env, app.cli);
    expect(status.code, status.stderr).toBe(EXIT.ok);
    const s = JSON.parse(status.stdout) as StatusResponse;
    expect(isAlive(s.pid)).toBe(true);

    // No inspector: no listening TCP socket at all, and the variables never reached it.
    expect(tcpListenersOf(s.pid)).toEqual([]);
    const env = environOf(s.pid);
    for (const name of ['NODE_OPTIONS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'NODE_EXTRA_CA_CERTS', 'NODE_DEBUG']) expect(env[name], name).toBeUndefined();
    expect(env.AUTHCTL_SOCK).toBe(home.socket);

    // The proxy variable is an allow-listed, documented choice; status shows it in effect.
    expect(s.network).toMatchObject({ tlsVerify: true, proxySource: 'environment', httpsProxy: proxy.url, caFiles: [] });
    const text = await cliAs(undefined, ['status'], home.env, app.cli);
    expect(text.stdout).toContain(`network: proxy https ${proxy.url} (from the agent's environment); system CAs; TLS always verified`);

    // TLS is still verified: the self-signed provider fails, through the proxy's tunnel.
    const tunnels = proxy.tunnels().length;
    const login = await cliAs(undefined, ['login', '--profile', 'corp', '--no-browser'], home.env, app.cli);
    expect(login.code, login.stderr).toBe(EXIT.idp);
    expect(login.stderr).toContain(`TLS to ${tls.host} failed`);
    expect(proxy.tunnels().length).toBeGreaterThan(tunnels);

    // The admin's policy from the fixed file still applies, AUTHCTL_SYSTEM_CONFIG notwithstanding:
    // the keychain over the user's "file", and the organisation's own profile.
    expect(s.storage.backend).toBe('keychain');
    expect(s.profiles.map((p) => [p.name, p.source])).toEqual(expect.arrayContaining([['corp-admin', 'system']]));
  });
});

describe('an agent refusing to start', () => {
  it('refuses NODE_OPTIONS with --inspect or --require, in one line on stderr and in the log (exit 6)', async () => {
    const cases = [
      ['--inspect=0', 'an inspector is open (ws://127.0.0.1:'],
      ['--require /dev/null', 'NODE_OPTIONS contains --require'],
    ];
    for (const [nodeOptions, why] of cases) {
      const home = makeTestHome({ NODE_OPTIONS: nodeOptions! });
      homes.push(home);
      const r = await cliAs(undefined, ['daemon', '--foreground', '--log', 'file'], home.env, app.cli);
      expect(r.code, r.stderr).toBe(EXIT.agent);
      expect(r.stderr).toContain(`authctl: refusing to run the agent: ${why}`);
      expect(home.logs()).toContain(`"message":"refusing to run the agent: ${why}`);
    }
  });

  it('refuses --inspect on its own command line', async () => {
    const home = makeTestHome();
    homes.push(home);
    const r = await startAs(undefined, process.execPath, ['--inspect=0', app.cli, 'daemon', '--foreground', '--log', 'file'], home.env).exited;
    expect(r.code, r.stderr).toBe(EXIT.agent);
    expect(r.stderr).toMatch(/refusing to run the agent: (an inspector is open|it was started with --inspect=0)/);
  });

  it('the autostarting command says why the agent did not start (an unsafe state directory), exit 6', async () => {
    const home = makeTestHome();
    delete home.env.AUTHCTL_NO_AUTOSTART;
    homes.push(home);
    const state = join(home.dir, 'state', 'authctl');
    mkdirSync(state, { recursive: true });
    chmodSync(state, 0o755);
    const r = await cliAs(undefined, ['status'], home.env, app.cli);
    expect(r.code, r.stderr).toBe(EXIT.agent);
    expect(r.stderr).toContain(`authctl: the agent did not start: refusing to use the state directory ${state}: it has mode 755`);
  });
});

describe('TLS verification is not an environment setting', () => {
  it('an agent whose own environment says NODE_TLS_REJECT_UNAUTHORIZED=0 still refuses a self-signed provider', async () => {
    const home = makeTestHome({ NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    homes.push(home);
    home.writeConfig({ storage: 'file', profiles: { tls: { issuer: tls.url, clientId: 'cli-app', scopes: ['openid'] } } });
    const agent = startAs(undefined, process.execPath, [app.cli, 'daemon', '--foreground', '--log', 'file'], home.env);
    started.push(agent);
    await waitFor('the agent', () => home.logs().includes('"message":"agent started"'));
    const doctorLike = await cliAs(undefined, ['login', '--profile', 'tls', '--no-browser'], home.env, app.cli);
    expect(doctorLike.code, doctorLike.stderr).toBe(EXIT.idp);
    expect(doctorLike.stderr).toContain(`TLS to ${tls.host} failed`);
  });
});
