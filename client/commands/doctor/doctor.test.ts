/**
 * `authctl doctor` against a real in-process agent and the real test IdP: each check
 * passes on a working setup and fails, with its exit code and advice, when its part is
 * broken. Nothing of ours is mocked.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { AgentClient } from '../../agent-client.js';
import type { CommandIO } from '../../io.js';
import { startAgent, type RunningAgent } from '../../../daemon/agent.js';
import { EXIT } from '../../../shared/errors.js';
import { makeTestHome, type TestHome } from '../../../test/fixtures/agent-home.js';
import { startTestIdp, type TestIdp } from '../../../test/fixtures/idp.js';
import { run } from './doctor.js';

let idp: TestIdp;
let home: TestHome;
let agent: RunningAgent | undefined;

function testIO(h: TestHome, autostart = false): CommandIO & { out: () => string } {
  let out = '';
  const sink = new Writable({ write: (chunk, _enc, done) => ((out += chunk), done()) });
  const client = new AgentClient({ socketPath: h.socket, autostart });
  return { stdin: process.stdin, stdout: sink, stderr: sink, env: h.env, stderrIsTTY: false, agent: () => client, out: () => out };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  idp = await startTestIdp();
});

afterAll(async () => {
  await idp?.close();
});

afterEach(async () => {
  await agent?.close();
  agent = undefined;
  home?.cleanup();
});

async function setUp(profiles: Record<string, string>): Promise<void> {
  home = makeTestHome();
  home.writeConfig({
    storage: 'file',
    profiles: Object.fromEntries(Object.entries(profiles).map(([name, issuer]) => [name, { issuer, clientId: idp.clientId, scopes: ['openid'] }])),
  });
  agent = await startAgent({ pathEnv: home.pathEnv, log: 'silent' });
}

describe('authctl doctor', () => {
  it('a working setup: every check ok, storage and peer check reported, exit 0', async () => {
    await setUp({ work: idp.issuer });
    const io = testIO(home);
    expect(await run({}, io)).toBe(EXIT.ok);
    const out = io.out();
    expect(out).toMatch(new RegExp(`^✓ socket directory: ${dirname(home.socket)}: yours, mode 700$`, 'm'));
    expect(out).toMatch(/^✓ config: 1 profile/m);
    expect(out).toMatch(new RegExp(`^✓ agent: pid ${process.pid}, `, 'm'));
    expect(out).toMatch(/^✓ peer check: on/m);
    // A checkout (npm run build): the client is built beside it, the linked commands are Node's.
    expect(out).toMatch(/^✓ native client: built at .*native\/client\/build\/authctl; /m);
    // The 0600 file store is a warning, not a failure.
    expect(out).toMatch(/^! storage: file: /m);
    expect(out).toMatch(/^✓ issuer of profile "work": .* answers, with the device flow/m);
    expect(out).not.toMatch(/^X /m);
  });

  it('no agent running: exit 6 with the command to start one, and it does not start one', async () => {
    await setUp({ work: idp.issuer });
    await agent!.close();
    agent = undefined;
    const io = testIO(home, true);
    expect(await run({}, io)).toBe(EXIT.agent);
    expect(io.out()).toMatch(/^X agent: no agent answers on .*authctl daemon/m);
    expect(existsSync(home.socket)).toBe(false);
  });

  it('a socket directory others can enter: exit 6 and the chmod to run', async () => {
    await setUp({ work: idp.issuer });
    const dir = dirname(home.socket);
    chmodSync(dir, 0o755);
    const io = testIO(home);
    expect(await run({}, io)).toBe(EXIT.agent);
    expect(io.out()).toMatch(new RegExp(`^X socket directory: refusing .*mode 755.*chmod 700 ${dir}`, 'm'));
    expect(io.out()).toMatch(/^X agent: not contacted/m);
  });

  it('an unreachable issuer: exit 5 naming the profile and the URL', async () => {
    const port = await closedPort();
    await setUp({ work: idp.issuer, dead: `http://127.0.0.1:${port}` });
    const io = testIO(home);
    expect(await run({}, io)).toBe(EXIT.idp);
    expect(io.out()).toMatch(/^✓ issuer of profile "work"/m);
    expect(io.out()).toMatch(new RegExp(`^X issuer of profile "dead": cannot reach 127.0.0.1:${port} \\(connection refused\\)`, 'm'));
  });

  it('an issuer URL that is not the provider: exit 5 with the HTTP status', async () => {
    await setUp({ wrong: `${idp.issuer}/not-here` });
    const io = testIO(home);
    expect(await run({}, io)).toBe(EXIT.idp);
    expect(io.out()).toMatch(/^X issuer of profile "wrong": .*answered HTTP 404/m);
  });

  it('a broken config file: exit 2 naming the file; the first failure decides the exit code', async () => {
    await setUp({ work: idp.issuer });
    const file = join(home.env.XDG_CONFIG_HOME!, 'authctl', 'config.json');
    writeFileSync(file, '{ "profiles": ');
    const io = testIO(home);
    expect(await run({}, io)).toBe(EXIT.usage);
    expect(io.out()).toMatch(new RegExp(`^X config: ${file}:\\d+:\\d+: not valid JSON`, 'm'));
    expect(io.out()).toMatch(/^X config \(as the agent reads it\)/m);
  });
});
