/**
 * Workload identity federation through the built CLI and a real agent: a fake CI issuer
 * (GitHub Actions' token endpoint, env and file tokens) that the test IdP trusts, RFC 8693
 * token exchange and RFC 7523 client assertions, ten calls → one exchange, and the errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestIdp, TEST_RESOURCE, type TestIdp } from '../fixtures/idp.js';
import { startFakeCi, type FakeCi } from '../fixtures/ci-issuer.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { runCli } from '../fixtures/cli.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import type { Profile } from '../../shared/config.js';
import { getToken } from '../../client/lib/index.js';

let ci: FakeCi;
let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;
let tokenFile: string;

const profiles = (): Record<string, Profile> => ({
  gha: {
    issuer: idp.issuer,
    clientId: 'ci-app',
    scopes: ['api:read'],
    resource: TEST_RESOURCE,
    federation: { source: 'github-actions', audience: idp.issuer, exchange: 'token-exchange' },
  },
  guarded: {
    issuer: idp.issuer,
    clientId: 'ci-app',
    scopes: ['api:read'],
    resource: TEST_RESOURCE,
    privileged: { scopes: ['admin:all'] },
    federation: { source: 'github-actions', audience: idp.issuer, exchange: 'token-exchange' },
  },
  pod: {
    issuer: idp.issuer,
    clientId: 'ci-workload',
    scopes: ['api:read'],
    resource: TEST_RESOURCE,
    federation: { source: 'file', path: tokenFile, exchange: 'client-assertion' },
  },
  job: {
    issuer: idp.issuer,
    clientId: 'ci-app',
    scopes: ['api:read'],
    resource: TEST_RESOURCE,
    federation: { source: 'env', variable: 'CI_ID_TOKEN', exchange: 'token-exchange' },
  },
  lab: {
    issuer: idp.issuer,
    clientId: 'ci-app',
    scopes: ['api:read'],
    federation: { source: 'gitlab', variable: 'AUTHCTL_ID_TOKEN', exchange: 'token-exchange' },
  },
});

beforeAll(async () => {
  ci = await startFakeCi();
  idp = await startTestIdp({ federation: { ciIssuer: ci.issuer, ciJwksUri: ci.jwksUri } });
  home = makeTestHome();
  tokenFile = join(home.dir, 'ci-token');
  home.writeConfig({ storage: 'file', profiles: profiles() });
  // The agent starts without any CI variable: they reach it with each request.
  agent = await spawnAgent(home.env, home.socket);
});

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  await ci?.close();
  home?.cleanup();
});

function githubJob(requestToken = ci.newRequestToken()): Record<string, string> {
  return { ...home.env, GITHUB_ACTIONS: 'true', CI: 'true', ACTIONS_ID_TOKEN_REQUEST_URL: ci.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken };
}

async function verifiedAtIdp(token: string) {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), { issuer: idp.issuer, audience: TEST_RESOURCE });
  return payload;
}

describe('federation: GitHub Actions → RFC 8693 token exchange', () => {
  it('ten `authctl token` calls in one job cost one identity token and one exchange; the token verifies for the API', async () => {
    const before = { ex: idp.federation!.counts().tokenExchange, gh: ci.counts().idTokens };
    const env = githubJob();
    const tokens: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await runCli(['token', '--profile', 'gha'], env);
      expect(r.stderr).toBe('');
      expect(r.code, r.stderr).toBe(0);
      tokens.push(r.stdout.trim());
    }
    expect(new Set(tokens).size).toBe(1);
    expect(idp.federation!.counts().tokenExchange - before.ex).toBe(1);
    expect(ci.counts().idTokens - before.gh).toBe(1);
    const claims = await verifiedAtIdp(tokens[0]!);
    expect(claims.aud).toBe(TEST_RESOURCE);
    expect(claims.scope).toBe('api:read');
  });

  it('every adapter hands out the same exchanged token (exec, env, kube)', async () => {
    const env = githubJob();
    const token = (await runCli(['token', '--profile', 'gha'], env)).stdout.trim();
    const exchanges = idp.federation!.counts().tokenExchange;
    const exec = await runCli(['exec', '--profile', 'gha', '--', 'sh', '-c', 'printf %s "$AUTHCTL_ACCESS_TOKEN"'], env);
    expect(exec.code, exec.stderr).toBe(0);
    expect(exec.stdout).toBe(token);
    const shellEnv = await runCli(['env', '--profile', 'gha', '--format', 'json'], env);
    expect(JSON.parse(shellEnv.stdout).AUTHCTL_ACCESS_TOKEN).toBe(token);
    const kube = await runCli(['kube', '--profile', 'gha'], env);
    expect(JSON.parse(kube.stdout).status.token).toBe(token);
    expect(idp.federation!.counts().tokenExchange).toBe(exchanges);
  });

  it("another job (a new request token) gets its own exchange, never the previous job's token", async () => {
    const first = (await runCli(['token', '--profile', 'gha'], githubJob())).stdout.trim();
    const before = idp.federation!.counts().tokenExchange;
    const second = (await runCli(['token', '--profile', 'gha'], githubJob())).stdout.trim();
    expect(idp.federation!.counts().tokenExchange).toBe(before + 1);
    expect(second).not.toBe(first);
  });

  it('a job without an identity-token permission exits 3 with the workflow hint', async () => {
    const { ACTIONS_ID_TOKEN_REQUEST_TOKEN: _t, ACTIONS_ID_TOKEN_REQUEST_URL: _u, ...env } = githubJob();
    const r = await runCli(['token', '--profile', 'gha'], env);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('add `permissions: id-token: write` to the workflow');
    expect(r.stdout).toBe('');
  });

  it('GitHub refusing the request token is the same hint (exit 3), and nothing is exchanged', async () => {
    const before = { ex: idp.federation!.counts().tokenExchange, refused: ci.counts().refused };
    const r = await runCli(['token', '--profile', 'gha'], githubJob('not-a-job-token'));
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/GitHub refused the identity-token request \(HTTP 401\): add `permissions: id-token: write`/);
    expect(ci.counts().refused).toBe(before.refused + 1);
    expect(idp.federation!.counts().tokenExchange).toBe(before.ex);
  });

  it('outside CI the profile says where it works (exit 2)', async () => {
    const r = await runCli(['token', '--profile', 'gha'], home.env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/works only inside a GitHub Actions job/);
  });

  it('a privileged scope is refused before any exchange: a CI job has nobody to type an OTP (exit 2)', async () => {
    const before = idp.federation!.counts().tokenExchange;
    const r = await runCli(['token', '--profile', 'guarded', '--scope', 'admin:all'], githubJob());
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/admin:all.* privileged by policy, and profile "guarded" is a CI profile/);
    expect(idp.federation!.counts().tokenExchange).toBe(before);
    expect((await runCli(['token', '--profile', 'guarded'], githubJob())).code).toBe(0);
  });

  it('login is refused for a CI profile', async () => {
    const r = await runCli(['login', '--profile', 'gha', '--no-browser'], home.env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/CI profile .* needs no login/);
  });
});

describe('federation: token file → RFC 7523 client assertion', () => {
  it('exchanges the file\'s token once, and again only when the file changes', async () => {
    writeFileSync(tokenFile, (await ci.mint({ aud: idp.issuer })) + '\n');
    const before = idp.federation!.counts().clientAssertion;
    const a = await runCli(['token', '--profile', 'pod'], home.env);
    expect(a.stderr).toBe('');
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(['token', '--profile', 'pod'], home.env);
    expect(b.stdout).toBe(a.stdout);
    expect(idp.federation!.counts().clientAssertion).toBe(before + 1);
    expect((await verifiedAtIdp(a.stdout.trim())).aud).toBe(TEST_RESOURCE);

    writeFileSync(tokenFile, (await ci.mint({ aud: idp.issuer })) + '\n');
    const c = await runCli(['token', '--profile', 'pod'], home.env);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).not.toBe(a.stdout);
    expect(idp.federation!.counts().clientAssertion).toBe(before + 2);
  });

  it('an identity token the IdP does not trust: exit 5 with the IdP\'s reason', async () => {
    writeFileSync(tokenFile, await ci.mint({ aud: idp.issuer, sub: 'repo:someone/fork:ref:refs/heads/main' }));
    const r = await runCli(['token', '--profile', 'pod'], home.env);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/refused the request \(invalid_client: the CI subject repo:someone\/fork:ref:refs\/heads\/main is not trusted/);
  });

  it('a missing file: exit 3 naming the file', async () => {
    home.writeConfig({ storage: 'file', profiles: { ...profiles(), pod: { ...profiles().pod!, federation: { source: 'file', path: join(home.dir, 'nope'), exchange: 'client-assertion' } } } });
    const r = await runCli(['token', '--profile', 'pod'], home.env);
    home.writeConfig({ storage: 'file', profiles: profiles() });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/identity token file .*nope does not exist/);
  });
});

describe('federation: env and GitLab variables', () => {
  it('a refused exchange exits 5 with the IdP\'s error and description', async () => {
    const token = await ci.mint({ aud: idp.issuer, sub: 'repo:someone/fork:ref:refs/heads/main' });
    const r = await runCli(['token', '--profile', 'job'], { ...home.env, CI: 'true', CI_ID_TOKEN: token });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/refused the request \(invalid_grant: the CI subject repo:someone\/fork.* is not trusted/);
  });

  it('the variable\'s token is exchanged, and neither token reaches the agent\'s logs', async () => {
    const token = await ci.mint({ aud: idp.issuer });
    const r = await runCli(['token', '--profile', 'job'], { ...home.env, CI: 'true', CI_ID_TOKEN: token });
    expect(r.code, r.stderr).toBe(0);
    expect((await verifiedAtIdp(r.stdout.trim())).aud).toBe(TEST_RESOURCE);
    const logs = home.logs();
    expect(logs).toContain('"federation":"env"');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(r.stdout.trim());
  });

  it('the Node library reads the variable from the environment it is given', async () => {
    const token = await ci.mint({ aud: idp.issuer });
    const got = await getToken({ profile: 'job', socketPath: home.socket, autostart: false, env: { CI: 'true', CI_ID_TOKEN: token } });
    expect((await verifiedAtIdp(got.accessToken)).aud).toBe(TEST_RESOURCE);
    await expect(getToken({ profile: 'job', socketPath: home.socket, autostart: false, env: { CI: 'true' } })).rejects.toMatchObject({ code: 'ci_identity_missing', exitCode: 3 });
  });

  it('a GitLab job without the id_tokens variable gets the .gitlab-ci.yml hint (exit 3)', async () => {
    const r = await runCli(['token', '--profile', 'lab'], { ...home.env, GITLAB_CI: 'true', CI: 'true' });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/add `id_tokens: \{ AUTHCTL_ID_TOKEN: \{ aud: /);
    const outside = await runCli(['token', '--profile', 'lab'], home.env);
    expect(outside.code, outside.stderr).toBe(2);
    expect(outside.stderr).toMatch(/works only inside a GitLab CI job/);
    const envOutside = await runCli(['token', '--profile', 'job'], home.env);
    expect(envOutside.code, envOutside.stderr).toBe(2);
    expect(envOutside.stderr).toMatch(/works only inside a CI job that sets \$CI_ID_TOKEN/);
  });
});

describe('profile add --federation', () => {
  it('writes a federation profile, and refuses incomplete flags (exit 2)', async () => {
    const h = makeTestHome();
    try {
      const ok = await runCli(['profile', 'add', 'ci', '--issuer', idp.issuer, '--client-id', 'ci-app', '--resource', TEST_RESOURCE, '--federation', 'github-actions', '--federation-audience', idp.issuer], h.env);
      expect(ok.code, ok.stderr).toBe(0);
      const shown = JSON.parse((await runCli(['profile', 'show', 'ci'], h.env)).stdout);
      expect(shown.federation).toEqual({ source: 'github-actions', audience: idp.issuer, exchange: 'token-exchange' });
      expect(shown.scopes).toEqual([]);
      const bad = await runCli(['profile', 'add', 'lab', '--issuer', idp.issuer, '--client-id', 'x', '--federation', 'gitlab'], h.env);
      expect(bad.code, bad.stderr).toBe(2);
      expect(bad.stderr).toMatch(/--federation gitlab needs --variable NAME/);
      const wrong = await runCli(['profile', 'add', 'x', '--issuer', idp.issuer, '--client-id', 'x', '--federation', 'github-actions', '--exchange', 'magic'], h.env);
      expect(wrong.code, wrong.stderr).toBe(2);
      expect(wrong.stderr).toMatch(/--exchange "magic" is not one of token-exchange, client-assertion \(e\.g\. --exchange token-exchange\)/);
    } finally {
      h.cleanup();
    }
  });
});
