/**
 * The peers and floors of the side-by-side table, each started for this run in the scratch
 * directory: oidc-agent (Debian's oidc-agent-cli) holding an account at the same test IdP,
 * git's credential-cache daemon holding one credential, a bare `node:http` server answering a
 * constant on a unix socket, and a bare Node process that only listens on one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestIdp } from '../test/fixtures/idp.js';

/** The confidential client oidc-agent uses at the test IdP (oidc-gen insists on a client secret). */
export const PEER_CLIENT = { clientId: 'peer-agent', clientSecret: 'bench-peer-client-secret' };
/** Not a secret: the passphrase of a throw-away oidc-agent account file in the scratch dir. */
const OIDC_ENCRYPTION_PW = 'authctl-bench-throwaway';
export const OIDC_ACCOUNT = 'bench';
export const GIT_HOST = 'git.authctl.invalid';
/** The registry docker's helper is asked about (never contacted). */
export const REGISTRY_HOST = 'registry.authctl.invalid';

export type Peer<T> = { ok: true; value: T } | { ok: false; note: string };

export interface OidcAgentPeer {
  pid: number;
  socket: string;
  env: Record<string, string>;
  /** `oidc-token` with its account name. */
  command: [string, string[]];
  stop(): void;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * oidc-agent when it is installed, else `apt-get install oidc-agent-cli` (as root, without a
 * prompt); undefined with the reason when neither works, and its column is skipped.
 */
export function ensureOidcAgentInstalled(): string | undefined {
  if (onPath('oidc-agent') && onPath('oidc-gen') && onPath('oidc-token')) return undefined;
  if (process.getuid?.() !== 0) return 'oidc-agent-cli is not installed, and installing it needs root (apt-get install oidc-agent-cli)';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'oidc-agent-cli'], { env, stdio: 'ignore', timeout: 300_000 });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update'], { env, stdio: 'ignore', timeout: 300_000 });
    if (install().status !== 0) return 'oidc-agent-cli is not installed and `apt-get install oidc-agent-cli` failed';
  }
  return onPath('oidc-token') ? undefined : 'oidc-agent-cli installed, but oidc-token is not on PATH';
}

/** RFC 8628 device flow for the peer's client, approved at the IdP's pages: its refresh token. */
async function peerRefreshToken(idp: TestIdp): Promise<string> {
  const discovery = (await (await fetch(new URL('/.well-known/openid-configuration', idp.issuer))).json()) as Record<string, string>;
  const basic = `Basic ${Buffer.from(`${PEER_CLIENT.clientId}:${PEER_CLIENT.clientSecret}`).toString('base64')}`;
  const post = async (url: string, form: Record<string, string>) => {
    const res = await fetch(url, { method: 'POST', headers: { authorization: basic }, body: new URLSearchParams(form) });
    return (await res.json()) as Record<string, string>;
  };
  const device = await post(discovery.device_authorization_endpoint!, { scope: 'openid offline_access api:read' });
  await idp.approveDevice(device.user_code!);
  const tokens = await post(discovery.token_endpoint!, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code! });
  if (!tokens.refresh_token) throw new Error(`the test IdP gave the peer client no refresh token (${tokens.error ?? 'no error'})`);
  return tokens.refresh_token;
}

/**
 * oidc-agent in the foreground (`--console`) on a socket in the scratch dir, with its config
 * dir there too, and an account made non-interactively: `oidc-gen --rt` with a refresh token
 * from a device flow the bench approves, the passphrase from the environment.
 */
