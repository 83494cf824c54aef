/**
 * `authctl logs [-f]` and `--verbose` on `token` and `login` (issue #15 item 12), through the
 * built CLI against a real agent logging to its file and the test IdP: the log reads as lines
 * and holds no token; -f shows what the agent does next; --verbose shows the agent's steps
 * for that request (cache decisions, provider calls) on stderr, never a secret, and stdout
 * still carries only the token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { CLI, loginViaCli, runCli } from '../fixtures/cli.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';

const TTL = 60;
let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;
let loginEvents: Array<Record<string, unknown>>;

const storedRefreshToken = (): string =>
  (JSON.parse(readFileSync(join(home.dir, 'state', 'authctl', 'sessions.json'), 'utf8')).sessions.work as { refreshToken: string }).refreshToken;

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: TTL });
  home = makeTestHome();
  home.writeConfig({ storage: 'file', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
  agent = await spawnAgent(home.env, home.socket);
  const before = await runCli(['token', '--verbose'], home.env);
  expect(before.code).toBe(3);
  expect(before.stderr).toContain('authctl: agent: +');
  expect(before.stderr).toMatch(/cache: no cached token for profile "work" .*refreshing with the stored session/);
  const login = await loginViaCli(['--profile', 'work', '--verbose'], home.env, (code) => idp.approveDevice(code));
  expect(login.code, login.stderr).toBe(0);
  loginEvents = login.events;
});

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  home?.cleanup();
});

describe('--verbose', () => {
  it('login --verbose streams the agent\'s provider calls as step events, with no code or token in them', () => {
    const steps = loginEvents.filter((e) => e.event === 'step').map((e) => String(e.message));
    expect(steps.some((s) => /POST http:\/\/127\.0\.0\.1:\d+\/device\/auth → HTTP 200/.test(s))).toBe(true);
    expect(steps.some((s) => /POST http:\/\/127\.0\.0\.1:\d+\/token → HTTP 200/.test(s))).toBe(true);
    const userCode = String(loginEvents.find((e) => e.event === 'verification')!.userCode);
    for (const s of steps) {
      expect(s).not.toContain(userCode);
      expect(s).not.toContain(storedRefreshToken());
    }
  });

  it('token --verbose says it answered from the cache, or that it refreshed and called the provider; stdout is only the token', async () => {
    const cached = await runCli(['token', '--verbose'], home.env);
    expect(cached.code, cached.stderr).toBe(0);
    expect(cached.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(cached.stderr).toMatch(/authctl: agent: \+\d+ms cache: a token for profile "work" .* answered from the cache, no provider call/);

    // More validity than the cached token has: a refresh, and the provider call it makes.
    const refreshed = await runCli(['token', '--verbose', '--min-valid', String(TTL * 2)], home.env);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stderr).toMatch(/cache: the cached token for profile "work" .* less than min-valid 120 s: refreshing/);
    expect(refreshed.stderr).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/token → HTTP 200 \(\d+ ms\)/);
    for (const secret of [cached.stdout.trim(), refreshed.stdout.trim(), storedRefreshToken()]) expect(refreshed.stderr + cached.stderr).not.toContain(secret);

    // A provider that fails once with 503: the retry is a step too.
    let failures = 1;
    idp.tamper({ request: (req) => (req.route === 'refresh' && failures-- > 0 ? { status: 503, body: { error: 'temporarily_unavailable' } } : undefined) });
    try {
      // Another scope: a cache key of its own, so a refresh.
      const retried = await runCli(['token', '--verbose', '--scope', 'api:read'], home.env);
      expect(retried.code, retried.stderr).toBe(0);
      expect(retried.stderr, retried.stderr).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/token → HTTP 503/);
      expect(retried.stderr).toMatch(/try 1 of 3 failed \(.*\); retrying in \d+ ms/);
      expect(retried.stderr).toMatch(/HTTP 503[\s\S]*retrying[\s\S]*POST http:\/\/127\.0\.0\.1:\d+\/token → HTTP 200/);
    } finally {
      idp.tamper(undefined);
    }

    // Without --verbose: no steps.
    const plain = await runCli(['token'], home.env);
    expect(plain.stderr).toBe('');
  });
});

describe('authctl logs', () => {
  it('shows the agent\'s log as readable lines, without any token', async () => {
    const token = (await runCli(['token'], home.env)).stdout.trim();
    const logs = await runCli(['logs'], home.env);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout, logs.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+ INFO {2}agent started .*pid=\d+/m);
    expect(logs.stdout).toMatch(/INFO {2}logged in profile=work .*subject=alice/m);
    expect(logs.stdout).not.toContain(token);
    expect(logs.stdout).not.toContain(storedRefreshToken());
    const json = await runCli(['logs', '--json', '-n', '1'], home.env);
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toHaveProperty('level');
    const bad = await runCli(['logs', '-n', 'many'], home.env);
    expect(bad.code).toBe(2);
  });

  it('-f follows the log: what the agent does next shows up; Ctrl-C ends it with exit 0', async () => {
    const follower = spawn(process.execPath, [CLI, 'logs', '-f', '-n', '1'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follower.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => follower.once('close', resolve));
    // The follower has read the file once it shows its last line; then the agent logs a logout.
    for (const until = Date.now() + 10_000; !out && Date.now() < until; ) await new Promise((r) => setTimeout(r, 25));
    expect(out.trim().split('\n')).toHaveLength(1);
    const logout = await runCli(['logout', '--profile', 'work'], home.env);
    expect(logout.code, logout.stderr).toBe(0);
    const deadline = Date.now() + 10_000;
    while (!/logged out profile=work/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(out).toMatch(/INFO {2}logged out profile=work revoked=true/);
    follower.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
