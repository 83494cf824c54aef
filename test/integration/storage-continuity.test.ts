/**
 * Sessions follow the user between a shell with the keychain (D-Bus, a real gnome-keyring)
 * and one without (an ssh shell: DBUS_SESSION_BUS_ADDRESS pointing nowhere), with
 * `storage: "auto"`: a file session moves into the keychain when a keychain agent finds it;
 * a keychain session is reported as out of reach (exit 7) by an agent without the keychain,
 * never as "not logged in"; `logout --all` goes on past such a profile and reports each one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusResponse } from '../../shared/api.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { loginViaCli, runCli } from '../fixtures/cli.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { startPrivateKeyring, type PrivateKeyring } from '../fixtures/keyring.js';

let idp: TestIdp;
let keyring: PrivateKeyring;
const homes: TestHome[] = [];
const agents: AgentProcess[] = [];

interface Shells {
  home: TestHome;
  /** A desktop shell: the keyring's D-Bus session. */
  desktop: Record<string, string>;
  /** An ssh shell: no session bus reachable. */
  ssh: Record<string, string>;
}

function shells(profiles: string[]): Shells {
  const home = makeTestHome();
  homes.push(home);
  const scopes = ['openid', 'offline_access', 'api:read'];
  home.writeConfig({ storage: 'auto', profiles: Object.fromEntries(profiles.map((p) => [p, { issuer: idp.issuer, clientId: idp.clientId, scopes }])) });
  return {
    home,
    desktop: { ...home.env, ...keyring.env },
    ssh: { ...home.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home.dir, 'no-bus')}` },
  };
}

async function agentIn(s: Shells, env: Record<string, string>): Promise<AgentProcess> {
  const a = await spawnAgent(env, s.home.socket);
  agents.push(a);
  return a;
}

function fileSessions(s: Shells): Record<string, unknown> {
  const f = join(s.home.dir, 'state', 'authctl', 'sessions.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')).sessions : {};
}

async function login(env: Record<string, string>, profile: string) {
  const r = await loginViaCli(['--profile', profile], env, (code) => idp.approveDevice(code));
  expect(r.code, r.stderr).toBe(0);
  return r;
}

async function profileStatus(env: Record<string, string>, name: string) {
  const r = await runCli(['status', '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as StatusResponse).profiles.find((p) => p.name === name)!;
}

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: 300 });
  keyring = await startPrivateKeyring();
});

afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL');
  await idp?.close();
  keyring?.close();
  for (const h of homes) h.cleanup();
});

describe('storage continuity between the keychain and the file (storage: "auto")', () => {
  it('a session logged in without D-Bus moves into the keychain when an agent with D-Bus finds it', async () => {
    const s = shells(['work']);
    let agent = await agentIn(s, s.ssh);
    const first = await login(s.ssh, 'work');
    expect(first.events.at(-1)).toMatchObject({ event: 'success', storage: 'file' });
    expect(fileSessions(s).work).toBeTruthy();
    expect(await profileStatus(s.ssh, 'work')).toMatchObject({ state: 'logged_in', storedIn: 'file' });
    expect(await agent.stop()).toBe(0);

    agent = await agentIn(s, s.desktop);
    idp.resetCounts();
    // 300 s tokens and a 400 s minimum: the token comes from a refresh with the moved session.
    const t = await runCli(['token', '--min-valid', '400'], s.desktop);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^eyJ/);
    expect(idp.counts().refresh).toBe(1);
    expect(fileSessions(s).work).toBeUndefined();
    expect(JSON.parse(keyring.lookup(s.home.env.AUTHCTL_KEYCHAIN_SERVICE!, 'work')!).refreshToken).toEqual(expect.any(String));
    expect(await profileStatus(s.desktop, 'work')).toMatchObject({ state: 'logged_in', storedIn: 'keychain' });
    const human = await runCli(['status'], s.desktop);
    expect(human.stdout).toMatch(/work[^\n]*\n(?:.*\n)*?  stored in: keychain\n/);
    expect(await agent.stop()).toBe(0);
  });

  it('an agent without D-Bus says the session is in the keychain it cannot reach (exit 7), not "not logged in"', async () => {
    const s = shells(['work']);
    let agent = await agentIn(s, s.desktop);
    await login(s.desktop, 'work');
    expect(await agent.stop()).toBe(0);

    agent = await agentIn(s, s.ssh);
    const t = await runCli(['token'], s.ssh);
    expect(t.code).toBe(7);
    expect(t.stdout).toBe('');
    expect(t.stderr).toContain('your session for profile "work" is in the keychain, which this shell cannot reach');
    expect(t.stderr).not.toMatch(/not logged in/);
    expect(await profileStatus(s.ssh, 'work')).toMatchObject({ storedIn: 'keychain', storeReachable: false });
    const human = await runCli(['status'], s.ssh);
    expect(human.stdout).toContain('stored in: keychain (which this agent cannot reach)');
    // The marker that says so holds no secret.
    const index = readFileSync(join(s.home.dir, 'state', 'authctl', 'keychain-sessions.json'), 'utf8');
    const rt = JSON.parse(keyring.lookup(s.home.env.AUTHCTL_KEYCHAIN_SERVICE!, 'work')!).refreshToken;
    expect(index.includes(rt)).toBe(false);
    expect(await agent.stop()).toBe(0);
  });

  it('`logout --all` goes on past a profile it cannot log out of, and reports each one', async () => {
    // "work" first: its session is in the keychain, out of this shell's reach.
    const s = shells(['work', 'home']);
    let agent = await agentIn(s, s.desktop);
    await login(s.desktop, 'work');
    expect(await agent.stop()).toBe(0);
    agent = await agentIn(s, s.ssh);
    await login(s.ssh, 'home');
    idp.resetCounts();

    const out = await runCli(['logout', '--all'], s.ssh);
    expect(out.code).toBe(7);
    expect(out.stderr).toMatch(/Could not log out of "work": your session for profile "work" is in the keychain/);
    expect(out.stderr).toContain('Logged out of "home" (the session was revoked at the provider)');
    expect(idp.counts().revocation).toBe(1);
    expect(fileSessions(s).home).toBeUndefined();
    expect(await agent.stop()).toBe(0);
  });
});
