/** Provider presets (shared/providers.ts), their CLI flags, and the profile schema's provider fields. */
import { describe, expect, it } from 'vitest';
import { parseAdd } from '../../client/commands/profile/profile.js';
import { validateConfig } from '../../shared/config.js';
import { AuthctlError, exitCodeFor } from '../../shared/errors.js';
import { presetProfile } from '../../shared/providers.js';

const usageError = (fn: () => unknown): AuthctlError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AuthctlError);
    expect(exitCodeFor((e as AuthctlError).code)).toBe(2);
    return e as AuthctlError;
  }
  throw new Error('expected a usage error');
};

describe('presetProfile', () => {
  it('auth0: the tenant domain is the issuer (with its trailing slash), and an audience is required', () => {
    expect(presetProfile({ provider: 'auth0', domain: 'https://acme.eu.auth0.com/', clientId: 'c', audience: 'https://api.acme' })).toEqual({
      provider: 'auth0',
      issuer: 'https://acme.eu.auth0.com/',
      clientId: 'c',
      scopes: ['openid', 'offline_access', 'profile'],
      audience: 'https://api.acme',
    });
    expect(usageError(() => presetProfile({ provider: 'auth0', domain: 'acme.auth0.com', clientId: 'c' })).message).toContain('--audience');
  });

  it('okta: the default authorization server, a custom one, or the org server', () => {
    const okta = (authorizationServer?: string) => presetProfile({ provider: 'okta', domain: 'acme.okta.com', clientId: 'c', authorizationServer }).issuer;
    expect(okta()).toBe('https://acme.okta.com/oauth2/default');
    expect(okta('aus1a2b3c')).toBe('https://acme.okta.com/oauth2/aus1a2b3c');
    expect(okta('org')).toBe('https://acme.okta.com');
    expect(usageError(() => okta('a/b')).message).toContain('--authorization-server');
  });

  it('entra: fixed v2.0 endpoints for the tenant; API scopes instead of an audience', () => {
    const p = presetProfile({ provider: 'entra', tenant: 'organizations', clientId: 'c', scopes: ['api://1234/.default'] });
    expect(p.issuer).toBe('https://login.microsoftonline.com/organizations/v2.0');
    expect(p.endpoints).toEqual({
      authorization: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
      deviceAuthorization: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode',
      token: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
    });
    expect(p.scopes).toEqual(['openid', 'offline_access', 'profile', 'api://1234/.default']);
    expect(usageError(() => presetProfile({ provider: 'entra', tenant: 't', clientId: 'c', audience: 'x' })).message).toContain('.default');
  });

  it('google: the installed-app secret is required, offline_access is not asked for', () => {
    const p = presetProfile({ provider: 'google', clientId: 'c.apps.googleusercontent.com', clientSecret: 'GOCSPX-x' });
    expect(p).toMatchObject({ issuer: 'https://accounts.google.com', clientSecret: 'GOCSPX-x', scopes: ['openid', 'email', 'profile'] });
    expect(usageError(() => presetProfile({ provider: 'google', clientId: 'c' })).message).toContain('--client-secret');
  });

  it('github: github.com or a GitHub Enterprise Server host, endpoints without discovery', () => {
    expect(presetProfile({ provider: 'github', clientId: 'Iv1.x', scopes: ['repo read:org'] })).toMatchObject({
      issuer: 'https://github.com',
      scopes: ['repo', 'read:org'],
      endpoints: { authorization: 'https://github.com/login/oauth/authorize', deviceAuthorization: 'https://github.com/login/device/code', token: 'https://github.com/login/oauth/access_token' },
    });
    expect(presetProfile({ provider: 'github', clientId: 'x', domain: 'ghe.acme.com' }).endpoints?.token).toBe('https://ghe.acme.com/login/oauth/access_token');
  });

  it('keycloak, generic and manual', () => {
    expect(presetProfile({ provider: 'keycloak', base: 'https://sso.acme.com/auth/', realm: 'staff', clientId: 'c' }).issuer).toBe('https://sso.acme.com/auth/realms/staff');
    expect(presetProfile({ provider: 'generic', issuer: 'https://id.acme.com', clientId: 'c' }).issuer).toBe('https://id.acme.com');
    const manual = presetProfile({ provider: 'manual', issuer: 'https://as.acme.com', clientId: 'c', endpoints: { deviceAuthorization: 'https://as.acme.com/device', token: 'https://as.acme.com/token' } });
    expect(manual.endpoints).toEqual({ deviceAuthorization: 'https://as.acme.com/device', token: 'https://as.acme.com/token' });
    expect(usageError(() => presetProfile({ provider: 'manual', issuer: 'https://as.acme.com', clientId: 'c' })).message).toContain('--device-endpoint');
  });

  it('refuses an input that does not belong to the preset', () => {
    expect(usageError(() => presetProfile({ provider: 'okta', domain: 'acme.okta.com', tenant: 't', clientId: 'c' })).message).toContain('--tenant does not apply to --provider okta');
  });

  it('refuses plain http for anything but loopback, as every profile does', () => {
    const e = usageError(() => presetProfile({ provider: 'keycloak', base: 'http://sso.acme.com', realm: 'r', clientId: 'c' }));
    expect(e.message).toContain('must use https');
  });
});

