/**
 * A broken config, status and doctor, and errors that end with the next step (issue #15
 * items 9 and 10), through the built CLI against a real agent and the test IdP: a JSON
 * syntax error is placed at line:column, a mistyped key gets a did-you-mean, one invalid
 * profile leaves the others working and is named, status says how to log in and where the
 * agent logs, doctor flags no profiles and ends with a summary line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { loginViaCli, runCli } from '../fixtures/cli.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';

let idp: TestIdp;
const homes: TestHome[] = [];
const agents: AgentProcess[] = [];

async function setup(config: unknown, opts: { agent?: boolean } = {}): Promise<TestHome> {
  const h = makeTestHome();
  homes.push(h);
  const dir = join(h.dir, 'config', 'authctl');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2), { mode: 0o600 });
  if (opts.agent !== false) agents.push(await spawnAgent(h.env, h.socket));
  return h;
}

const logFile = (h: TestHome) => join(h.dir, 'state', 'authctl', 'logs', 'agent.log');

beforeAll(async () => {
  idp = await startTestIdp();
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await idp?.close();
  for (const h of homes) h.cleanup();
});

describe('a broken config', () => {
  it('a JSON syntax error names the file, line and column, in token and status (exit 2), never "No profiles"', async () => {
    const h = await setup('{\n  "storage": "file",\n  "profiles": {\n    "p": {\n      "issuer": "x",\n    }\n  }\n}\n');
    const t = await runCli(['token'], h.env);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('config/authctl/config.json:6:5: not valid JSON');
    const s = await runCli(['status'], h.env);
    expect(s.code).toBe(2);
    expect(s.stdout).toMatch(/config error: .*config\.json:6:5: not valid JSON/);
    expect(s.stdout).not.toContain('No profiles');
    expect(s.stderr).toContain('fix the file it names');
  });

  it('a mistyped key gets a did-you-mean', async () => {
    const h = await setup({ storage: 'file', profile: {} });
    const t = await runCli(['token'], h.env);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('unknown setting "profile" (did you mean "profiles"?)');
  });

  it('one invalid profile is named, and the others keep working (agent and CLI)', async () => {
    const good = { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access'] };
    const h = await setup({ storage: 'file', defaultProfile: 'good', profiles: { good, bad: { ...good, clientID: 'typo' } } });
    const login = await loginViaCli(['--profile', 'good'], h.env, (code) => idp.approveDevice(code));
    expect(login.code, login.stderr).toBe(0);
    const t = await runCli(['token'], h.env);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^eyJ/);

    const bad = await runCli(['token', '--profile', 'bad'], h.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('profile "bad" is invalid');
    expect(bad.stderr).toContain('profiles.bad: unknown setting "clientID" (did you mean "clientId"?)');

    const s = await runCli(['status'], h.env);
    expect(s.code).toBe(2);
    expect(s.stdout).toMatch(/^good \(default\)/m);
    expect(s.stdout).toMatch(/^(X )?bad {2}INVALID/m);
    expect(s.stdout).toContain('unknown setting "clientID"');

    const list = await runCli(['profile', 'list'], h.env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^\*\s+good\s/m);
    expect(list.stderr).toContain('Profile "bad" is invalid and left out');

    // An unrelated change keeps the invalid entry as written, for its owner to fix.
    const add = await runCli(['profile', 'add', 'more', '--issuer', idp.issuer, '--client-id', idp.clientId], h.env);
    expect(add.code, add.stderr).toBe(0);
    const again = await runCli(['status', '--json'], h.env);
    expect(JSON.parse(again.stdout).brokenProfiles).toEqual([{ name: 'bad', error: expect.stringContaining('clientID') }]);

    // The invalid entry can be removed (it has no session to end); status is clean again.
    const rm = await runCli(['profile', 'remove', 'bad'], h.env);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await runCli(['status'], h.env)).code).toBe(0);
  });
});

describe('status and doctor', () => {
  it('status shows the command that logs in each profile that is not, and the agent\'s log', async () => {
    const h = await setup({ storage: 'file', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access'] } } });
    const s = await runCli(['status'], h.env);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain('  log in:  authctl login --profile work');
    expect(s.stdout).toContain(`log: ${logFile(h)} (\`authctl logs\`)`);
  });

  it('doctor flags having no profiles and ends with a one-line summary', async () => {
    const h = await setup({ storage: 'file' });
    const d = await runCli(['doctor'], h.env);
    expect(d.code, d.stdout).toBe(0);
    expect(d.stdout).toMatch(/^! profiles: none configured, so nothing can log in: add one with `authctl profile add/m);
    const lines = d.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^Summary: \d+ ok, \d+ warnings?, 0 failures; authctl works \(see the warnings above\)\.$/);
  });
});

describe('errors end with the next step', () => {
  it('no agent: exit 6, and the agent\'s log path', async () => {
    const h = await setup({ storage: 'file' }, { agent: false });
    const t = await runCli(['token'], h.env);
    expect(t.code).toBe(6);
    expect(t.stderr).toContain(`The agent's log may say why: ${logFile(h)}`);
  });

  it('a provider out of reach: exit 5, and `authctl doctor`', async () => {
    const dead = await startTestIdp();
    const deadIssuer = dead.issuer;
    await dead.close();
    const h = await setup({ storage: 'file' }, { agent: false });
    const v = await runCli(['verify', '--issuer', deadIssuer, '--audience', 'https://api.example', 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln'], h.env);
    expect(v.code).toBe(5);
    expect(v.stderr.trimEnd().split('\n').at(-1)).toBe('Is the issuer URL right? Check the network and the provider with `authctl doctor`.');
  });

  it('a login whose provider is out of reach: exit 5, and `authctl doctor` as the last line', async () => {
    const dead = await startTestIdp();
    const deadIssuer = dead.issuer;
    await dead.close();
    const h = await setup({ storage: 'file', profiles: { q: { issuer: deadIssuer, clientId: 'x', scopes: ['openid'] } } });
    const l = await runCli(['login', '--no-browser', '--profile', 'q'], h.env);
    expect(l.code, l.stderr).toBe(5);
    expect(l.stderr).toContain(`cannot reach ${new URL(deadIssuer).host}`);
    expect(l.stderr.trimEnd().split('\n').at(-1)).toBe('Check the network and the provider with `authctl doctor`.');
  });

  it('daemon stop with no agent running succeeds quietly (exit 0)', async () => {
    const h = await setup({ storage: 'file' }, { agent: false });
    const r = await runCli(['daemon', 'stop'], h.env);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });
});
