/**
 * Profiles as gh accounts and kubectl contexts behave (issue #15 items 5, 6, 7), through the
 * built CLI against a real agent and the test IdP: the first profile is the default and only
 * `profile use` (or a yes on a terminal) changes it; adding over a profile needs --force; on a
 * terminal a new issuer is checked at once; and no refresh token is left live when its
 * profile is removed, re-pointed, or gone from the config (revocations counted at the IdP).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { loginViaCli, runCli } from '../fixtures/cli.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { runOnTerminal } from '../fixtures/terminal.js';

let idp: TestIdp;
const homes: TestHome[] = [];
const agents: AgentProcess[] = [];

async function home(storage: 'file' | 'auto' = 'file'): Promise<TestHome> {
  const h = makeTestHome();
  homes.push(h);
  h.writeConfig({ storage });
  agents.push(await spawnAgent(h.env, h.socket));
  return h;
}

const configOf = (h: TestHome) => JSON.parse(readFileSync(join(h.dir, 'config', 'authctl', 'config.json'), 'utf8'));
const sessionsOf = (h: TestHome): Record<string, unknown> => {
  try {
    return JSON.parse(readFileSync(join(h.dir, 'state', 'authctl', 'sessions.json'), 'utf8')).sessions;
  } catch {
    return {};
  }
};
const add = (h: TestHome, name: string, extra: string[] = []) =>
  runCli(['profile', 'add', name, '--issuer', idp.issuer, '--client-id', idp.clientId, '--scope', 'openid offline_access', ...extra], h.env);

async function login(h: TestHome, name: string): Promise<void> {
  const l = await loginViaCli(['--profile', name], h.env, (code) => idp.approveDevice(code));
  expect(l.code, l.stderr).toBe(0);
}

beforeAll(async () => {
  idp = await startTestIdp();
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await idp?.close();
  for (const h of homes) h.cleanup();
});

describe('the default profile', () => {
  it('the first profile added becomes the default, written as defaultProfile; a second one leaves it', async () => {
    const h = await home();
    const first = await add(h, 'work');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('"work" is now the default profile');
    expect(configOf(h).defaultProfile).toBe('work');
    const second = await add(h, 'play');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('The default profile stays "work" (`authctl profile use play` switches)');
    expect(configOf(h).defaultProfile).toBe('work');

    const list = await runCli(['profile', 'list'], h.env);
    expect(list.code, list.stderr).toBe(0);
    const [header, ...rows] = list.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^DEFAULT\s+NAME\s+ISSUER\s+CLIENT ID\s+SOURCE$/);
    expect(rows.find((r) => r.includes('work'))).toMatch(/^\*\s+work\s/);
    expect(rows.find((r) => r.includes('play'))).toMatch(/^\s+play\s/);

    const use = await runCli(['profile', 'use', 'play'], h.env);
    expect(use.code, use.stderr).toBe(0);
    expect(use.stderr).toContain('"play" is now the default profile (was "work")');
    expect(configOf(h).defaultProfile).toBe('play');
    const json = JSON.parse((await runCli(['profile', 'list', '--json'], h.env)).stdout) as Array<{ name: string; default: boolean }>;
    expect(json.filter((p) => p.default).map((p) => p.name)).toEqual(['play']);

    const typo = await runCli(['profile', 'use', 'wrok'], h.env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('no profile named "wrok" (did you mean "work"?)');
    expect(configOf(h).defaultProfile).toBe('play');
  });

  it('login --issuer names the profile it creates and keeps the default when nobody can be asked', async () => {
    const h = await home();
    expect((await add(h, 'work')).code).toBe(0);
    const l = await loginViaCli(['--profile', 'ci', '--issuer', idp.issuer, '--client-id', idp.clientId], h.env, (code) => idp.approveDevice(code));
    expect(l.code, l.stderr).toBe(0);
    expect(l.stderr).toContain(`Saved profile "ci" (${idp.issuer})`);
    expect(l.stderr).toContain('The default profile stays "work"');
    expect(configOf(h).defaultProfile).toBe('work');
  });

  it('login --issuer on a terminal asks before taking the default over', async () => {
    const h = await home();
    expect((await add(h, 'work')).code).toBe(0);
    const t = runOnTerminal(['login', '--no-browser', '--profile', 'mine', '--issuer', idp.issuer, '--client-id', idp.clientId], h.env);
    await t.waitFor(/Make "mine" the default profile instead of "work"\? \[y\/N\] /);
    t.typeLine('y');
    const code = (await t.waitFor(/\b([A-Z0-9]{4}-[A-Z0-9]{4})\b/))[1]!;
    await idp.approveDevice(code);
    expect(await t.exit, t.output()).toBe(0);
    expect(t.output()).toContain('"mine" is now the default profile (was "work")');
    expect(configOf(h).defaultProfile).toBe('mine');
  });
});

describe('adding over a profile, and checking the issuer', () => {
  it('refuses to replace a profile without --force, and names it', async () => {
    const h = await home();
    expect((await add(h, 'work')).code).toBe(0);
    const again = await runCli(['profile', 'add', 'work', '--issuer', 'https://idp.example.invalid', '--client-id', 'other'], h.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`profile "work" exists already (${idp.issuer}, client ${idp.clientId}): add --force to replace it`);
    expect(configOf(h).profiles.work.issuer).toBe(idp.issuer);
    const forced = await add(h, 'work', ['--force', '--min-valid', '5']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('Replaced profile "work"');
    expect(configOf(h).profiles.work.minValidSeconds).toBe(5);
  });

  it('on a terminal, a typo in the issuer is reported at once; a good issuer is confirmed', async () => {
    const h = await home();
    const dead = await startTestIdp();
    const deadIssuer = dead.issuer;
    await dead.close();
    const bad = runOnTerminal(['profile', 'add', 'typo', '--issuer', deadIssuer, '--client-id', 'x'], h.env);
    expect(await bad.exit, bad.output()).toBe(0);
    expect(bad.output()).toMatch(new RegExp(`WARNING: the issuer of "typo" does not work: .*cannot reach ${new URL(deadIssuer).host.replace(/\./g, '\\.')}`));
    expect(bad.output()).toContain('authctl profile add typo --issuer URL --client-id ID --force');
    const good = runOnTerminal(['profile', 'add', 'good', '--issuer', idp.issuer, '--client-id', idp.clientId], h.env);
    expect(await good.exit, good.output()).toBe(0);
    expect(good.output()).toContain(`Checked: ${idp.issuer} answers, with the device flow.`);
  });
});

describe('no refresh token is orphaned', () => {
  it('profile remove of a logged-in profile logs it out first: revoked at the IdP, gone from the store', async () => {
    const h = await home();
    expect((await add(h, 'work')).code).toBe(0);
    await login(h, 'work');
    expect(Object.keys(sessionsOf(h))).toEqual(['work']);
    idp.resetCounts();
    const rm = await runCli(['profile', 'remove', 'work'], h.env);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stderr).toContain('Logged out of "work" first (the session was revoked at the provider).');
    expect(rm.stderr).toContain('There is no default profile now');
    expect(idp.counts().revocation).toBe(1);
    expect(sessionsOf(h)).toEqual({});
    expect(configOf(h).profiles).toEqual({});
  });

  it('profile remove refuses, changing nothing, when the session cannot be ended first', async () => {
    const h = await home();
    expect((await add(h, 'work')).code).toBe(0);
    await login(h, 'work');
    await agents.at(-1)!.stop();
    const rm = await runCli(['profile', 'remove', 'work'], h.env);
    expect(rm.code).toBe(6);
    expect(rm.stderr).toContain('Nothing was changed');
    expect(rm.stderr).toContain('authctl logout --profile work');
    expect(configOf(h).profiles.work).toBeDefined();
    expect(Object.keys(sessionsOf(h))).toEqual(['work']);
  });

  it('replacing a logged-in profile\'s client id ends its session (revoked) and drops its cached tokens', async () => {
    const h = await home();
    expect((await add(h, 'work')).code).toBe(0);
    await login(h, 'work');
    expect((await runCli(['token'], h.env)).code).toBe(0);
    idp.resetCounts();
    const same = await add(h, 'work', ['--force']);
    expect(same.code, same.stderr).toBe(0);
    expect(idp.counts().revocation).toBe(0);
    const other = await runCli(['profile', 'add', 'work', '--force', '--issuer', idp.issuer, '--client-id', 'another-client'], h.env);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toContain('Logged out of "work" first');
    expect(idp.counts().revocation).toBe(1);
    expect(sessionsOf(h)).toEqual({});
    const status = JSON.parse((await runCli(['status', '--json'], h.env)).stdout) as { profiles: Array<{ name: string; state: string; cachedTokens: unknown[] }> };
    expect(status.profiles.find((p) => p.name === 'work')).toMatchObject({ state: 'logged_out', cachedTokens: [] });
  });

  it('removing your settings for a system profile keeps the system profile and its session', async () => {
    const h = makeTestHome();
    homes.push(h);
    h.writeSystemConfig({ profiles: { corp: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access'] } } });
    h.writeConfig({ storage: 'file' });
    agents.push(await spawnAgent(h.env, h.socket));
    const mine = await runCli(['profile', 'add', 'corp', '--issuer', idp.issuer, '--client-id', idp.clientId, '--scope', 'openid offline_access', '--min-valid', '5'], h.env);
    expect(mine.code, mine.stderr).toBe(0);
    await login(h, 'corp');
    idp.resetCounts();
    const rm = await runCli(['profile', 'remove', 'corp'], h.env);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stderr).toContain('the system config\'s profile of that name stays, with its session');
    expect(idp.counts().revocation).toBe(0);
    expect((await runCli(['token', '--profile', 'corp'], h.env)).code).toBe(0);
    const sys = await runCli(['profile', 'remove', 'corp'], h.env);
    expect(sys.code).toBe(2);
    expect(sys.stderr).toContain('comes from the system config');
  });

  it('logout --all reaches a session in the keychain whose profile was deleted from the config by hand', async () => {
    const h = await home('auto');
    expect((await add(h, 'gone')).code).toBe(0);
    expect((await add(h, 'kept')).code).toBe(0);
    await login(h, 'gone');
    const cfg = configOf(h);
    delete cfg.profiles.gone;
    delete cfg.defaultProfile;
    writeFileSync(join(h.dir, 'config', 'authctl', 'config.json'), JSON.stringify(cfg));
    idp.resetCounts();
    const out = await runCli(['logout', '--all'], h.env);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain('Logged out of "gone", a session left by a profile no longer in the config (revoked at the provider)');
    expect(out.stderr).toContain('Logged out of "kept"');
    expect(idp.counts().revocation).toBe(1);
    const again = await runCli(['logout', '--all'], h.env);
    expect(again.stderr).not.toContain('"gone"');
  });
});
