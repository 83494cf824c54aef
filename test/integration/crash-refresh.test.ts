/**
 * The built agent (a real process) is killed with SIGKILL at each step of a refresh with
 * rotation and reuse detection (oidc-provider revokes the whole grant when a spent refresh
 * token comes back), then started again. Afterwards it either has a working refresh token
 * or says `login_required` once, with the command to run; never a silently broken state.
 *
 * What each step can lose, and why:
 * 1. Killed before the request leaves: nothing. The stored refresh token was never sent.
 * 2. Killed after the provider answered, before the new refresh token was stored: the
 *    session. The provider has already spent the old token and issued a new one that
 *    existed only in the dead process's memory; the old one comes back after the restart,
 *    reuse detection revokes the grant, and the user logs in again. No client can avoid
 *    this window with a strictly rotating provider; it is as short as one store write
 *    (providers with a reuse grace period, such as Okta's or Auth0's leeway, accept the
 *    old token within it and nothing is lost). The agent writes before anything else and
 *    never uses the old token once it has a new one.
 * 3. Killed after the write: nothing. The new token is in the store (the file store
 *    renames a fsynced temp file; the Secret Service replaces an item atomically).
 * A write that failed (keychain locked) keeps the new token in memory and retries it; a
 * kill before a retry succeeds is case 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../client/agent-client.js';
import { FileStore } from '../../daemon/store/file-store.js';
import { KeychainStore } from '../../daemon/store/keychain-store.js';
import type { SessionStore } from '../../daemon/store/session-store.js';
import type { StatusResponse, TokenResponse } from '../../shared/api.js';
import type { StoragePreference } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import { stateDir } from '../../shared/paths.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { runCli } from '../fixtures/cli.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { startFaultProxy, type FaultProxy } from '../fixtures/fault-proxy.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';

// The keychain is only there inside `npm test` (dbus-run-session with gnome-keyring).
const STORES: StoragePreference[] = process.env.DBUS_SESSION_BUS_ADDRESS ? ['file', 'keychain'] : ['file'];

describe.each(STORES)('SIGKILL during a refresh, %s store', (storage) => {
  let proxy: FaultProxy;
  let idp: TestIdp;
  let home: TestHome;
  let agent: AgentProcess | undefined;
  let client: AgentClient;
  let store: SessionStore;

  // Dropping the cached token forces the refresh (a large minValidSeconds refreshes at most once per issued token).
  const forcedRefresh = async () => {
    await client.call('POST', '/v1/invalidate', { profile: 'work' });
    return client.call<TokenResponse>('POST', '/v1/token', { profile: 'work' });
  };
  const storedRefreshToken = async () => (await store.get('work'))?.refreshToken;

  async function startBuiltAgent(): Promise<void> {
    agent = await spawnAgent(home.env, home.socket);
  }

  async function killAgent(): Promise<void> {
    await agent!.stop('SIGKILL');
    agent = undefined;
  }

  /** Starts a refresh, holds it at the proxy (`kind`), kills the agent there, then lets the exchange go. */
  async function killDuringRefresh(kind: 'holdRequest' | 'holdResponse'): Promise<void> {
    idp.resetCounts();
    proxy.fault({ match: 'refresh', kind, times: 1 });
    const lost = forcedRefresh().catch(() => undefined);
    await proxy.waitForHeld();
    await killAgent();
    proxy.dropHeld();
    await lost;
  }

  beforeAll(async () => {
    proxy = await startFaultProxy();
    idp = await startTestIdp({ issuer: proxy.url, accessTokenTTL: 300, rotateRefreshTokens: true });
    proxy.setTarget(idp.listenUrl);
    home = makeTestHome();
    home.writeConfig({ storage, profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
    client = new AgentClient({ socketPath: home.socket, autostart: false });
    store = storage === 'file' ? FileStore.inStateDir(stateDir(home.pathEnv)) : new KeychainStore(home.env.AUTHCTL_KEYCHAIN_SERVICE);
    await startBuiltAgent();
    expect((await loginThroughAgent(client, idp, 'work')).at(-1)).toMatchObject({ event: 'success' });
  });

  afterAll(async () => {
    if (agent) await killAgent();
    await store?.delete('work').catch(() => undefined);
    await proxy?.close();
    await idp?.close();
    home?.cleanup();
  });

  it('killed before the request leaves: the stored refresh token still works after a restart', async () => {
    const before = await storedRefreshToken();
    await killDuringRefresh('holdRequest');
    expect(idp.counts().refresh).toBe(0);
    expect(await storedRefreshToken()).toBe(before);

    await startBuiltAgent();
    const t = await forcedRefresh();
    expect(t.accessToken).toBeTruthy();
    expect(await storedRefreshToken()).not.toBe(before); // rotated, and stored
  });

  it('killed after the write: the new refresh token is stored and works after a restart', async () => {
    const before = await storedRefreshToken();
    await forcedRefresh();
    await killAgent(); // the answer came after the write
    const written = await storedRefreshToken();
    expect(written).toBeTruthy();
    expect(written).not.toBe(before);

    await startBuiltAgent();
    idp.resetCounts();
    await forcedRefresh();
    expect(idp.counts().refresh).toBe(1);
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    expect(status.profiles[0]).toMatchObject({ state: 'logged_in', hasRefreshToken: true });
  });

  it('killed after the provider rotated but before the write: login_required once, cleanly, then a new login works', async () => {
    const spent = await storedRefreshToken();
    await killDuringRefresh('holdResponse');
    expect(idp.counts().refresh).toBe(1); // the provider spent the stored token
    expect(await storedRefreshToken()).toBe(spent);

    await startBuiltAgent();
    const err = await forcedRefresh().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthctlError);
    expect((err as AuthctlError).code).toBe('login_required');
    expect((err as AuthctlError).message).toContain('authctl login --profile work');
    expect(idp.counts().refresh).toBe(2); // one try with the spent token: reuse detected, grant revoked
    expect(await storedRefreshToken()).toBeUndefined();

    // No loop: later requests answer at once, without asking the provider again.
    const cli = await runCli(['token', '--profile', 'work'], home.env);
    expect(cli.code).toBe(3);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toContain('authctl login --profile work');
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(idp.counts().refresh).toBe(2);
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    expect(status.profiles[0]).toMatchObject({ state: 'login_required', hasRefreshToken: false });

    // The one command it names is the way back.
    expect((await loginThroughAgent(client, idp, 'work')).at(-1)).toMatchObject({ event: 'success' });
    expect((await forcedRefresh()).accessToken).toBeTruthy();
  });
});
