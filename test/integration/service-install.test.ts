/**
 * `authctl service install|uninstall|status` through the built CLI, with the real systemctl
 * (its offline, client-side install mode: this machine runs no user service manager),
 * the real `systemd-analyze verify` on the units it wrote, golden files for `--print`, and
 * python3's plistlib (an XML property-list parser) on the rendered LaunchAgent.
 */
import { AGENT_NODE_FLAGS } from '../../shared/agent-node-flags.js';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync, existsSync, lstatSync, readlinkSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../fixtures/cli.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';

let home: TestHome;
beforeEach(() => {
  home = makeTestHome();
});
afterEach(() => home.cleanup());

const unitDir = () => join(home.dir, 'config', 'systemd', 'user');
const uid = process.getuid?.() ?? 0;

/** The machine-specific parts of `--print` (this node, this checkout, the throw-away home) as placeholders. */
function normalise(text: string): string {
  return text
    .split(process.execPath)
    .join('<NODE>')
    .split(CLI)
    .join('<AUTHCTL>')
    .split(home.dir)
    .join('<HOME>')
    .split(`gui/${uid}`)
    .join('gui/<UID>');
}

/** Every file (not directory) under `dir`, with symlink targets, to compare before and after. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((rel) => join(dir, rel))
    .filter((p) => !lstatSync(p).isDirectory())
    .map((p) => (lstatSync(p).isSymbolicLink() ? `${p} -> ${readlinkSync(p)}` : p))
    .sort();
}

/** Splits `--print` output back into its files. */
function printedFiles(text: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const part of text.split(/^==> /m).slice(1)) {
    const header = part.slice(0, part.indexOf('\n'));
    const path = header.replace(/ \(mode \d+\) <==$/, '');
    if (path !== header) files.set(path, part.slice(header.length + 1).replace(/\n$/, ''));
  }
  return files;
}

describe('authctl service install --print', () => {
  it('systemd user units match the golden file and write nothing', async () => {
    const r = await runCli(['service', 'install', '--print'], home.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await expect(normalise(r.stdout)).toMatchFileSnapshot('../golden/service-install-systemd.txt');
    expect(existsSync(unitDir())).toBe(false);
  });

  it('systemd units for every user match the golden file', async () => {
    const r = await runCli(['service', 'install', '--print', '--system-wide'], home.env);
    expect(r.code).toBe(0);
    await expect(normalise(r.stdout)).toMatchFileSnapshot('../golden/service-install-systemd-system-wide.txt');
  });

  it('the launchd plist matches the golden file and is a valid property list', async () => {
    const r = await runCli(['service', 'install', '--print', '--now', '--manager', 'launchd'], home.env);
    expect(r.code).toBe(0);
    await expect(normalise(r.stdout)).toMatchFileSnapshot('../golden/service-install-launchd.txt');
    const plist = printedFiles(r.stdout).get(join(home.dir, 'Library', 'LaunchAgents', 'authctl.agent.plist'));
    expect(plist).toBeDefined();
    // plistlib parses the XML with expat and rejects anything that is not a property list.
    const parsed = spawnSync('python3', ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read(), fmt=plistlib.FMT_XML)))'], {
      input: plist,
      encoding: 'utf8',
    });
    expect(parsed.stderr).toBe('');
    const dict = JSON.parse(parsed.stdout);
    expect(dict).toMatchObject({
      Label: 'authctl.agent',
      ProgramArguments: [process.execPath, ...AGENT_NODE_FLAGS, CLI, 'daemon', '--foreground', '--log', 'file'],
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      Umask: 0o077,
      StandardErrorPath: join(home.dir, 'Library', 'Logs', 'authctl', 'launchd.log'),
    });
  });
});

