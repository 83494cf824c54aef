/**
 * Refresh tokens in the real Secret Service (gnome-keyring on a private D-Bus session),
 * through the built CLI and agent processes: stored at login, used after a restart,
 * a locked keyring is exit 7 (never an empty answer), no keyring falls back to a 0600
 * file with a warning, and `storage: "keychain"` fails closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startPrivateKeyring, type PrivateKeyring } from '../fixtures/keyring.js';
import { spawnAgent } from '../fixtures/agent-process.js';
import { loginViaCli, runCli } from '../fixtures/cli.js';

let idp: TestIdp;
let keyring: PrivateKeyring;
const homes: TestHome[] = [];

function home(storage: 'keychain' | 'auto', withBus: boolean): TestHome {
  const env: Record<string, string> = withBus ? { ...keyring.env } : {};
  const h = makeTestHome(env);
  if (!withBus) delete h.env.DBUS_SESSION_BUS_ADDRESS;
  h.writeConfig({ storage, profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
  homes.push(h);
  return h;
}

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: 300 });
  keyring = await startPrivateKeyring();
});

afterAll(async () => {
  await idp?.close();
  keyring?.close();
  for (const h of homes) h.cleanup();
});

describe('keychain storage (real Secret Service)', () => {
  it('stores the refresh token in the keychain, uses it after a restart, and never writes a file', async () => {
    const h = home('keychain', true);
    let agent = await spawnAgent(h.env, h.socket);
    try {
      const login = await loginViaCli(['--profile', 'work'], h.env, (code) => idp.approveDevice(code));
      expect(login.code, login.stderr).toBe(0);
      expect(login.events.at(-1)).toMatchObject({ event: 'success', storage: 'keychain' });
      const item = keyring.lookup(h.env.AUTHCTL_KEYCHAIN_SERVICE!, 'work');
      expect(item).toBeTruthy();
      const stored = JSON.parse(item!);
      expect(stored.refreshToken).toEqual(expect.any(String));
      expect(existsSync(join(h.dir, 'state', 'authctl', 'sessions.json'))).toBe(false);

      expect(await agent.stop()).toBe(0);
      agent = await spawnAgent(h.env, h.socket);
      idp.resetCounts();
      // 300 s tokens with a 400 s minimum: the restarted agent must refresh from the keychain.
      const t = await runCli(['token', '--min-valid', '400'], h.env);
      expect(t.code, t.stderr).toBe(0);
      expect(t.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
      expect(idp.counts().refresh).toBe(1);
      const rotated = JSON.parse(keyring.lookup(h.env.AUTHCTL_KEYCHAIN_SERVICE!, 'work')!);
      expect(rotated.refreshToken).not.toBe(stored.refreshToken);
    } finally {
      await agent.stop();
    }
  });

  it('with no Secret Service, falls back to a 0600 file and says so loudly', async () => {
    const h = home('auto', false);
    const agent = await spawnAgent(h.env, h.socket);
    try {
      const status = await runCli(['status'], h.env);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('storage: file');
      expect(status.stdout).toMatch(/^! no keychain is available: refresh tokens are stored in .*sessions\.json/m);
    } finally {
      await agent.stop();
    }
  });

  it('with storage "keychain" and no Secret Service, fails closed with exit 7', async () => {
    const h = home('keychain', false);
    const agent = await spawnAgent(h.env, h.socket);
    try {
      const t = await runCli(['token'], h.env);
      expect(t.code).toBe(7);
      expect(t.stderr).toMatch(/keychain is unavailable/);
      expect(t.stdout).toBe('');
    } finally {
      await agent.stop();
    }
  });

  it('a locked keyring is exit 7 with a message to unlock it, never an empty answer', async () => {
    const h = home('keychain', true);
    let agent = await spawnAgent(h.env, h.socket);
    try {
      const login = await loginViaCli(['--profile', 'work'], h.env, (code) => idp.approveDevice(code));
      expect(login.code, login.stderr).toBe(0);
      await agent.stop();
      keyring.lock();
      agent = await spawnAgent(h.env, h.socket);
      const t = await runCli(['token'], h.env);
      expect(t.code).toBe(7);
      expect(t.stderr).toMatch(/keychain is locked/);
      expect(t.stdout).toBe('');
    } finally {
      await agent.stop();
    }
  });
});
