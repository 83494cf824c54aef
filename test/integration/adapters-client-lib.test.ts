/**
 * The Node client library against a real agent and the real test IdP: concurrent getToken
 * calls from one process share the agent's cache (one refresh), errors arrive typed with
 * the CLI's exit codes, and a fresh process autostarts exactly one agent.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentUnavailableError,
  AuthctlError,
  getStatus,
  getToken,
  invalidateToken,
  LoginRequiredError,
  UsageError,
} from '../../client/lib/index.js';
import { makeTestHome } from '../fixtures/agent-home.js';
import { startAdapterWorld, type AdapterWorld } from '../fixtures/adapters.js';
import { loginThroughAgent } from '../fixtures/login.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let world: AdapterWorld;

beforeAll(async () => {
  world = await startAdapterWorld((idp) => ({
    storage: 'file',
    profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } },
  }));
});

afterAll(async () => {
  await world?.close();
});

describe('client library', () => {
  it('throws LoginRequiredError (an AuthctlError, exit code 3) before login', async () => {
    const err = await getToken({ profile: 'work', env: world.env }).catch((e) => e);
    expect(err).toBeInstanceOf(LoginRequiredError);
    expect(err).toBeInstanceOf(AuthctlError);
    expect(err).toMatchObject({ code: 'login_required', exitCode: 3, name: 'LoginRequiredError' });
    expect(err.message).toContain('authctl login --profile work');
    const unknown = await getToken({ profile: 'nope', env: world.env }).catch((e) => e);
    expect(unknown).toBeInstanceOf(UsageError);
    expect(unknown.exitCode).toBe(2);
  });

  it('concurrent getToken calls share the agent cache: one refresh for fifty callers', async () => {
    await loginThroughAgent(world.client, world.idp, 'work');
    await invalidateToken({ profile: 'work', env: world.env });
    world.idp.resetCounts();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => getToken({ profile: 'work', env: world.env })));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(world.idp.counts().refresh).toBe(1);
    expect(tokens[0]).toMatchObject({ profile: 'work', tokenType: expect.stringMatching(/^bearer$/i) });
    const status = await getStatus({ env: world.env });
    expect(status.profiles[0]).toMatchObject({ name: 'work', state: 'logged_in' });
  });

  it('no agent and no autostart: AgentUnavailableError with exit code 6', async () => {
    const home = makeTestHome();
    try {
      const err = await getToken({ env: home.env }).catch((e) => e);
      expect(err).toBeInstanceOf(AgentUnavailableError);
      expect(err.exitCode).toBe(6);
    } finally {
      home.cleanup();
    }
  });

  it('a new process with no agent running autostarts exactly one, even for concurrent first calls', async () => {
    const home = makeTestHome();
    const { AUTHCTL_NO_AUTOSTART: _, ...env } = home.env;
    // Counts the agents this process starts (node's own spawn, wrapped; nothing of ours is replaced).
    const script = `
      const cp = (await import('node:child_process')).default;
      const spawn = cp.spawn;
      let started = 0;
      cp.spawn = (...args) => (started++, spawn(...args));
      (await import('node:module')).syncBuiltinESMExports();
      const lib = await import(${JSON.stringify(join(ROOT, 'dist/client/lib/index.js'))});
      const all = await Promise.all([1, 2, 3, 4, 5].map(() => lib.getStatus()));
      process.stdout.write(JSON.stringify({ started, pids: all.map((s) => s.pid) }));`;
    const { started, pids }: { started: number; pids: number[] } = await new Promise((resolvePids, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => (code === 0 ? resolvePids(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`))));
    });
    try {
      expect(started).toBe(1);
      expect(new Set(pids).size).toBe(1);
      expect(pids[0]).not.toBe(process.pid);
    } finally {
      process.kill(pids[0]!, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      home.cleanup();
    }
  });
});