export async function startOidcAgent(idp: TestIdp, scratch: string): Promise<Peer<OidcAgentPeer>> {
  const missing = ensureOidcAgentInstalled();
  if (missing) return { ok: false, note: missing };
  const configDir = join(scratch, 'oidc-agent');
  mkdirSync(configDir, { mode: 0o700 });
  const socket = join(scratch, 'oidc-agent.sock');
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, OIDC_CONFIG_DIR: configDir, OIDC_SOCK: socket };
  const child: ChildProcess = spawn('oidc-agent', ['--console', '--no-autoload', `--socket-path=${socket}`], { env, stdio: 'ignore' });
  const stop = () => void child.kill('SIGTERM');
  try {
    await waitFor(() => spawnSync('test', ['-S', socket]).status === 0, 5000, 'oidc-agent did not create its socket');
    const rt = await peerRefreshToken(idp);
    // Not spawnSync: oidc-gen refreshes at the test IdP, which runs in this very process.
    const gen = await runToEnd(
      'oidc-gen',
      [
        '--manual', `--issuer=${idp.issuer}`, `--client-id=${PEER_CLIENT.clientId}`, `--client-secret=${PEER_CLIENT.clientSecret}`,
        '--rt-env=BENCH_PEER_RT', '--scope=openid offline_access api:read', '--pw-env=BENCH_PEER_PW', '--confirm-default', '--prompt=none', '--no-url-call', OIDC_ACCOUNT,
      ],
      { ...env, BENCH_PEER_RT: rt, BENCH_PEER_PW: OIDC_ENCRYPTION_PW },
    );
    if (gen.status !== 0) throw new Error(`oidc-gen exited ${gen.status}: ${(gen.stderr || gen.stdout).trim().split('\n').at(-1)}`);
    return { ok: true, value: { pid: child.pid!, socket, env, command: ['oidc-token', [OIDC_ACCOUNT]], stop } };
  } catch (e) {
    stop();
    return { ok: false, note: `oidc-agent could not be set up: ${(e as Error).message}` };
  }
}

export interface CredentialCachePeer {
  env: Record<string, string>;
  socket: string;
  stop(): void;
}

/** git's credential-cache daemon with one stored credential for GIT_HOST, in the scratch dir. */
export function startCredentialCache(scratch: string): Peer<CredentialCachePeer> {
  if (!onPath('git')) return { ok: false, note: 'git is not installed' };
  const home = join(scratch, 'git-home');
  mkdirSync(home, { mode: 0o700 });
  const socket = join(home, 'credential-cache.sock');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
  const store = spawnSync('git', ['credential-cache', '--timeout=3600', `--socket=${socket}`, 'store'], {
    env,
    input: `protocol=https\nhost=${GIT_HOST}\nusername=oauth2\npassword=bench-not-a-secret\n\n`,
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (store.status !== 0) return { ok: false, note: `git credential-cache store failed: ${store.stderr.trim()}` };
  const stop = () => void spawnSync('git', ['credential-cache', `--socket=${socket}`, 'exit'], { env, stdio: 'ignore', timeout: 5000 });
  return { ok: true, value: { env, socket, stop } };
}

/** The keep-alive floor: a bare node:http server answering the same-sized JSON at once. */
const BARE_HTTP_SERVER = `const http = require('node:http');
const body = JSON.stringify({ accessToken: 'x'.repeat(Number(process.argv[2])), tokenType: 'Bearer', expiresAt: 0, scopes: [], profile: 'main' });
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(process.argv[1]);`;

/** The memory floor: a Node process that only listens on a unix socket. */
const BARE_LISTENER = `require('node:net').createServer((s) => s.destroy()).listen(process.argv[1]);`;

export interface BareProcess {
  pid: number;
  socket: string;
  stop(): void;
}

export async function startBare(kind: 'http' | 'listener', scratch: string, tokenLength: number): Promise<BareProcess> {
  const socket = join(scratch, `bare-${kind}.sock`);
  const args = kind === 'http' ? ['-e', BARE_HTTP_SERVER, socket, String(tokenLength)] : ['-e', BARE_LISTENER, socket];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  await waitFor(() => spawnSync('test', ['-S', socket]).status === 0, 5000, `the bare ${kind} process did not listen`);
  return { pid: child.pid!, socket, stop: () => void child.kill('SIGKILL') };
}

/** A child run to its end without blocking this process's event loop (30 s at most). */
function runToEnd(command: string, args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 20));
  }
}
