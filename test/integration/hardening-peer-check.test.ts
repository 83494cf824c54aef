/**
 * When the native addon cannot load: the agent still runs on the socket directory's
 * permissions alone, warns once, and `authctl status` / `authctl doctor` say "peer check
 * unavailable"; with `"requirePeerCheck": true` it refuses to start instead. The agent is a
 * copy of the build without the addon, exactly what a failed addon build leaves behind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  it('a .node planted in a parent directory with a package.json is never loaded', async () => {
    // The shared parent looks like a package with a built addon (the real one, so loading it would "work").
    const shared = mkdtempSync(join(tmpdir(), 'authctl-shared-'));
    chmodSync(shared, 0o755);
    writeFileSync(join(shared, 'package.json'), '{"name":"planted"}');
    mkdirSync(join(shared, 'native', 'build', 'Release'), { recursive: true });
    cpSync(fileURLToPath(new URL('../../native/build/Release/authctl_native.node', import.meta.url)), join(shared, 'native', 'build', 'Release', 'authctl_native.node'));
    const inside = copyBuiltApp({ withAddon: false, parent: shared });
    try {
      home = makeTestHome();
      home.writeConfig({ storage: 'file' });
      agent = await startBuiltAgent(home, { cli: inside.cli });
      const json = await cliAs(undefined, ['status', '--json'], home.env);
      expect(JSON.parse(json.stdout), json.stderr).toMatchObject({ pid: agent.pid, peerCheck: 'unavailable' });
      expect(unavailableWarnings()).toHaveLength(1);
      expect(unavailableWarnings()[0]).toContain(join(inside.dir, 'native', 'build', 'Release', 'authctl_native.node'));
    } finally {
      await agent?.stop();
      agent = undefined;
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('the agent runs, warns once, and status and doctor say "peer check unavailable"', async () => {
    home = makeTestHome();
    home.writeConfig({ storage: 'file' });
    agent = await startBuiltAgent(home, { cli: noAddon.cli });
    const status = await cliAs(undefined, ['status'], home.env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('peer check: OFF');
    expect(status.stdout).toMatch(/^! peer check unavailable: the agent does not verify who connects \(.*authctl_native\.node not found.*\); only the socket directory's permissions keep other users out/m);
    const json = await cliAs(undefined, ['status', '--json'], home.env);
    expect(JSON.parse(json.stdout)).toMatchObject({ pid: agent.pid, peerCheck: 'unavailable', peerCheckProblem: expect.stringContaining('not found') });
    const doctor = await cliAs(undefined, ['doctor'], home.env);
    expect(doctor.code, doctor.stdout).toBe(EXIT.ok); // a warning, not a failure
    expect(doctor.stdout).toMatch(/^! peer check: peer check unavailable: .*node scripts\/build-native\.mjs/m);
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
