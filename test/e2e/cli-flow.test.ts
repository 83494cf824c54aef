/**
 * The whole daily path through the built CLI binary, as a user and a script see it:
 * profile add → login → token (a JWT for the right audience) → token again (cache, no
 * IdP call) → expiry → one refresh → logout (the refresh token is dead at the IdP) →
 * token exits 3. Plus the contract details: stdout carries only the token, formats,
 * AUTHCTL_TOKEN, usage errors, no agent, and autostart that never holds a pipe open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { CLI, loginViaCli, runCli } from '../fixtures/cli.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';

const TTL = 4;
let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: TTL });
  home = makeTestHome();
  home.writeConfig({ storage: 'file' });
  agent = await spawnAgent(home.env, home.socket);
});

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  home?.cleanup();
});

const JWT_LINE = /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/;

describe('authctl CLI, end to end', () => {
  it('adds a profile, validating it first', async () => {
    const bad = await runCli(['profile', 'add', 'work', '--issuer', 'http://idp.example.com', '--client-id', 'x'], home.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must use https/);
    const ok = await runCli(
      ['profile', 'add', 'work', '--issuer', idp.issuer, '--client-id', idp.clientId, '--scope', 'openid offline_access api:read', '--min-valid', '1'],
      home.env,
    );
    expect(ok.code, ok.stderr).toBe(0);
    const list = await runCli(['profile', 'list'], home.env);
    expect(list.stdout).toMatch(new RegExp(`^\\*\\s+work\\s+${idp.issuer.replace(/\./g, '\\.')}\\s`, 'm'));
    const def = await runCli(['profile', 'add', 'work', '--issuer', idp.issuer, '--client-id', idp.clientId, '--scope', 'openid offline_access api:read', '--min-valid', '1', '--default', '--force'], home.env);
    expect(def.code, def.stderr).toBe(0);
  });

  it('token before login exits 3 and names the command to run', async () => {
    const t = await runCli(['token'], home.env);
    expect(t.code).toBe(3);
    expect(t.stdout).toBe('');
    expect(t.stderr).toContain('authctl login --profile work');
  });

  it('logs in with the device flow; --json prints only event lines on stdout', async () => {
    const login = await loginViaCli(['--profile', 'work'], home.env, (code) => idp.approveDevice(code));
    expect(login.code, login.stderr).toBe(0);
    expect(login.events.map((e) => e.event)).toEqual(expect.arrayContaining(['verification', 'waiting', 'success']));
    for (const line of login.stdout.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('prints exactly a verifiable JWT, then serves it from cache without calling the IdP', async () => {
    idp.resetCounts();
    const a = await runCli(['token'], home.env);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(JWT_LINE);
    const { payload } = await jwtVerify(a.stdout.trim(), createRemoteJWKSet(new URL(idp.jwksUri)), { issuer: idp.issuer, audience: idp.resource });
    expect(payload.sub).toBe('alice');
    const b = await runCli(['token'], home.env);
    expect(b.stdout).toBe(a.stdout);
    expect(idp.counts()).toMatchObject({ refresh: 0, deviceCodePolls: 0 });
  });

  it('a profile with an audience gets tokens for that aud (asked for at login)', async () => {
    const add = await runCli(['profile', 'add', 'admin', '--issuer', idp.issuer, '--client-id', idp.clientId, '--audience', 'https://admin.authctl.test'], home.env);
    expect(add.code, add.stderr).toBe(0);
    const login = await loginViaCli(['--profile', 'admin'], home.env, (code) => idp.approveDevice(code));
    expect(login.code, login.stderr).toBe(0);
    const t = await runCli(['token', '--profile', 'admin', '--min-valid', '0'], home.env);
    expect(t.code, t.stderr).toBe(0);
    const { payload } = await jwtVerify(t.stdout.trim(), createRemoteJWKSet(new URL(idp.jwksUri)), { audience: 'https://admin.authctl.test' });
    expect(payload.aud).toBe('https://admin.authctl.test');
    await runCli(['logout', '--profile', 'admin'], home.env);
  });

  it('a token for an audience the login did not ask for is refused locally (exit 2); the session survives', async () => {
    idp.resetCounts();
    const t = await runCli(['token', '--audience', 'https://admin.authctl.test'], home.env);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('add a profile with --audience https://admin.authctl.test and log in to it');
    expect(idp.counts().refresh).toBe(0);
    const still = await runCli(['token', '--min-valid', '3600'], home.env); // forces a refresh
    expect(still.code, still.stderr).toBe(0);
  });

  it('after expiry, exactly one refresh reaches the IdP', async () => {
    const first = (await runCli(['token', '--json'], home.env)).stdout;
    const { expiresAt } = JSON.parse(first);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt * 1000 - Date.now()) + 100));
    idp.resetCounts();
    const t = await runCli(['token'], home.env);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).not.toBe(JSON.parse(first).accessToken + '\n');
    expect(idp.counts().refresh).toBe(1);
  });

  it('formats: --json, --header, --env', async () => {
    const json = JSON.parse((await runCli(['token', '--json'], home.env)).stdout);
    expect(json).toMatchObject({ tokenType: 'Bearer', profile: 'work', accessToken: expect.stringMatching(/^eyJ/) });
    const header = (await runCli(['token', '--header'], home.env)).stdout;
    expect(header).toBe(`Authorization: Bearer ${json.accessToken}\n`);
    const env = (await runCli(['token', '--env'], home.env)).stdout;
    expect(env).toBe(`AUTHCTL_ACCESS_TOKEN=${json.accessToken}\n`);
    const both = await runCli(['token', '--json', '--header'], home.env);
    expect(both.code).toBe(2);
  });

  it('status shows the session without any secret', async () => {
    const token = (await runCli(['token'], home.env)).stdout.trim();
    const s = await runCli(['status', '--json'], home.env);
    expect(s.code).toBe(0);
    const status = JSON.parse(s.stdout);
    expect(status.profiles[0]).toMatchObject({ name: 'work', state: 'logged_in', subject: 'alice', hasRefreshToken: true });
    expect(s.stdout).not.toContain(token);
    const human = await runCli(['status'], home.env);
    expect(human.stdout).toMatch(/work \(default\)/);
    expect(human.stdout).toMatch(/state: +logged in as alice/);
  });

  it('usage errors exit 2 with a clear message', async () => {
    expect((await runCli(['token', '--bogus'], home.env)).code).toBe(2);
    expect((await runCli(['token', '--min-valid', 'soon'], home.env)).stderr).toMatch(/--min-valid "soon" is not a whole number of seconds \(e\.g\. --min-valid 300\)\nusage: authctl token /);
    const unknown = await runCli(['token', '--profile', 'nope'], home.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no profile named "nope"/);
    expect((await runCli(['frobnicate'], home.env)).code).toBe(2);
  });

  it('AUTHCTL_TOKEN is printed as is and no agent is contacted', async () => {
    const t = await runCli(['token'], { ...home.env, AUTHCTL_TOKEN: 'pat-123', AUTHCTL_SOCK: '/nonexistent/agent.sock' });
    expect(t).toMatchObject({ code: 0, stdout: 'pat-123\n' });
  });

  it('logout revokes; the next refresh fails and token exits 3', async () => {
    idp.resetCounts();
    const out = await runCli(['logout'], home.env);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/revoked/);
    expect(idp.counts().revocation).toBe(1);
    const t = await runCli(['token'], home.env);
    expect(t.code).toBe(3);
  });

  it('with no agent and AUTHCTL_NO_AUTOSTART=1, exits 6', async () => {
    const h = makeTestHome();
    try {
      const t = await runCli(['token'], h.env);
      expect(t.code).toBe(6);
      expect(t.stderr).toMatch(/no agent answers/);
    } finally {
      h.cleanup();
    }
  });

  it('autostarts a detached agent; $(authctl …) returns at once, and racing CLIs end up with one agent', async () => {
    const h = makeTestHome();
    const env = { ...h.env };
    delete (env as Record<string, string | undefined>).AUTHCTL_NO_AUTOSTART;
    h.writeConfig({ storage: 'file', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid'] } } });
    try {
      // Command substitution waits for the pipe to close: an agent holding it would hang this.
      const script = `for i in 1 2 3 4; do T=$("${process.execPath}" "${CLI}" status --json) & done; wait; "${process.execPath}" "${CLI}" status --json`;
      const out = await new Promise<string>((resolve, reject) =>
        execFile('sh', ['-c', script], { env, timeout: 20_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
      );
      const status = JSON.parse(out);
      expect(status.pid).toBeGreaterThan(0);
      const pids = new Set<number>();
      for (let i = 0; i < 3; i++) pids.add(JSON.parse((await runCli(['status', '--json'], env)).stdout).pid);
      expect([...pids]).toEqual([status.pid]);
      await runCli(['daemon', 'stop'], env);
    } finally {
      h.cleanup();
    }
  });
});
