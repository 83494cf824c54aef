import { describe, expect, it } from 'vitest';
import { checkIssuerUrl, mergeConfigFiles, mergeConfigs, parseConfigText, resolveProfileName, validateConfig } from './config.js';
import { AuthctlError } from './errors.js';

const profile = { issuer: 'https://idp.example', clientId: 'cli', scopes: ['openid'] };

describe('config validation', () => {
  it('names the file and the problem for broken JSON', () => {
    expect(() => parseConfigText('{ nope', '/etc/authctl/config.json')).toThrowError(/\/etc\/authctl\/config.json:1:3: not valid JSON/);
  });

  it.each([
    [{ profiles: { w: { clientId: 'x' } } }, /profiles.w.issuer is missing/],
    [{ profiles: { w: { issuer: 'http://idp.example', clientId: 'x' } } }, /must use https/],
    [{ profiles: { w: { issuer: 'https://idp.example' } } }, /clientId is missing/],
    [{ profiles: { w: { ...profile, scopes: 'openid' } } }, /scopes must be a list/],
    [{ profiles: { w: { ...profile, minValidSeconds: -1 } } }, /minValidSeconds/],
    [{ profiles: { w: { ...profile, forwarding: 'no' } } }, /profiles.w.forwarding must be true or false/],
    [{ profiles: { 'bad name': profile } }, /profile name "bad name"/],
    [{ profiles: { w: { ...profile, colour: 'red' } } }, /unknown setting "colour"/],
    [{ profiles: { w: { ...profile, clientID: 'x' } } }, /profiles\.w: unknown setting "clientID" \(did you mean "clientId"\?\)/],
    [{ defaultProfle: 'w' }, /unknown setting "defaultProfle" \(did you mean "defaultProfile"\?\)/],
    [{ storage: 'cloud' }, /"storage" must be/],
    [{ profiles: { w: { ...profile, clusters: [] } } }, /clusters must be a list of Kubernetes API server URLs/],
    [{ profiles: { w: { ...profile, clusters: ['k8s.example.com'] } } }, /clusters must be a list/],
    [{ profiles: { w: { ...profile, privileged: { separateGrant: 'yes' } } } }, /privileged.separateGrant must be true or false/],
    [{ profiles: { w: { ...profile, privileged: { requireEnrollment: true } } } }, /privileged: unknown setting "requireEnrollment"/],
    [{ profiles: { w: { ...profile, privileged: { separateGrant: true, sessionSeconds: 10 } } } }, /sessionSeconds must be a whole number of seconds from 60/],
    [[], /top level must be a JSON object/],
  ])('rejects %j', (raw, message) => {
    const err = (() => {
      try {
        validateConfig(raw, 'cfg.json');
      } catch (e) {
        return e as AuthctlError;
      }
    })();
    expect(err).toBeInstanceOf(AuthctlError);
    expect(err!.code).toBe('config_invalid');
    expect(err!.message).toMatch(message);
    expect(err!.message.startsWith('cfg.json: ')).toBe(true);
  });

  it('a profile may list the kube API servers it answers for', () => {
    expect(validateConfig({ profiles: { w: { ...profile, clusters: ['https://k8s.example.com:6443'] } } }, 'c.json').profiles?.w?.clusters).toEqual(['https://k8s.example.com:6443']);
  });

  it('allows plain http only for loopback issuers', () => {
    expect(checkIssuerUrl('http://127.0.0.1:8080')).toBeUndefined();
    expect(checkIssuerUrl('http://[::1]:8080')).toBeUndefined();
    expect(checkIssuerUrl('http://localhost')).toBeUndefined();
    expect(checkIssuerUrl('http://127.example.com')).toMatch(/https/);
    expect(checkIssuerUrl('ftp://idp.example')).toMatch(/https/);
  });
});

