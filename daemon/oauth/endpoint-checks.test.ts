import { describe, expect, it } from 'vitest';
import { AuthctlError } from '../../shared/errors.js';
import { checkEndpoints } from './oauth-engine.js';

const local = 'http://127.0.0.1:4000';
const meta = (issuer: string, extra: Record<string, unknown>) => ({ issuer, ...extra });

function refusal(fn: () => void): AuthctlError | undefined {
  try {
    fn();
  } catch (e) {
    return e as AuthctlError;
  }
  return undefined;
}

describe('every endpoint is checked on its own', () => {
  it('https endpoints pass, for any issuer', () => {
    expect(() => checkEndpoints(meta('https://idp.example.com', { token_endpoint: 'https://idp.example.com/token', jwks_uri: 'https://keys.example.com/jwks' }), 'https://idp.example.com')).not.toThrow();
  });

  it('loopback http endpoints pass for a loopback issuer', () => {
    expect(() => checkEndpoints(meta(local, { token_endpoint: `${local}/token`, device_authorization_endpoint: 'http://localhost:4001/device' }), local)).not.toThrow();
  });

  it('a loopback issuer does not make plain http elsewhere acceptable', () => {
    const e = refusal(() => checkEndpoints(meta(local, { token_endpoint: 'http://idp.invalid/token' }), local));
    expect(e?.code).toBe('idp_error');
    expect(e?.message).toContain('token_endpoint "http://idp.invalid/token" is not https');
    for (const key of ['revocation_endpoint', 'device_authorization_endpoint', 'jwks_uri', 'userinfo_endpoint'])
      expect(refusal(() => checkEndpoints(meta(local, { [key]: 'http://idp.invalid/x' }), local))?.message, key).toContain(key);
    expect(refusal(() => checkEndpoints(meta(local, { mtls_endpoint_aliases: { token_endpoint: 'http://idp.invalid/t' } }), local))?.message).toContain('mtls_endpoint_aliases.token_endpoint');
  });

  it('a remote issuer may not name loopback http endpoints either, nor other schemes or non-strings', () => {
    expect(refusal(() => checkEndpoints(meta('https://idp.example.com', { token_endpoint: `${local}/token` }), 'https://idp.example.com'))?.code).toBe('idp_error');
    expect(refusal(() => checkEndpoints(meta(local, { token_endpoint: 'file:///etc/passwd' }), local))?.code).toBe('idp_error');
    expect(refusal(() => checkEndpoints(meta(local, { token_endpoint: 42 }), local))?.code).toBe('idp_error');
  });
});
