import { describe, expect, it } from 'vitest';
import { checkGrantCovers } from './grant.js';
import type { ResolvedProfile } from '../../shared/config.js';
import type { StoredSession } from '../store/session-store.js';

const profile = (extra: Partial<ResolvedProfile> = {}): ResolvedProfile => ({ name: 'work', source: 'user', issuer: 'https://idp.example', clientId: 'cli', scopes: [], ...extra });
const session = (extra: Partial<StoredSession> = {}): StoredSession => ({ v: 1, issuer: 'https://idp.example', clientId: 'cli', scopes: [], obtainedAt: 0, refreshToken: 'rt', ...extra });

describe('checkGrantCovers', () => {
  it('lets through what the login asked for, and requests that name nothing', () => {
    expect(() => checkGrantCovers(profile(), session({ audience: 'https://api' }), { audience: 'https://api' })).not.toThrow();
    expect(() => checkGrantCovers(profile(), session({ audience: 'https://api' }), {})).not.toThrow();
  });

  it('refuses another audience or resource with the command that fixes it (exit 2)', () => {
    const err = (() => {
      try {
        checkGrantCovers(profile(), session({ audience: 'https://api' }), { audience: 'https://cluster' });
      } catch (e) {
        return e as { code: string; message: string };
      }
    })();
    expect(err?.code).toBe('usage');
    expect(err?.message).toBe('profile "work" was logged in for audience "https://api", and its refresh token cannot mint tokens for "https://cluster": add a profile with --audience https://cluster and log in to it');
    expect(() => checkGrantCovers(profile(), session(), { resource: 'https://r' })).toThrowError('profile "work" was logged in without a resource');
  });

  it('falls back to the profile for sessions stored before the grant was recorded', () => {
    const old = { v: 1 as const, issuer: 'https://idp.example', clientId: 'cli', scopes: [], obtainedAt: 0 };
    expect(() => checkGrantCovers(profile({ audience: 'https://api' }), old, { audience: 'https://api' })).not.toThrow();
    expect(() => checkGrantCovers(profile({ audience: 'https://api' }), old, { audience: 'https://other' })).toThrow();
  });

  it('lets Entra ID through: its refresh tokens are multi-resource', () => {
    expect(() => checkGrantCovers(profile({ provider: 'entra' }), session({ audience: 'api://a' }), { audience: 'api://b' })).not.toThrow();
  });
});
