import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mergeConfigs, parseConfigText } from '../../../shared/config.js';
import { AuthctlError } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { fill, isOurs, packageRoot, renderLaunchdPlist, renderSystemdUnits, systemdWord, xmlText } from './render.js';
import { main, renderPlan, run } from './service.js';

function io(env: Record<string, string | undefined> = { HOME: '/home/ada', USER: 'ada' }): CommandIO & { out: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (d) => (text += d));
  return {
    stdin: new PassThrough(),
    stdout,
    stderr: new PassThrough(),
    env,
    stderrIsTTY: false,
    agent: () => {
      throw new Error('service commands never talk to the agent');
    },
    out: () => text,
  };
}

async function usageError(argv: string[]): Promise<AuthctlError> {
  const e = await main(argv, io()).catch((x) => x);
  expect(e).toBeInstanceOf(AuthctlError);
  expect(e.code).toBe('usage');
  return e;
}

describe('systemdWord (one ExecStart argument)', () => {
  it('leaves plain paths alone', () => {
    expect(systemdWord('/usr/bin/node')).toBe('/usr/bin/node');
  });

  it('doubles % and $ so systemd neither expands specifiers nor variables', () => {
    expect(systemdWord('/opt/100%/$HOME/node')).toBe('/opt/100%%/$$HOME/node');
  });

  it('quotes whitespace, quotes and backslashes', () => {
    expect(systemdWord('/Users/ada/My Tools/node')).toBe('"/Users/ada/My Tools/node"');
    expect(systemdWord('/a"b\\c')).toBe('"/a\\"b\\\\c"');
  });

  it('refuses a newline, which would end the line and start a new setting', () => {
    expect(() => systemdWord('/x\nExecStartPre=/bin/evil')).toThrow(/control character/);
  });
});

describe('rendering', () => {
  const exe = { node: '/opt/node dir/bin/node', authctl: '/opt/a&b/bin/authctl.js' };

  it('fills the service unit with quoted absolute paths and marks both units as ours', () => {
    const { socket, service } = renderSystemdUnits(exe);
    expect(service).toContain('ExecStart="/opt/node dir/bin/node" --max-semi-space-size=1 /opt/a&b/bin/authctl.js daemon --foreground\n');
    expect(isOurs(socket) && isOurs(service)).toBe(true);
    expect(service).not.toMatch(/\{\{/);
  });

  it('escapes paths for XML in the plist, with the marker after the declaration', () => {
    const plist = renderLaunchdPlist(exe, '/Users/a<b>/Library/Logs/authctl');
    expect(plist.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!-- Written by')).toBe(true);
    expect(plist).toContain(`<string>${xmlText('/opt/a&b/bin/authctl.js')}</string>`);
    expect(plist).toContain('<string>/Users/a&lt;b&gt;/Library/Logs/authctl/launchd.log</string>');
  });

  it('a template placeholder without a value is an error, not a silent blank', () => {
    expect(() => fill('ExecStart={{NODE}} {{OTHER}}', { NODE: 'n' })).toThrow(/\{\{OTHER\}\}/);
  });

  it('the plan lists each file with its mode, then the commands', () => {
    const text = renderPlan([{ path: '/u/a.socket', content: 'x\n', mode: 0o644 }], [['systemctl', '--user', 'daemon-reload']]);
    expect(text).toBe('==> /u/a.socket (mode 644) <==\nx\n\n==> then run <==\nsystemctl --user daemon-reload\n');
  });
});

describe('authctl service: arguments and platforms', () => {
  it('needs an action, and --now/--print only go with install', async () => {
    expect((await usageError([])).message).toContain('usage: authctl service install');
    await usageError(['status', '--now']);
    await usageError(['uninstall', '--print']);
  });

  it('refuses --now with --system-wide, --root without --system-wide, and a relative --root', async () => {
    expect((await usageError(['install', '--system-wide', '--now'])).message).toContain("each user's next login");
    await usageError(['install', '--root', '/img']);
    await usageError(['install', '--system-wide', '--root', 'img']);
    await usageError(['install', '--print', '--manager', 'upstart']);
  });

  it('another platform\'s manager only with --print', async () => {
    const e = await run({ action: 'install', now: false, print: false, systemWide: false, manager: 'launchd' }, io(), 'linux').catch((x) => x);
    expect(e.code).toBe('usage');
    const ok = io();
    expect(await run({ action: 'install', now: false, print: true, systemWide: false, manager: 'launchd' }, ok, 'linux')).toBe(0);
    expect(ok.out()).toContain('/home/ada/Library/LaunchAgents/authctl.agent.plist');
  });

  it('launchd has no --system-wide; it says what to do instead', async () => {
    const e = await run({ action: 'install', now: false, print: true, systemWide: true, manager: 'launchd' }, io(), 'darwin').catch((x) => x);
    expect(e.code).toBe('usage');
    expect(e.message).toContain('run `authctl service install` as each user');
  });

  it('on Windows it explains that the agent starts on demand on the named pipe', async () => {
    const e = await run({ action: 'install', now: false, print: false, systemWide: false }, io({ USERNAME: 'ada', USERPROFILE: 'C:\\Users\\ada' }), 'win32').catch((x) => x);
    expect(e).toBeInstanceOf(AuthctlError);
    expect(e.message).toContain('\\\\.\\pipe\\authctl-ada');
    expect(e.message).toContain('starts on demand');
  });
});

describe('docs/admin.md', () => {
  it('the system config example is a valid config, and its policy survives a user trying to weaken it', () => {
    const guide = readFileSync(join(packageRoot(), 'docs', 'admin.md'), 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(example).toBeDefined();
    const system = parseConfigText(example!, 'docs/admin.md');
    expect(system.profiles?.corp?.privileged?.scopes).toEqual(['deploy:prod']);
    const user = { storage: 'file' as const, profiles: { corp: { ...system.profiles!.corp!, privileged: { scopes: [], cacheSeconds: 3600 } } } };
    const merged = mergeConfigs(system, user);
    expect(merged.storage).toBe('keychain');
    expect(merged.profiles.get('corp')?.privileged).toMatchObject({ scopes: ['deploy:prod'], cacheSeconds: 0 });
  });
});
