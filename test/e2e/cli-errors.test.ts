/**
 * Bad input and bad situations through the built CLI: each gets a clear message and the
 * exit code from the table, and nothing is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { loginViaCli, runCli } from '../fixtures/cli.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';

let idp: TestIdp;
/** Codes that expire in 2 s, for the expiry test alone: a login that must be approved gets the default. */
let shortIdp: TestIdp;
const homes: TestHome[] = [];
const agents: AgentProcess[] = [];

async function setup(config: unknown): Promise<TestHome> {
  const h = makeTestHome();
  homes.push(h);
  const dir = join(h.dir, 'config', 'authctl');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config), { mode: 0o600 });
  agents.push(await spawnAgent(h.env, h.socket));
  return h;
}

beforeAll(async () => {
  idp = await startTestIdp();
  shortIdp = await startTestIdp({ deviceCodeTTL: 2 });
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await idp?.close();
  await shortIdp?.close();
  for (const h of homes) h.cleanup();
});

describe('CLI errors', () => {
  it('a code that expires before approval ends the login with exit 3 and says so', async () => {
    const h = await setup({ storage: 'file', profiles: { p: { issuer: shortIdp.issuer, clientId: shortIdp.clientId, scopes: ['openid'] } } });
    const login = await loginViaCli([], h.env, async () => undefined);
    expect(login.code).toBe(3);
    expect(login.events.at(-1)).toMatchObject({ event: 'error', error: 'login_required', message: expect.stringMatching(/expired before it was approved/) });
  });

  it('a malformed user config is named with its problem, never a stack trace (exit 2)', async () => {
    const h = await setup('{ "profiles": { "p": ');
    const t = await runCli(['token'], h.env);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/config\/authctl\/config\.json:1:22: not valid JSON/);
    expect(t.stderr).not.toMatch(/\n\s+at /);
    const s = await runCli(['status'], h.env);
    expect(s.code).toBe(2);
    expect(s.stdout).toMatch(/config error: .*not valid JSON/);
  });

  it('a config with a wrong field names the field (exit 2)', async () => {
    const h = await setup({ profiles: { p: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid'], minValidSeconds: 'soon' } } });
    const t = await runCli(['token'], h.env);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/profiles\.p\.minValidSeconds must be a whole number/);
  });

  it('an unreachable identity provider is exit 5 naming the host; the session is kept', async () => {
    const h = await setup({ storage: 'file', profiles: { p: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access'], minValidSeconds: 1 } } });
    const login = await loginViaCli([], h.env, (code) => idp.approveDevice(code));
    expect(login.code, login.stderr).toBe(0);
    // Point the profile at a port where nothing listens; the stored session is for the old issuer.
    const dead = await startTestIdp();
    const deadIssuer = dead.issuer;
    await dead.close();
    const cfgPath = join(h.dir, 'config', 'authctl', 'config.json');
    writeFileSync(cfgPath, JSON.stringify({ storage: 'file', profiles: { q: { issuer: deadIssuer, clientId: idp.clientId, scopes: ['openid'] }, p: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access'], minValidSeconds: 1 } } }));
    const login2 = await loginViaCli(['--profile', 'q'], h.env, async () => undefined);
    expect(login2.code).toBe(5);
    expect(login2.stderr).toMatch(new RegExp(`cannot reach ${new URL(deadIssuer).host.replace('.', '\\.')}`));
    const t = await runCli(['token', '--profile', 'p'], h.env);
    expect(t.code, t.stderr).toBe(0);
  });
});
