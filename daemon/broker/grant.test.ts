import { describe, expect, it } from 'vitest';
import { checkGrantCovers, checkLoginRequest, checkScopesGranted, checkTokenEndpoint, grantFields, grantOf, needsWiderLogin } from './grant.js';
import type { ResolvedProfile } from '../../shared/config.js';
import type { StoredSession } from '../store/session-store.js';
import { AuthctlError } from '../../shared/errors.js';

const profile = (extra: Partial<ResolvedProfile> = {}): ResolvedProfile => ({ name: 'work', source: 'user', issuer: 'https://idp.example', clientId: 'cli', scopes: ['openid', 'offline_access', 'api:read'], ...extra });
const session = (extra: Partial<StoredSession> = {}): StoredSession => ({
  v: 1,
  ...grantFields(profile(), {}, 'https://idp.example/token', undefined),
  obtainedAt: 0,
  refreshToken: 'rt',
  ...extra,
});

function thrown(f: () => void): AuthctlError | undefined {
  try {
    f();
  } catch (e) {
    return e as AuthctlError;
  }
  return undefined;
}

describe('the stored grant', () => {
  it('writes every field, null for none, so nothing is dropped by JSON', () => {
    const fields = grantFields(profile(), { scopes: ['api:read', 'openid'] }, 'https://idp.example/token', undefined);
    const round = JSON.parse(JSON.stringify(fields));
    expect(round).toEqual({
      issuer: 'https://idp.example',
      clientId: 'cli',
      tokenEndpoint: 'https://idp.example/token',
      audience: null,
      resource: null,
      scopes: ['api:read', 'openid'],
      requestedScopes: ['api:read', 'openid'],
    });
  });

  it('reads sessions stored before the grant was recorded with the profile\'s values', () => {
    const old = { v: 1 as const, issuer: 'https://idp.example', clientId: 'cli', scopes: [], obtainedAt: 0 };
    const g = grantOf(old, profile({ audience: 'https://api' }));
    expect(g).toMatchObject({ audience: 'https://api', resource: null, tokenEndpoint: null, requestedScopes: ['openid', 'offline_access', 'api:read'] });
  });
});

describe('checkGrantCovers', () => {
  it('lets through what the login asked for, and requests that name nothing', () => {
    const g = grantOf(session({ audience: 'https://api' }), profile());
    expect(() => checkGrantCovers(profile(), g, { audience: 'https://api' })).not.toThrow();
    expect(() => checkGrantCovers(profile(), g, {})).not.toThrow();
  });

  it('refuses another audience or resource with the command that fixes it (exit 2)', () => {
    const err = thrown(() => checkGrantCovers(profile(), grantOf(session({ audience: 'https://api' }), profile()), { audience: 'https://cluster' }));
    expect(err?.code).toBe('usage');
    expect(err?.message).toBe('profile "work" was logged in for audience "https://api", and its refresh token cannot mint tokens for "https://cluster": add a profile with --audience https://cluster and log in to it');
    // A session stored with `audience: null` covers no audience, even if the profile gains one later.
    expect(() => checkGrantCovers(profile({ audience: 'https://new' }), grantOf(session(), profile({ audience: 'https://new' })), { audience: 'https://new' })).toThrowError('logged in without an audience');
    expect(() => checkGrantCovers(profile(), grantOf(session(), profile()), { resource: 'https://r' })).toThrowError('profile "work" was logged in without a resource');
  });

  it('lets Entra ID through: its refresh tokens are multi-resource', () => {
    expect(() => checkGrantCovers(profile({ provider: 'entra' }), grantOf(session({ audience: 'api://a' }), profile()), { audience: 'api://b' })).not.toThrow();
  });
});

describe('checkTokenEndpoint', () => {
  it('sends a refresh token only to the endpoint that issued it (exit 3 otherwise)', () => {
    const g = grantOf(session(), profile());
    expect(() => checkTokenEndpoint(profile(), g, 'https://idp.example/token')).not.toThrow();
    const err = thrown(() => checkTokenEndpoint(profile(), g, 'https://evil.invalid/token'));
    expect(err?.code).toBe('login_required');
    expect(err?.message).toContain('authctl login --profile work');
    expect(() => checkTokenEndpoint(profile(), { ...g, tokenEndpoint: null }, 'https://idp.example/token')).not.toThrow();
  });
});

describe('checkScopesGranted and needsWiderLogin', () => {
  it('refuses a scope neither asked for nor granted at login, with the exact login command (exit 3)', () => {
    const g = grantOf(session(), profile());
    expect(() => checkScopesGranted(profile(), g, ['api:read'])).not.toThrow();
    const err = thrown(() => checkScopesGranted(profile(), g, ['admin:all']));
    expect(err?.code).toBe('login_required');
    expect(err?.message).toBe('scope "admin:all" was not granted at login; your session for profile "work" stays: run `authctl login --profile work --scope \'openid offline_access api:read admin:all\'`');
    expect(() => checkScopesGranted(profile({ provider: 'entra' }), g, ['admin:all'])).not.toThrow();
  });

  it('quotes scopes for the shell', () => {
    expect(needsWiderLogin(profile({ scopes: [] }), undefined, ["it's"], 'x').message).toContain(`--scope 'it'\\''s'`);
  });
});

describe('checkLoginRequest', () => {
  it('refuses login --audience B on a profile for audience A, with the command for a profile of its own', () => {
    const p = profile({ audience: 'https://a.example' });
    expect(() => checkLoginRequest(p, {})).not.toThrow();
    expect(() => checkLoginRequest(p, { audience: 'https://a.example' })).not.toThrow();
    expect(() => checkLoginRequest(profile(), { audience: 'https://b.example' })).not.toThrow();
    const err = thrown(() => checkLoginRequest(p, { audience: 'https://b.example' }));
    expect(err?.code).toBe('usage');
    expect(err?.message).toBe(
      'profile "work" is for audience "https://a.example"; a login for "https://b.example" needs a profile of its own: run `authctl login --profile work-b-example --issuer https://idp.example --client-id cli --scope \'openid offline_access api:read\' --audience https://b.example`',
    );
  });
});