describe('authctl profile add --provider', () => {
  it('builds the preset from flags', () => {
    const { name, profile } = parseAdd(['work', '--provider', 'okta', '--domain', 'acme.okta.com', '--client-id', 'c', '--min-valid', '120']);
    expect(name).toBe('work');
    expect(profile).toMatchObject({ provider: 'okta', issuer: 'https://acme.okta.com/oauth2/default', minValidSeconds: 120 });
  });

  it('says which providers exist, and what a preset is missing', () => {
    expect(usageError(() => parseAdd(['w', '--provider', 'ping', '--client-id', 'c'])).message).toContain('auth0, okta, entra');
    expect(usageError(() => parseAdd(['w', '--provider', 'keycloak', '--client-id', 'c', '--base', 'https://sso.acme.com'])).message).toContain('--realm');
  });

  it('without --provider it is a generic profile, as before', () => {
    expect(parseAdd(['w', '--issuer', 'https://id.acme.com', '--client-id', 'c']).profile).toEqual({ issuer: 'https://id.acme.com', clientId: 'c', scopes: ['openid', 'offline_access'] });
  });
});

describe('profile schema: provider fields', () => {
  const check = (profile: Record<string, unknown>) => () => validateConfig({ profiles: { p: { issuer: 'https://id.acme.com', clientId: 'c', ...profile } } }, 'config.json');

  it('accepts a client secret only for google, where it is not confidential', () => {
    expect(check({ provider: 'google', clientSecret: 's' })).not.toThrow();
    expect(check({ provider: 'okta', clientSecret: 's' })).toThrow(/only with provider "google"/);
    expect(check({ clientSecret: 's' })).toThrow(/secrets never go into config/);
    expect(check({ provider: 'google' })).toThrow(/needs "clientSecret"/);
  });

  it('checks endpoints and the provider name', () => {
    expect(check({ provider: 'manual' })).toThrow(/needs "endpoints"/);
    expect(check({ endpoints: { deviceAuthorization: 'https://a/d', token: 'http://a/t' } })).toThrow(/endpoints.token .* must use https/);
    expect(check({ endpoints: { deviceAuthorization: 'https://a/d', token: 'https://a/t', userinfo: 'https://a/u' } })).toThrow(/unknown endpoint "userinfo"/);
    expect(check({ provider: 'ping' })).toThrow(/provider must be one of/);
  });

  it('network: an absolute CA file and a sane timeout', () => {
    expect(validateConfig({ network: { caFile: '/etc/ssl/corp.pem', timeoutSeconds: 10 } }, 'c').network).toEqual({ caFile: '/etc/ssl/corp.pem', timeoutSeconds: 10 });
    expect(() => validateConfig({ network: { caFile: 'corp.pem' } }, 'c')).toThrow(/absolute path/);
    expect(() => validateConfig({ network: { timeoutSeconds: 0 } }, 'c')).toThrow(/from 1 to 300/);
  });
});
