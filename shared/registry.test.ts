import { describe, expect, it } from 'vitest';
import { mergeConfigs, validateConfig } from './config.js';
import { DEFAULT_REGISTRY_USERNAME, insecureTransport, profileForRegistry, registryHost } from './registry.js';
import * as dockerCredential from '../client/commands/docker-credential/docker-credential.js';

describe('shared/registry.ts (docker-credential get and the agent\'s `registry` requests)', () => {
  it('is the very code the Node client uses', () => {
    expect(dockerCredential.profileForRegistry).toBe(profileForRegistry);
    expect(dockerCredential.insecureTransport).toBe(insecureTransport);
    expect(dockerCredential.registryHost).toBe(registryHost);
    expect(DEFAULT_REGISTRY_USERNAME).toBe('oauth2');
  });

  it('names a registry by its lower-cased host (and port), whatever docker spells around it', () => {
    for (const url of ['registry.example.com', 'https://Registry.Example.com/v2/', '  registry.example.com\n', 'http://registry.example.com'])
      expect(registryHost(url), url).toBe('registry.example.com');
    expect(registryHost('localhost:5000')).toBe('localhost:5000');
    expect(registryHost('')).toBeUndefined();
  });

  it('picks the first profile in config order that lists the host', () => {
    const cfg = mergeConfigs(
      {},
      validateConfig(
        {
          profiles: {
            a: { issuer: 'https://idp.example.com', clientId: 'c', registries: ['ghcr.example.org'] },
            b: { issuer: 'https://idp.example.com', clientId: 'c', registries: ['GHCR.example.org', 'reg.example.com:5000'] },
          },
        },
        'config.json',
      ),
    );
    expect(profileForRegistry(cfg, 'ghcr.example.org/v2/')?.name).toBe('a');
    expect(profileForRegistry(cfg, 'reg.example.com:5000')?.name).toBe('b');
    expect(profileForRegistry(cfg, 'reg.example.com')).toBeUndefined();
    expect(profileForRegistry(cfg, '   ')).toBeUndefined();
  });

  it('refuses plain http except to this machine, and any other scheme', () => {
    expect(insecureTransport('http://reg.example.com')).toBe('http://reg.example.com');
    expect(insecureTransport('ftp://reg.example.com')).toBe('ftp://reg.example.com');
    for (const ok of ['reg.example.com', 'https://reg.example.com', 'http://127.0.0.1:5000', 'http://localhost:5000', 'http://[::1]:5000']) expect(insecureTransport(ok), ok).toBeUndefined();
  });
});