describe('merging system and user config', () => {
  it('user profiles add settings to system ones; the rest of the system profiles stay', () => {
    const merged = mergeConfigs(
      { profiles: { corp: profile, shared: { ...profile, clientId: 'sys', audience: 'https://api.example' } } },
      { profiles: { shared: { ...profile, clientId: 'sys', minValidSeconds: 300 } } },
    );
    expect(merged.profiles.get('corp')!.source).toBe('system');
    expect(merged.profiles.get('shared')).toMatchObject({ clientId: 'sys', audience: 'https://api.example', minValidSeconds: 300, source: 'user' });
  });

  it("a user profile may not change a system profile's issuer, client id, provider or endpoints", () => {
    const endpoints = { deviceAuthorization: 'https://idp.example/device', token: 'https://idp.example/token' };
    const cases: Array<[string, object]> = [
      ['issuer', { issuer: 'https://evil.example' }],
      ['clientId', { clientId: 'other' }],
      ['endpoints', { endpoints: { ...endpoints, token: 'https://evil.example/token' } }],
      ['provider', { provider: 'okta' }],
    ];
    for (const [key, change] of cases) {
      const attempt = () =>
        mergeConfigs({ profiles: { corp: { ...profile, endpoints } } }, { profiles: { corp: { ...profile, endpoints, ...change } } }, { system: '/etc/authctl/config.json', user: '/home/u/.config/authctl/config.json' });
      expect(attempt).toThrow(`/home/u/.config/authctl/config.json: profiles.corp.${key}: profile "corp" is defined by the system config /etc/authctl/config.json`);
    }
    // Adding endpoints to a system profile that uses discovery changes them too.
    expect(() => mergeConfigs({ profiles: { corp: profile } }, { profiles: { corp: { ...profile, endpoints } } })).toThrow('profiles.corp.endpoints');
  });

  it('an added system file adds profiles and policy, and never removes or weakens the fixed one', () => {
    const fixed = { file: '/etc/authctl/config.json', config: { storage: 'keychain' as const, requirePeerCheck: true, profiles: { corp: { ...profile, privileged: { scopes: ['admin:all'] } } } } };
    const added = { file: '/tmp/extra.json', config: { storage: 'file' as const, requirePeerCheck: false, profiles: { corp: { ...profile, privileged: { scopes: [] } }, lab: profile } } };
    const merged = mergeConfigFiles([fixed, added], { file: 'user.json', config: {} });
    expect(merged.profiles.get('corp')!.privileged?.scopes).toEqual(['admin:all']);
    expect(merged.profiles.get('lab')!.source).toBe('system');
    expect(merged.storage).toBe('keychain');
    expect(merged.requirePeerCheck).toBe(true);
    // An added file that does not exist (read as empty) leaves the fixed one whole.
    expect(mergeConfigFiles([fixed, { file: '/nonexistent', config: {} }], { file: 'user.json', config: {} }).profiles.get('corp')!.privileged?.scopes).toEqual(['admin:all']);
    expect(() => mergeConfigFiles([fixed, { file: '/tmp/extra.json', config: { profiles: { corp: { ...profile, issuer: 'https://evil.example' } } } }], { file: 'user.json', config: {} })).toThrow(
      '/tmp/extra.json: profiles.corp.issuer',
    );
  });

  it('network: proxy settings are validated, and the later file wins', () => {
    expect(() => validateConfig({ network: { proxy: 'socks5://x' } }, 'c.json')).toThrow('network.proxy must be');
    const merged = mergeConfigs({ network: { proxy: 'http://sys.proxy:3128', noProxy: 'corp' } }, { network: { proxy: 'direct' } });
    expect(merged.network).toMatchObject({ proxy: 'direct', noProxy: 'corp' });
  });

  it('a system privileged policy cannot be weakened by the user', () => {
    const merged = mergeConfigs(
      { profiles: { p: { ...profile, privileged: { scopes: ['admin:all'], cacheSeconds: 0 } } } },
      { profiles: { p: { ...profile, privileged: { scopes: [], cacheSeconds: 600 } } } },
    );
    expect(merged.profiles.get('p')!.privileged).toMatchObject({ scopes: ['admin:all'], cacheSeconds: 0 });
    const dropped = mergeConfigs({ profiles: { p: { ...profile, privileged: { scopes: ['admin:all'] } } } }, { profiles: { p: profile } });
    expect(dropped.profiles.get('p')!.privileged?.scopes).toEqual(['admin:all']);
  });

  it('a system separateGrant or requireEnrolment cannot be switched off, and the shorter privileged session wins', () => {
    const sys = { scopes: ['admin:all'], separateGrant: true, requireEnrolment: true, sessionSeconds: 3600, maxAge: 0, acrValues: 'urn:mfa' };
    const merged = mergeConfigs(
      { profiles: { p: { ...profile, privileged: sys } } },
      { profiles: { p: { ...profile, privileged: { scopes: [], separateGrant: false, requireEnrolment: false, sessionSeconds: 86400, maxAge: 600 } } } },
    );
    expect(merged.profiles.get('p')!.privileged).toMatchObject({ separateGrant: true, requireEnrolment: true, sessionSeconds: 3600, maxAge: 0, acrValues: 'urn:mfa' });
  });

  it('an admin requiring the keychain wins over a user preferring a file', () => {
    expect(mergeConfigs({ storage: 'keychain' }, { storage: 'file' }).storage).toBe('keychain');
    expect(mergeConfigs({}, { storage: 'file' }).storage).toBe('file');
  });
});

