/**
 * The docker credential helper: the protocol driven exactly as docker drives it (the server
 * URL on stdin without a newline, JSON on stdout, the exact not-found text and exit 1), then
 * the docker client on PATH against a small registry (HTTPS, self-signed, Basic challenge)
 * that accepts only the IdP's JWT: `docker manifest inspect` pulls credentials from the
 * helper, `docker logout` erases (drops the agent's cache). `docker login` hands the
 * credentials to the Docker daemon, and none runs here: only its helper lookup is checked.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusResponse } from '../../shared/api.js';
import type { ConfigFile } from '../../shared/config.js';
import { runProcess, startAdapterWorld, type AdapterWorld } from '../fixtures/adapters.js';
import { loginThroughAgent } from '../fixtures/login.js';
import { runCli } from '../fixtures/cli.js';
import { startTlsResourceServer, type TlsResourceServer } from '../fixtures/tls-server.js';

const NOT_FOUND = 'credentials not found in native keychain\n';
const CONFIG_BLOB = '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}';
const digest = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: CONFIG_BLOB.length, digest: digest(CONFIG_BLOB) },
  layers: [],
});

let world: AdapterWorld;
let registry: TlsResourceServer;
let dockerEnv: Record<string, string>;

function helper(op: string, input = '') {
  return runProcess('docker-credential-authctl', [op], { env: dockerEnv, input });
}

function hasDocker(): boolean {
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function cachedTokens(): Promise<number> {
  const status = await world.client.call<StatusResponse>('GET', '/v1/status');
  return status.profiles[0]!.cachedTokens.length;
}

beforeAll(async () => {
  const config = (registries: string[]) => (idp: { issuer: string; clientId: string }): ConfigFile => ({
    storage: 'file',
    profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'], registries } },
  });
  world = await startAdapterWorld(config([]));
  registry = await startTlsResourceServer({
    issuer: world.idp.issuer,
    jwksUri: world.idp.jwksUri,
    audience: world.idp.resource,
    refuse(res) {
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="authctl test registry"',
        'docker-distribution-api-version': 'registry/2.0',
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    },
    handle(req, res) {
      req.resume();
      const headers = { 'docker-distribution-api-version': 'registry/2.0' };
      if (req.url === '/v2/') {
        res.writeHead(200, { ...headers, 'content-type': 'application/json' });
        return void res.end('{}');
      }
      const blob = req.url === `/v2/team/app/blobs/${digest(CONFIG_BLOB)}` ? CONFIG_BLOB : undefined;
      const manifest = req.url === '/v2/team/app/manifests/1.0' || req.url === `/v2/team/app/manifests/${digest(MANIFEST)}` ? MANIFEST : undefined;
      const body = blob ?? manifest;
      if (body) {
        res.writeHead(200, {
          ...headers,
          'content-type': manifest ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/octet-stream',
          'content-length': Buffer.byteLength(body),
          'docker-content-digest': digest(body),
        });
        return void res.end(req.method === 'HEAD' ? undefined : body);
      }
      res.writeHead(404, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'unknown' }] }));
    },
  });
  // Now that the registry's port is known, the profile lists it (the agent re-reads the file).
  world.home.writeConfig(config([registry.host])(world.idp));
  const dockerConfig = join(world.home.dir, 'docker');
  mkdirSync(dockerConfig);
  writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ credHelpers: { [registry.host]: 'authctl' } }));
  dockerEnv = { ...world.env, DOCKER_CONFIG: dockerConfig };
});

afterAll(async () => {
  await registry?.close();
  await world?.close();
});

describe('docker credential helper', () => {
  it('before login: get fails with the login command on stdout (docker shows stdout) and exit 3', async () => {
    const r = await helper('get', registry.host);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('authctl login --profile work');
  });

  it('get: the server URL on stdin without a newline, the credentials as JSON on stdout', async () => {
    await loginThroughAgent(world.client, world.idp, 'work');
    for (const serverUrl of [registry.host, `https://${registry.host}`, `https://${registry.host}/v2/`]) {
      const r = await helper('get', serverUrl);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const cred = JSON.parse(r.stdout);
      expect(Object.keys(cred)).toEqual(['ServerURL', 'Username', 'Secret']);
      expect(cred).toMatchObject({ ServerURL: serverUrl, Username: 'oauth2', Secret: expect.stringMatching(/^ey/) });
    }
  });

  it('an unknown registry: exactly "credentials not found in native keychain" on stdout, exit 1', async () => {
    for (const serverUrl of ['https://index.docker.io/v1/', 'other.example.com', '']) {
      const r = await helper('get', serverUrl);
      expect([r.code, r.stdout, r.stderr]).toEqual([1, NOT_FOUND, '']);
    }
  });

  it('list, version, and store/erase accepted as no-ops that drop the cached token', async () => {
    const list = await helper('list');
    expect(JSON.parse(list.stdout)).toEqual({ [registry.host]: 'oauth2' });
    const version = await helper('version');
    expect(version.stdout).toMatch(/^docker-credential-authctl \(authctl\) \d+\.\d+\.\d+\n$/);
    expect(await cachedTokens()).toBeGreaterThan(0);
    const store = await helper('store', JSON.stringify({ ServerURL: registry.host, Username: 'someone', Secret: 'not-kept' }));
    expect([store.code, store.stdout]).toEqual([0, '']);
    expect(await cachedTokens()).toBe(0);
    await helper('get', registry.host);
    const erase = await helper('erase', registry.host);
    expect([erase.code, erase.stdout]).toEqual([0, '']);
    expect(await cachedTokens()).toBe(0);
    const unknown = await helper('frobnicate');
    expect(unknown.code).toBe(2);
  });

  // The docker client is part of this machine kind (it needs no daemon for credential
  // helpers); on a machine without it these two run nowhere, and the protocol tests above
  // still drive the helper exactly as docker does.
  const docker = hasDocker();
  it.skipIf(!docker)('the docker client fetches a manifest with the helper\'s token (Basic, checked against the JWKS)', async () => {
    const before = registry.checks().length;
    const r = await runProcess('docker', ['manifest', 'inspect', '--insecure', `${registry.host}/team/app:1.0`], { env: dockerEnv, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ schemaVersion: 2 });
    const ok = registry.checks().slice(before).filter((c) => c.ok);
    expect(ok.length).toBeGreaterThan(0);
    expect(ok[0]).toMatchObject({ scheme: 'basic', username: 'oauth2', subject: 'alice' });
  });

  it.skipIf(!docker)('docker logout erases through the helper (the cache is dropped); docker login finds the helper\'s credentials', async () => {
    await helper('get', registry.host);
    expect(await cachedTokens()).toBeGreaterThan(0);
    const logout = await runProcess('docker', ['logout', registry.host], { env: dockerEnv });
    expect(logout.code).toBe(0);
    expect(await cachedTokens()).toBe(0);
    // docker login verifies credentials through the Docker daemon, which this machine lacks:
    // what can be checked is that it found the helper's credentials first.
    const login = await runProcess('docker', ['login', registry.host], { env: { ...dockerEnv, DOCKER_HOST: `unix://${join(world.home.dir, 'no-daemon.sock')}` } });
    expect(login.stdout + login.stderr).toContain('Authenticating with existing credentials... [Username: oauth2]');
  });

  it('setup-docker writes the credHelpers entry (keeping the rest of the file) and the registry in the profile; docker then uses it', async () => {
    // A profile that lists no registry yet, and a docker config with settings of its own.
    world.home.writeConfig({ storage: 'file', profiles: { work: { issuer: world.idp.issuer, clientId: world.idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
    const dir = join(world.home.dir, 'docker-setup');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ credHelpers: { 'other.example.com': 'ecr-login' }, psFormat: 'table {{.ID}}' }));
    const env = { ...world.env, DOCKER_CONFIG: dir };
    const before = await runProcess('docker-credential-authctl', ['get'], { env, input: registry.host });
    expect([before.code, before.stdout]).toEqual([1, NOT_FOUND]);

    const setup = await runCli(['setup-docker', '--registry', `https://${registry.host}/`, '--profile', 'work'], env);
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stderr).toContain(`docker now asks authctl (profile "work") for ${registry.host}: wrote "credHelpers" in ${join(dir, 'config.json')}`);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({
      credHelpers: { 'other.example.com': 'ecr-login', [registry.host]: 'authctl' },
      psFormat: 'table {{.ID}}',
    });
    const cfg = JSON.parse(readFileSync(join(world.home.dir, 'config', 'authctl', 'config.json'), 'utf8'));
    expect(cfg.profiles.work.registries).toEqual([registry.host]);

    const after = await runProcess('docker-credential-authctl', ['get'], { env, input: registry.host });
    expect(after.code, after.stdout).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ Username: 'oauth2', Secret: expect.stringMatching(/^ey/) });
    if (docker) {
      const r = await runProcess('docker', ['manifest', 'inspect', '--insecure', `${registry.host}/team/app:1.0`], { env, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
    }
    const bad = await runCli(['setup-docker', '--registry', 'registry.example.com/some/path'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a registry host');
  });
});
