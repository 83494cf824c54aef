import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { buildAuthorizationUrl, type AuthorizationUrlInput } from './authorization-code.js';

const config = new oidc.Configuration({ issuer: 'https://idp.example.invalid', authorization_endpoint: 'https://idp.example.invalid/authorize' }, 'cli');
const input = (over: Partial<AuthorizationUrlInput> = {}): AuthorizationUrlInput => ({
  redirectUri: 'http://127.0.0.1:4711/callback',
  params: { scopes: ['openid', 'offline_access', 'api:read'] },
  checks: { pkceVerifier: 'v'.repeat(43), state: 's'.repeat(22), nonce: 'n'.repeat(22) },
  ...over,
});

describe('buildAuthorizationUrl (RFC 6749 §4.1.1, RFC 7636 §4.3)', () => {
  it('sends the S256 challenge, never the verifier, and the scopes in order', async () => {
    const url = await buildAuthorizationUrl(config, input());
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.href).not.toContain('v'.repeat(43));
    expect(url.searchParams.get('scope')).toBe('openid offline_access api:read');
    expect(url.searchParams.get('state')).toBe('s'.repeat(22));
    expect(url.searchParams.get('nonce')).toBe('n'.repeat(22));
  });

  it('asks a generic provider for consent with offline_access (OIDC Core §11), never a preset', async () => {
    expect((await buildAuthorizationUrl(config, input())).searchParams.get('prompt')).toBe('consent');
    for (const provider of ['entra', 'okta', 'auth0', 'keycloak', 'google', 'github'] as const) {
      expect((await buildAuthorizationUrl(config, input({ provider }))).searchParams.get('prompt'), provider).toBeNull();
    }
    const own = await buildAuthorizationUrl(config, input({ extraParams: { prompt: 'select_account' } }));
    expect(own.searchParams.get('prompt')).toBe('select_account');
  });
});
