import { describe, expect, it } from 'vitest';
import { mergeConfigs, type PrivilegedPolicy, type ResolvedProfile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import { planTokenRequest } from './privilege.js';

const LOGIN_SCOPES = ['openid', 'offline_access', 'api:read', 'api:write', 'admin:all'];

function profile(privileged?: PrivilegedPolicy, scopes = LOGIN_SCOPES): ResolvedProfile {
  return { name: 'p', source: 'user', issuer: 'https://idp.example.com', clientId: 'cli', scopes, ...(privileged ? { privileged } : {}) };
}

describe('planTokenRequest', () => {
  it('passes an ordinary request through unchanged when the profile has no policy', () => {
    expect(planTokenRequest({ scopes: ['api:read'] }, false, profile())).toEqual({ params: { scopes: ['api:read'] } });
    expect(planTokenRequest({}, false, profile())).toEqual({ params: {} });
  });

  it('marks a request privileged when it says so (no policy scopes: the login grant decides)', () => {
    expect(planTokenRequest({}, true, profile())).toEqual({
      params: { scopes: undefined },
      privileged: { reason: 'the request asks for a privileged token', cacheSeconds: 0 },
    });
  });

  it('marks a request privileged when policy matches a scope, and names the scopes', () => {
    const plan = planTokenRequest({ scopes: ['admin:all', 'api:read'] }, false, profile({ scopes: ['admin:all'] }));
    expect(plan.params.scopes).toEqual(['admin:all', 'api:read']);
    expect(plan.privileged).toEqual({ reason: 'scope "admin:all" is privileged by policy', cacheSeconds: 0 });
    const two = planTokenRequest({ scopes: ['a', 'b'] }, false, profile({ scopes: ['a', 'b'] }));
    expect(two.privileged?.reason).toBe('scopes "a", "b" are privileged by policy');
  });

  it('marks a request privileged when policy matches its audience or resource, the profile default included', () => {
    const policy = { audiences: ['https://admin.example.com'], resources: ['https://vault.example.com'] };
    expect(planTokenRequest({ audience: 'https://admin.example.com' }, false, profile(policy)).privileged?.reason).toBe('audience "https://admin.example.com" is privileged by policy');
    expect(planTokenRequest({ resource: 'https://vault.example.com' }, false, profile(policy)).privileged?.reason).toBe('resource "https://vault.example.com" is privileged by policy');
    expect(planTokenRequest({ audience: 'https://api.example.com' }, false, profile(policy)).privileged).toBeUndefined();
  });

  it('gives an ordinary request that names no scope the login scopes without the privileged ones', () => {
    const plan = planTokenRequest({ audience: 'x' }, false, profile({ scopes: ['admin:all'] }));
    expect(plan).toEqual({ params: { audience: 'x', scopes: ['openid', 'offline_access', 'api:read', 'api:write'] } });
  });

  it('refuses (config) an ordinary request that names no scope when nothing but privileged scopes is left', () => {
    const e = (() => {
      try {
        planTokenRequest({}, false, profile({ scopes: ['admin:all'] }, ['admin:all']));
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(AuthctlError);
    expect((e as AuthctlError).code).toBe('config_invalid');
    expect((e as AuthctlError).message).toContain('--scope');
  });

  it('gives a privileged request that names no scope the policy scopes that login asked for', () => {
    const plan = planTokenRequest({}, true, profile({ scopes: ['admin:all', 'admin:billing'], cacheSeconds: 30 }));
    expect(plan.params.scopes).toEqual(['admin:all']);
    expect(plan.privileged?.cacheSeconds).toBe(30);
  });

  it('applies a system policy that user config cannot weaken', () => {
    const base = { issuer: 'https://idp.example.com', clientId: 'cli', scopes: LOGIN_SCOPES };
    const cfg = mergeConfigs(
      { profiles: { p: { ...base, privileged: { scopes: ['admin:all'], cacheSeconds: 0 } } } },
      { profiles: { p: { ...base, privileged: { scopes: [], cacheSeconds: 3600 } } } },
    );
    const plan = planTokenRequest({ scopes: ['admin:all'] }, false, cfg.profiles.get('p')!);
    expect(plan.privileged).toEqual({ reason: 'scope "admin:all" is privileged by policy', cacheSeconds: 0 });
  });
});
