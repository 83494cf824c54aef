import { describe, expect, it } from 'vitest';
import { mergeConfigs, validateConfig } from '../../../shared/config.js';
import { hostMatches, matchProfile, normalisePath, transportAllowsToken } from './match.js';

const base = { issuer: 'https://idp.example.com', clientId: 'cli' };

function config(profiles: Record<string, unknown>) {
  return mergeConfigs({}, validateConfig({ profiles }, 'config.json'));
}

const cred = (protocol: string, host: string, path?: string) => ({ protocol, host, path, capabilities: [], wwwauth: [] });

describe('git match rules', () => {
  it('hosts: exact, case-insensitive, "*." for subdomains only, ports exact when given', () => {
    expect(hostMatches('git.example.com', 'GIT.example.com')).toBe(true);
    expect(hostMatches('git.example.com', 'git.example.com:8443')).toBe(true);
    expect(hostMatches('git.example.com:8443', 'git.example.com:9000')).toBe(false);
    expect(hostMatches('*.example.com', 'a.b.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostMatches('*.example.com', 'badexample.com')).toBe(false);
    expect(hostMatches('[::1]:8080', '[::1]:8080')).toBe(true);
  });

  it('the first profile whose rule fits wins; https unless the rule says http; paths are prefixes', () => {
    const cfg = config({
      team: { ...base, match: [{ host: 'git.example.com', path: 'team' }] },
      all: { ...base, match: [{ host: '*.example.com' }, { host: 'git.example.com' }] },
      local: { ...base, match: [{ protocol: 'http', host: '127.0.0.1' }] },
    });
    expect(matchProfile(cfg, cred('https', 'git.example.com', 'team/repo.git'))).toBe('team');
    expect(matchProfile(cfg, cred('https', 'git.example.com', 'teamster/repo.git'))).toBe('all');
    expect(matchProfile(cfg, cred('https', 'git.example.com'))).toBe('all');
    expect(matchProfile(cfg, cred('http', 'git.example.com'))).toBeUndefined();
    expect(matchProfile(cfg, cred('http', '127.0.0.1:4000'))).toBe('local');
    expect(matchProfile(cfg, cred('https', 'github.com'))).toBeUndefined();
  });

  it('dot segments are resolved before a path rule is matched, as the server will resolve them', () => {
    const cfg = config({ team: { ...base, match: [{ host: 'git.example.com', path: 'team/repo' }] } });
    expect(matchProfile(cfg, cred('https', 'git.example.com', 'team/repo.git'))).toBe('team');
    expect(matchProfile(cfg, cred('https', 'git.example.com', 'team/./repo//x.git'))).toBe('team');
    expect(matchProfile(cfg, cred('https', 'git.example.com', 'team/repo/sub/../info/refs'))).toBe('team');
    for (const escape of ['team/repo/../../other/repo.git', 'team/repo/%2e%2E/../other', 'team/repo/.%2e/x/../../evil', '../team/repo/../../x'])
      expect(matchProfile(cfg, cred('https', 'git.example.com', escape)), escape).toBeUndefined();
    expect(normalisePath('/a/./b/../c/')).toBe('a/c');
    expect(normalisePath('../../a')).toBe('a');
  });

  it('tokens cross plain http only to loopback hosts', () => {
    expect(transportAllowsToken(cred('https', 'x.example.com'))).toBe(true);
    expect(transportAllowsToken(cred('http', 'localhost:8080'))).toBe(true);
    expect(transportAllowsToken(cred('http', '[::1]:8080'))).toBe(true);
    expect(transportAllowsToken(cred('http', 'x.example.com'))).toBe(false);
    expect(transportAllowsToken(cred('ssh', 'x.example.com'))).toBe(false);
  });

  it('the config names what is wrong with a rule or an adapter field', () => {
    const bad: Array<[unknown, string]> = [
      [{ match: { host: 'x' } }, 'profiles.p.match must be a list'],
      [{ match: [{ host: 'https://x' }] }, 'profiles.p.match[0].host must be a host'],
      [{ match: [{ host: 'x', proto: 'https' }] }, 'profiles.p.match[0]: unknown setting "proto"'],
      [{ match: [{ host: 'x', protocol: 'ssh' }] }, 'protocol must be "https" or "http"'],
      [{ gitAuthType: 'digest' }, 'gitAuthType must be "basic" or "bearer"'],
      [{ gitUsername: 'a b' }, 'gitUsername must be a username'],
      [{ envName: 'AUTHCTL_TOKEN' }, 'reserved for a pre-issued token'],
      [{ envName: '1X' }, 'is not a variable name'],
      [{ registries: ['https://r.example.com'] }, 'registries must be a list of registry hosts'],
    ];
    for (const [fields, message] of bad) {
      expect(() => validateConfig({ profiles: { p: { ...base, ...(fields as object) } } }, 'config.json')).toThrow(message);
    }
    const ok = validateConfig(
      { profiles: { p: { ...base, match: [{ host: '*.example.com', path: 'team' }], gitUsername: 'x-token', gitAuthType: 'bearer', envName: 'GH_TOKEN', registries: ['localhost:5000'], registryUsername: 'oauth2' } } },
      'config.json',
    );
    expect(ok.profiles!.p).toMatchObject({ gitAuthType: 'bearer', envName: 'GH_TOKEN', registries: ['localhost:5000'] });
  });
});
