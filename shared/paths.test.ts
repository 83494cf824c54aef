import { describe, expect, it } from 'vitest';
import { configDir, forwardingSocketPath, socketPath, stateDir, systemConfigFile, systemConfigFiles, type PathEnv } from './paths.js';

const linux = (env: Record<string, string> = {}): PathEnv => ({ platform: 'linux', env, home: '/home/u', username: 'u' });

describe('paths', () => {
  it('puts the forwarding socket beside the main one', () => {
    expect(forwardingSocketPath('/run/user/1000/authctl/agent.sock')).toBe('/run/user/1000/authctl/agent-forward.sock');
    expect(forwardingSocketPath('/home/a/.authctl/run/custom')).toBe('/home/a/.authctl/run/custom-forward.sock');
  });

  it('socket: $AUTHCTL_SOCK, then $XDG_RUNTIME_DIR, then ~/.authctl/run — never /tmp', () => {
    expect(socketPath(linux({ AUTHCTL_SOCK: '/x/a.sock' }))).toBe('/x/a.sock');
    expect(socketPath(linux({ XDG_RUNTIME_DIR: '/run/user/1000' }))).toBe('/run/user/1000/authctl/agent.sock');
    expect(socketPath(linux())).toBe('/home/u/.authctl/run/agent.sock');
    expect(socketPath({ ...linux(), platform: 'darwin' })).toBe('/home/u/Library/Application Support/authctl/run/agent.sock');
  });

  it('config and state follow XDG, with overrides', () => {
    expect(configDir(linux())).toBe('/home/u/.config/authctl');
    expect(configDir(linux({ XDG_CONFIG_HOME: '/c' }))).toBe('/c/authctl');
    expect(configDir(linux({ AUTHCTL_CONFIG_DIR: '/cfg' }))).toBe('/cfg');
    expect(stateDir(linux())).toBe('/home/u/.local/state/authctl');
    expect(systemConfigFile(linux())).toBe('/etc/authctl/config.json');
  });

  it('the system config stays at its fixed place: AUTHCTL_SYSTEM_CONFIG only adds a file', () => {
    expect(systemConfigFile(linux({ AUTHCTL_SYSTEM_CONFIG: '/nonexistent' }))).toBe('/etc/authctl/config.json');
    expect(systemConfigFiles(linux({ AUTHCTL_SYSTEM_CONFIG: '/nonexistent' }))).toEqual(['/etc/authctl/config.json', '/nonexistent']);
    expect(systemConfigFiles(linux())).toEqual(['/etc/authctl/config.json']);
  });
});
