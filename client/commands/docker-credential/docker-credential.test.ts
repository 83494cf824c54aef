import { describe, expect, it } from 'vitest';
import { mergeConfigs, validateConfig } from '../../../shared/config.js';
import { listRegistries, profileForRegistry, registryHost } from './docker-credential.js';

const base = { issuer: 'https://idp.example.com', clientId: 'cli' };
const cfg = mergeConfigs(
  {},
  validateConfig(
    {
      profiles: {
        work: { ...base, registries: ['registry.example.com', 'localhost:5000'] },
        other: { ...base, registries: ['Registry.Example.com', 'ghcr.example.org'], registryUsername: 'token' },
      },
    },
    'config.json',
  ),
);

describe('docker credential helper', () => {
  it('names a registry the same way whatever form docker passes', () => {
    for (const url of ['registry.example.com', 'https://registry.example.com', 'https://Registry.example.com/v2/', 'registry.example.com/v1/'])
      expect(registryHost(url)).toBe('registry.example.com');
    expect(registryHost('localhost:5000')).toBe('localhost:5000');
    expect(registryHost('https://index.docker.io/v1/')).toBe('index.docker.io');
    expect(registryHost('  ')).toBeUndefined();
  });

  it('finds the first profile listing the registry; unknown registries find none', () => {
    expect(profileForRegistry(cfg, 'https://registry.example.com/v2/')?.name).toBe('work');
    expect(profileForRegistry(cfg, 'ghcr.example.org')?.name).toBe('other');
    expect(profileForRegistry(cfg, 'localhost:5001')).toBeUndefined();
    expect(profileForRegistry(cfg, 'https://index.docker.io/v1/')).toBeUndefined();
  });

  it('list: each registry once, with its username', () => {
    expect(listRegistries(cfg)).toEqual({ 'registry.example.com': 'oauth2', 'localhost:5000': 'oauth2', 'ghcr.example.org': 'token' });
  });
});
