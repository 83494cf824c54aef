import { describe, expect, it } from 'vitest';
import { TokenCache, type CachedToken } from './token-cache.js';

const token = (profile: string, expiresAt: number, extra: Partial<CachedToken> = {}): CachedToken => ({
  accessToken: 'at',
  tokenType: 'Bearer',
  expiresAt,
  lifetimeMs: 300_000,
  scopes: [],
  profile,
  issuer: 'https://idp.example',
  clientId: 'cli',
  ...extra,
});
const key = (profile: string, scope: string, issuer = 'https://idp.example') => TokenCache.key({ profile, issuer, clientId: 'cli', scopes: [scope] });

describe('TokenCache', () => {
  it('keys by issuer and client too, and sorts scopes only in the key', () => {
    expect(key('p', 'a')).not.toBe(key('p', 'a', 'https://other.example'));
    const k = (scopes: string[]) => TokenCache.key({ profile: 'p', issuer: 'i', clientId: 'c', scopes });
    expect(k(['b', 'a'])).toBe(k(['a', 'b']));
    expect(TokenCache.key({ profile: 'p', issuer: 'i', clientId: 'c' }, 'privileged')).not.toBe(TokenCache.key({ profile: 'p', issuer: 'i', clientId: 'c' }));
  });

  it('keeps at most the cap of keys per profile, evicting the least recently used', () => {
    const now = 1_000;
    const cache = new TokenCache(() => now, 3);
    for (const s of ['a', 'b', 'c']) cache.set(key('p', s), token('p', 10_000));
    cache.set(key('q', 'a'), token('q', 10_000));
    expect(cache.get(key('p', 'a'))).toBeDefined(); // 'a' is now the most recently used
    cache.set(key('p', 'd'), token('p', 10_000));
    expect(cache.get(key('p', 'b'))).toBeUndefined();
    expect(cache.get(key('p', 'a'))).toBeDefined();
    expect(cache.get(key('p', 'd'))).toBeDefined();
    expect(cache.get(key('q', 'a'))).toBeDefined(); // another profile's keys are not counted
    expect(cache.describe('p')).toHaveLength(3);
  });

  it('sweeps expired entries and privileged ones past their cacheSeconds', () => {
    let now = 0;
    const cache = new TokenCache(() => now);
    cache.set(key('p', 'old'), token('p', 5_000));
    cache.set(key('p', 'priv'), token('p', 100_000, { usableUntil: 20_000 }));
    cache.set(key('p', 'live'), token('p', 100_000));
    now = 61_000; // a minute later the next write sweeps
    cache.set(key('p', 'new'), token('p', 200_000));
    expect(cache.describe('p').map((t) => t.key).sort()).toEqual([key('p', 'live'), key('p', 'new')].sort());
  });

  it('describes only the entries of the profile\'s current issuer and client', () => {
    const cache = new TokenCache(() => 0);
    cache.set(key('p', 'a'), token('p', 10_000));
    cache.set(key('p', 'a', 'https://other.example'), token('p', 10_000, { issuer: 'https://other.example' }));
    expect(cache.describe('p', 'https://idp.example', 'cli')).toHaveLength(1);
  });
});