describe('authctl service install / uninstall (systemd, offline)', () => {
  it('writes both units, enables the socket, and the units pass systemd-analyze verify without a warning', async () => {
    const r = await runCli(['service', 'install'], home.env);
    expect(r.code).toBe(0);
    const socket = join(unitDir(), 'authctl.socket');
    const service = join(unitDir(), 'authctl.service');
    expect(r.stderr).toContain(`wrote ${socket}`);
    expect(r.stderr).toContain('not reachable from here');
    expect(statSync(service).mode & 0o777).toBe(0o644);
    expect(readFileSync(service, 'utf8')).toContain(`ExecStart=${process.execPath} ${AGENT_NODE_FLAGS.join(' ')} ${CLI} daemon --foreground\n`);
    expect(readlinkSync(join(unitDir(), 'sockets.target.wants', 'authctl.socket'))).toBe(socket);

    const verify = spawnSync('systemd-analyze', ['verify', '--user', socket, service], { env: home.env, encoding: 'utf8' });
    const aboutOurs = verify.stderr.split('\n').filter((line) => /authctl/.test(line));
    expect(aboutOurs).toEqual([]);
    expect(verify.status).toBe(0);

    const status = await runCli(['service', 'status'], home.env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`${socket}: installed by authctl`);
    expect(status.stdout).toContain('authctl.socket: enabled');
    expect(status.stdout).toContain(`socket: ${home.socket}`);
  });

  it('uninstall removes exactly what install wrote', async () => {
    mkdirSync(unitDir(), { recursive: true });
    writeFileSync(join(unitDir(), 'other.service'), '[Service]\nExecStart=/bin/true\n');
    const before = tree(home.dir);
    expect((await runCli(['service', 'install'], home.env)).code).toBe(0);
    expect(tree(home.dir)).not.toEqual(before);
    const r = await runCli(['service', 'uninstall'], home.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`removed ${join(unitDir(), 'authctl.service')}`);
    expect(tree(home.dir)).toEqual(before);
    const again = await runCli(['service', 'uninstall'], home.env);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('nothing to uninstall');
  });

  it('never replaces or removes a unit file that someone else wrote', async () => {
    mkdirSync(unitDir(), { recursive: true });
    const mine = join(unitDir(), 'authctl.service');
    writeFileSync(mine, '[Service]\nExecStart=/usr/local/bin/my-agent\n');
    const r = await runCli(['service', 'install'], home.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${mine} exists and was not written by authctl; not replacing it`);
    expect(existsSync(join(unitDir(), 'authctl.socket'))).toBe(false);
    const u = await runCli(['service', 'uninstall'], home.env);
    expect(u.code).toBe(0);
    expect(u.stderr).toContain(`kept ${mine}: authctl did not write it`);
    expect(readFileSync(mine, 'utf8')).toContain('my-agent');
  });

  it('--now without a reachable user service manager installs, then says why it did not start (exit 6)', async () => {
    const r = await runCli(['service', 'install', '--now'], home.env);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/installed, but not started: your user service manager is not reachable from here/);
    expect(existsSync(join(unitDir(), 'sockets.target.wants', 'authctl.socket'))).toBe(true);
  });

  it('--system-wide --root installs the user units for every user into an image, and uninstall takes them out', async () => {
    const root = mkdtempSync(join(tmpdir(), 'authctl-image-'));
    try {
      const r = await runCli(['service', 'install', '--system-wide', '--root', root], home.env);
      expect(r.code).toBe(0);
      const dir = join(root, 'etc', 'systemd', 'user');
      expect(readlinkSync(join(dir, 'sockets.target.wants', 'authctl.socket'))).toBe('/etc/systemd/user/authctl.socket');
      expect(readFileSync(join(dir, 'authctl.socket'), 'utf8')).toContain('ListenStream=%t/authctl/agent.sock');
      expect(tree(home.dir).filter((p) => p.includes('systemd'))).toEqual([]);
      const u = await runCli(['service', 'uninstall', '--system-wide', '--root', root], home.env);
      expect(u.code).toBe(0);
      expect(tree(root)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
