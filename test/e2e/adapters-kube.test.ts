/**
 * The kubectl exec credential plugin with the kubectl on PATH, against an HTTPS endpoint
 * with a self-signed certificate that accepts only the IdP's JWT for the cluster's
 * audience. The kubeconfig's user is written by `authctl setup-kube` through kubectl
 * itself; v1 and v1beta1; a 401 makes kubectl run the plugin once more (and no more);
 * with no session and no terminal the plugin fails with a clear message.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../fixtures/cli.js';
import { BIN_DIR, runProcess, startAdapterWorld, type AdapterWorld } from '../fixtures/adapters.js';
import { startKubeApi, type KubeApi } from '../fixtures/kube-api.js';
import { openLoginStream } from '../../client/login-stream.js';
import type { StatusResponse } from '../../shared/api.js';

const KUBE_AUDIENCE = 'https://kube.authctl.test';
let world: AdapterWorld;
let api: KubeApi;
let kubeEnv: Record<string, string>;
let runsFile: string;

function kubectl(args: string[]) {
  return runProcess('kubectl', args, { env: kubeEnv, timeoutMs: 60_000 });
}

function pluginRuns(): number {
  try {
    return readFileSync(runsFile, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

function accepted() {
  return api.checks().filter((c) => c.ok);
}

/**
 * The login grant must include the cluster's API: the test IdP (like most) refreshes only
 * for resources granted at login. The profile's own default stays the generic API.
 */
async function loginWithKubeAudience(): Promise<void> {
  const stream = await openLoginStream(world.client, { profile: 'work', audience: KUBE_AUDIENCE });
  for await (const ev of stream.events) {
    if (ev.event === 'verification') await world.idp.approveDevice(ev.userCode);
    if (ev.event === 'error') throw new Error(ev.message);
  }
}

beforeAll(async () => {
  world = await startAdapterWorld((idp) => ({
    storage: 'file',
    profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } },
  }));
  api = await startKubeApi({ issuer: world.idp.issuer, jwksUri: world.idp.jwksUri, audience: KUBE_AUDIENCE });
  const kubeconfig = join(world.home.dir, 'kubeconfig');
  runsFile = join(world.home.dir, 'plugin-runs');
  kubeEnv = { ...world.env, KUBECONFIG: kubeconfig };
  // JSON is YAML: a cluster whose exec extension names the audience, a context, no user yet.
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'test',
          cluster: {
            server: api.url,
            'certificate-authority-data': Buffer.from(api.caPem).toString('base64'),
            extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: KUBE_AUDIENCE } }],
          },
        },
      ],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'nobody' } }],
      users: [{ name: 'nobody', user: {} }],
      'current-context': 'test',
    }),
  );
});

afterAll(async () => {
  await api?.close();
  await world?.close();
});

