import { describe, expect, it } from 'vitest';
import { mergeConfigs, validateConfig } from '../../../shared/config.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { captureIO } from '../../../test/fixtures/test-io.js';
import type { AgentClient } from '../../agent-client.js';
import { insecureTransport, listRegistries, NOT_FOUND, profileForRegistry, registryHost, run } from './docker-credential.js';

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

  it('no answer over plain http except to this machine, nor over another scheme', async () => {
    expect(insecureTransport('http://registry.example.com')).toBe('http://registry.example.com');
    expect(insecureTransport('ftp://registry.example.com')).toBe('ftp://registry.example.com');
    for (const ok of ['registry.example.com', 'https://registry.example.com/v2/', 'http://localhost:5000', 'http://127.0.0.1:5000/v2/', 'http://[::1]:5000'])
      expect(insecureTransport(ok), ok).toBeUndefined();
    // Through run(): the registry is listed, yet docker gets "not found" and no token.
    const home = mkdtempSync(join(tmpdir(), 'authctl-docker-'));
    try {
      writeFileSync(join(home, 'config.json'), JSON.stringify({ profiles: { work: { ...base, registries: ['registry.example.com', 'localhost:5000'] } } }));
      const env = { AUTHCTL_CONFIG_DIR: home, AUTHCTL_SYSTEM_CONFIG: '/nonexistent', AUTHCTL_TOKEN: 'pre-issued-token' };
      const noAgent = (): AgentClient => {
        throw new Error('the agent must not be contacted');
      };
      const ask = async (serverUrl: string) => {
        const io = { ...captureIO(noAgent, env), stdin: Readable.from([serverUrl]) };
        return { code: await run('get', io), out: io.out(), err: io.err() };
      };
      const plain = await ask('http://registry.example.com');
      expect(plain).toMatchObject({ code: 1, out: `${NOT_FOUND}\n` });
      expect(plain.err).toContain('use https');
      expect((await ask('https://registry.example.com')).out).toContain('pre-issued-token');
      expect((await ask('http://localhost:5000')).out).toContain('pre-issued-token');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('list: each registry once, with its username', () => {
    expect(listRegistries(cfg)).toEqual({ 'registry.example.com': 'oauth2', 'localhost:5000': 'oauth2', 'ghcr.example.org': 'token' });
  });
});
