import { describe, expect, it } from 'vitest';
import { checkIssuerUrl, mergeConfigs, parseConfigText, resolveProfileName, validateConfig } from './config.js';
import { AuthctlError } from './errors.js';

const profile = { issuer: 'https://idp.example', clientId: 'cli', scopes: ['openid'] };

describe('config validation', () => {
  it('names the file and the problem for broken JSON', () => {
    expect(() => parseConfigText('{ nope', '/etc/authctl/config.json')).toThrowError(/\/etc\/authctl\/config.json: not valid JSON/);
  });

  it.each([
    [{ profiles: { w: { clientId: 'x' } } }, /profiles.w.issuer is missing/],
    [{ profiles: { w: { issuer: 'http://idp.example', clientId: 'x' } } }, /must use https/],
    [{ profiles: { w: { issuer: 'https://idp.example' } } }, /clientId is missing/],
    [{ profiles: { w: { ...profile, scopes: 'openid' } } }, /scopes must be a list/],
    [{ profiles: { w: { ...profile, minValidSeconds: -1 } } }, /minValidSeconds/],
    [{ profiles: { 'bad name': profile } }, /profile name "bad name"/],
    [{ profiles: { w: { ...profile, colour: 'red' } } }, /unknown setting "colour"/],
    [{ storage: 'cloud' }, /"storage" must be/],
    [{ profiles: { w: { ...profile, clusters: [] } } }, /clusters must be a list of Kubernetes API server URLs/],
    [{ profiles: { w: { ...profile, clusters: ['k8s.example.com'] } } }, /clusters must be a list/],
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
  it('user profiles override system ones; the rest of the system profiles stay', () => {
    const merged = mergeConfigs(
      { profiles: { corp: profile, shared: { ...profile, clientId: 'sys' } } },
      { profiles: { shared: { ...profile, clientId: 'mine' } } },
    );
    expect(merged.profiles.get('corp')!.source).toBe('system');
    expect(merged.profiles.get('shared')).toMatchObject({ clientId: 'mine', source: 'user' });
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
    expect(() => resolveProfileName(cfg(['a']), 'z')).toThrowError(/no profile named "z" \(known: a\)/);
  });
});