describe('which profile a request means', () => {
  const cfg = (names: string[], defaultProfile?: string) =>
    mergeConfigs({}, { defaultProfile, profiles: Object.fromEntries(names.map((n) => [n, profile])) });

  it('explicit, then default, then the only one', () => {
    expect(resolveProfileName(cfg(['a', 'b']), 'b')).toBe('b');
    expect(resolveProfileName(cfg(['a', 'b'], 'a'))).toBe('a');
    expect(resolveProfileName(cfg(['solo']))).toBe('solo');
  });

  it('says what to do when it cannot tell', () => {
    expect(() => resolveProfileName(cfg([]))).toThrowError(/authctl profile add/);
    expect(() => resolveProfileName(cfg(['a', 'b']))).toThrowError(/pick one with --profile/);
    expect(() => resolveProfileName(cfg(['a']), 'z')).toThrowError(/no profile named "z" .*\(known: a\)/);
  });
});

describe('a config with problems, said precisely', () => {
  it('a JSON syntax error is placed at line:column', () => {
    expect(() => parseConfigText('{\n  "storage": "file",\n  "profiles": {,\n}', 'c.json')).toThrowError(/^c\.json:3:16: not valid JSON/);
    expect(() => parseConfigText('{ "a": ', 'c.json')).toThrowError(/^c\.json:1:8: not valid JSON \(Unexpected end of JSON input\)/);
  });

  it('an unknown key gets the nearest known one', () => {
    expect(() => validateConfig({ defaultProfle: 'x' }, 'c.json')).toThrowError('unknown setting "defaultProfle" (did you mean "defaultProfile"?)');
    expect(() => validateConfig({ zzz: 1 }, 'c.json')).toThrowError(/unknown setting "zzz"$/);
  });

  it('with a map for them, an invalid profile is left out and named; the others stay', () => {
    const broken = new Map<string, string>();
    const parsed = validateConfig({ profiles: { ok: { issuer: 'https://a.example', clientId: 'c' }, bad: { issuer: 'http://a.example', clientId: 'c' } } }, 'c.json', broken);
    expect(Object.keys(parsed.profiles!)).toEqual(['ok']);
    expect(broken.get('bad')).toMatch(/^c\.json: profiles\.bad\.issuer .*must use https/);
    const merged = mergeConfigFiles([], { file: 'c.json', config: parsed, broken });
    expect(resolveProfileName(merged, 'ok')).toBe('ok');
    expect(() => resolveProfileName(merged, 'bad')).toThrowError(/profile "bad" is invalid: c\.json: profiles\.bad\.issuer/);
    expect(() => resolveProfileName(merged)).toThrowError(/several profiles are configured \(ok, bad \(invalid\)\)/);
  });
});