describe('kubectl exec credential plugin with the real kubectl', () => {
  it('setup-kube writes the exec stanza (interactiveMode IfAvailable) for the context through kubectl', async () => {
    const r = await runCli(['setup-kube', '--context', 'test', '--profile', 'work'], kubeEnv);
    expect(r.stderr).toContain('profile "work"');
    expect(r.code).toBe(0);
    const view = JSON.parse((await kubectl(['config', 'view', '-o', 'json'])).stdout);
    const user = view.users.find((u: { name: string }) => u.name === 'authctl-work').user.exec;
    expect(user).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1',
      interactiveMode: 'IfAvailable',
      provideClusterInfo: true,
      args: ['kube', '--profile', 'work'],
    });
    expect(user.command).toMatch(/\/bin\/authctl$/); // the command npm links: the native client after an install
    expect(view.contexts[0].context.user).toBe('authctl-work');
    const unknown = await runCli(['setup-kube', '--context', 'nope', '--profile', 'work'], kubeEnv);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no kubeconfig context named "nope"');
  });

  it('with no session and no terminal, the plugin fails with a clear message and kubectl stops', async () => {
    const r = await kubectl(['get', '--raw', '/whoami']);
    expect(r.timedOut).toBe(false);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('authctl login --profile work');
    expect(accepted()).toHaveLength(0);
  });

  it('v1: kubectl sends the token for the cluster audience given in its exec extension', async () => {
    await loginWithKubeAudience();
    // Drop what the login cached, so the cache below shows what the plugin asked for.
    await world.client.call('POST', '/v1/invalidate', { profile: 'work' });
    const r = await kubectl(['get', '--raw', '/whoami']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'WhoAmI', user: 'alice' });
    // The server checked aud; the agent cached the token under the audience the plugin asked for.
    expect(accepted().at(-1)).toMatchObject({ scheme: 'bearer', subject: 'alice' });
    const status = await world.client.call<StatusResponse>('GET', '/v1/status');
    expect(status.profiles[0]!.cachedTokens.map((t) => t.audience)).toContain(KUBE_AUDIENCE);
  });

  it('v1beta1 works the same', async () => {
    await kubectl(['config', 'set-credentials', 'authctl-work', '--exec-api-version=client.authentication.k8s.io/v1beta1']);
    const r = await kubectl(['get', '--raw', '/whoami']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).user).toBe('alice');
  });

  it('a 401 makes kubectl run the plugin once more, not in a loop', async () => {
    // A wrapper counts the runs; `exec` keeps kubectl as the plugin's parent.
    const wrapper = join(world.bin, 'count-plugin');
    writeFileSync(wrapper, `#!/bin/sh\necho run >> '${runsFile}'\nexec '${join(BIN_DIR, 'authctl.js')}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    // (kubectl drops the args when only the command is set, so both are given.)
    const set = await kubectl(['config', 'set-credentials', 'authctl-work', `--exec-command=${wrapper}`, '--exec-arg=kube', '--exec-arg=--profile', '--exec-arg=work', '--exec-api-version=client.authentication.k8s.io/v1']);
    expect(set.code).toBe(0);
    const normal = await kubectl(['get', '--raw', '/whoami']);
    expect(normal.code).toBe(0);
    const runsWithout401 = pluginRuns();
    expect(runsWithout401).toBeGreaterThan(0);

    api.auth.revoke(accepted().at(-1)!.token!);
    const rejected = await kubectl(['get', '--raw', '/whoami']);
    expect(rejected.timedOut).toBe(false);
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toContain('Unauthorized');
    // One extra plugin run for the 401, one refused request: no loop.
    expect(pluginRuns() - runsWithout401).toBe(runsWithout401 + 1);
    expect(api.checks().filter((c) => c.reason === 'revoked')).toHaveLength(1);
  });

  it('a profile listing its clusters answers only for them: kubectl talking to another server gets nothing', async () => {
    const profile = { issuer: world.idp.issuer, clientId: world.idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] };
    // The test before revoked the cached token at the API server: start from a fresh one.
    await world.client.call('POST', '/v1/invalidate', { profile: 'work' });
    try {
      world.home.writeConfig({ storage: 'file', profiles: { work: { ...profile, clusters: [`${api.url}/`] } } });
      const listed = await kubectl(['get', '--raw', '/whoami']);
      expect(listed.code, listed.stderr).toBe(0);
      const before = accepted().length;
      world.home.writeConfig({ storage: 'file', profiles: { work: { ...profile, clusters: ['https://k8s.authctl.invalid:6443'] } } });
      const other = await kubectl(['get', '--raw', '/whoami']);
      expect(other.timedOut).toBe(false);
      expect(other.code).not.toBe(0);
      expect(other.stderr).toContain(`answers only for https://k8s.authctl.invalid:6443, not for ${api.url}`);
      expect(accepted()).toHaveLength(before);
      // Without cluster info (provideClusterInfo off, or an old kubectl) it cannot know: no answer.
      const blind = await runCli(['kube', '--profile', 'work'], { ...kubeEnv, KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } }) });
      expect(blind.code).toBe(2);
      expect(blind.stdout).toBe('');
      expect(blind.stderr).toContain('provideClusterInfo');
    } finally {
      world.home.writeConfig({ storage: 'file', profiles: { work: profile } });
    }
  });

  it('answers KUBERNETES_EXEC_INFO exactly: same apiVersion, token, RFC 3339 expiry; refuses unknown versions', async () => {
    for (const apiVersion of ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1']) {
      const info = { kind: 'ExecCredential', apiVersion, spec: { interactive: false, cluster: { server: api.url, config: { audience: KUBE_AUDIENCE } } } };
      const r = await runCli(['kube', '--profile', 'work'], { ...kubeEnv, KUBERNETES_EXEC_INFO: JSON.stringify(info) });
      expect(r.code).toBe(0);
      const cred = JSON.parse(r.stdout);
      expect(cred).toMatchObject({ apiVersion, kind: 'ExecCredential', status: { token: expect.stringMatching(/^ey/) } });
      expect(cred.status.expirationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Date.parse(cred.status.expirationTimestamp)).toBeGreaterThan(Date.now());
    }
    const old = await runCli(['kube'], { ...kubeEnv, KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1alpha1', spec: {} }) });
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('v1alpha1');
  });
});
