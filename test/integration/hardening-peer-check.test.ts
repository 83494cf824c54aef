/**
 * When the native addon cannot load: the agent still runs on the socket directory's
 * permissions alone, warns once, and `authctl status` / `authctl doctor` say "peer check
 * unavailable"; with `"requirePeerCheck": true` it refuses to start instead. The agent is a
 * copy of the build without the addon, exactly what a failed addon build leaves behind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { EXIT } from '../../shared/errors.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { cliAs, startBuiltAgent, type AgentProcess } from '../fixtures/agent-as-user.js';
import { copyBuiltApp, type AppCopy } from '../fixtures/built-app-copy.js';

let noAddon: AppCopy;
let home: TestHome;
let agent: AgentProcess | undefined;

beforeAll(() => {
  noAddon = copyBuiltApp({ withAddon: false });
});

afterAll(() => noAddon?.cleanup());

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  home?.cleanup();
});

const unavailableWarnings = () => home.logs().split('\n').filter((l) => l.includes('peer check unavailable'));

describe('without the native addon', () => {
  it('the agent runs, warns once, and status and doctor say "peer check unavailable"', async () => {
    home = makeTestHome();
    home.writeConfig({ storage: 'file' });
    agent = await startBuiltAgent(home, { cli: noAddon.cli });
    const status = await cliAs(undefined, ['status'], home.env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('peer check: peer check unavailable');
    const json = await cliAs(undefined, ['status', '--json'], home.env);
    expect(JSON.parse(json.stdout)).toMatchObject({ pid: agent.pid, peerCheck: 'unavailable' });
    const doctor = await cliAs(undefined, ['doctor'], home.env);
    expect(doctor.code, doctor.stdout).toBe(EXIT.ok); // a warning, not a failure
    expect(doctor.stdout).toMatch(/^WARN +peer check: peer check unavailable: .*node scripts\/build-native\.mjs/m);
    // Once at start, not per connection.
    expect(unavailableWarnings()).toHaveLength(1);
    expect(JSON.parse(unavailableWarnings()[0]!)).toMatchObject({ level: 'warn', reason: expect.stringContaining('authctl_native.node not found') });
  });

  it('"requirePeerCheck": true in the system config makes it refuse to start (exit 6); with the addon it starts', async () => {
    home = makeTestHome();
    home.writeSystemConfig({ requirePeerCheck: true });
    home.writeConfig({ storage: 'file' });
    const refused = await cliAs(undefined, ['daemon', '--foreground', '--log', 'file'], home.env, noAddon.cli);
    expect(refused.code, refused.stderr).toBe(EXIT.agent);
    expect(refused.stderr).toContain('not starting: the config requires the peer check ("requirePeerCheck": true), but the peer check is unavailable');
    expect(refused.stderr).toContain('node scripts/build-native.mjs');
    expect(existsSync(home.socket)).toBe(false);
    expect(home.logs(), 'the agent log').toContain('"level":"error","message":"not starting: the config requires the peer check');

    agent = await startBuiltAgent(home);
    const json = await cliAs(undefined, ['status', '--json'], home.env);
    expect(JSON.parse(json.stdout), json.stderr).toMatchObject({ pid: agent.pid, peerCheck: 'available' });
  });
});
