import { describe, expect, it } from 'vitest';
import { chooseLoginFlow, providerFlowPreference, type LoginFlowInput } from './login-flow.js';
import { validateConfig } from './config.js';

const base: LoginFlowInput = { clientCanOpenBrowser: true, viaForwarding: false, hasAuthorizationEndpoint: true };

describe('chooseLoginFlow', () => {
  it('auto: browser where the CLI can open one, with fallback to device', () => {
    expect(chooseLoginFlow(base)).toMatchObject({ flow: 'browser', fallback: true });
  });
  it('auto: device without a local browser, saying the CLI\'s reason', () => {
    const c = chooseLoginFlow({ ...base, clientCanOpenBrowser: false, noBrowserReason: 'SSH session without a display' });
    expect(c).toMatchObject({ flow: 'device', fallback: false });
    expect(c.reason).toContain('SSH session without a display');
  });
  it('auto: a forwarded connection uses the browser flow even when the remote CLI cannot open one', () => {
    expect(chooseLoginFlow({ ...base, clientCanOpenBrowser: false, viaForwarding: true })).toMatchObject({ flow: 'browser', fallback: true });
  });
  it('auto: device when the provider names no authorization endpoint', () => {
    expect(chooseLoginFlow({ ...base, hasAuthorizationEndpoint: false })).toMatchObject({ flow: 'device' });
  });
  it('--flow wins over the profile, and the profile over auto; explicit flows never fall back', () => {
    expect(chooseLoginFlow({ ...base, requested: 'device', profileFlow: 'browser' })).toMatchObject({ flow: 'device', fallback: false });
    expect(chooseLoginFlow({ ...base, profileFlow: 'device' })).toMatchObject({ flow: 'device', reason: expect.stringContaining('profile') });
    expect(chooseLoginFlow({ ...base, clientCanOpenBrowser: false, requested: 'browser' })).toMatchObject({ flow: 'browser', fallback: false });
  });
  it('explicit browser without an authorization endpoint is refused with the device-flow command', () => {
    expect(chooseLoginFlow({ ...base, requested: 'browser', hasAuthorizationEndpoint: false }).refused).toContain('--flow device');
  });
  it('presets: Entra, Google, Okta, Auth0 browser first; GitHub and generic either', () => {
    for (const p of ['entra', 'google', 'okta', 'auth0'] as const) expect(providerFlowPreference(p)).toBe('browser');
    expect(providerFlowPreference('github')).toBe('either');
    expect(providerFlowPreference(undefined)).toBe('either');
    expect(chooseLoginFlow({ ...base, provider: 'entra' }).reason).toContain('prefers');
  });
});

describe('profile "flow" and "redirectUri"', () => {
  const check = (extra: Record<string, unknown>) => () => validateConfig({ profiles: { p: { issuer: 'https://idp.example.com', clientId: 'c', ...extra } } }, 'config.json');
  it('accepts the three flows and a loopback redirect, with a registered port or without (any port)', () => {
    expect(check({ flow: 'browser', redirectUri: 'http://localhost:8400/callback' })().profiles!.p).toMatchObject({ flow: 'browser', redirectUri: 'http://localhost:8400/callback' });
    expect(check({ redirectUri: 'http://localhost/callback' })().profiles!.p.redirectUri).toBe('http://localhost/callback');
  });
  it('refuses other flows and redirects that are not loopback http', () => {
    expect(check({ flow: 'web' })).toThrow(/flow must be one of auto, browser, device/);
    for (const r of ['https://localhost:8400/callback', 'http://example.com:8400/cb', 'http://localhost.example.com/cb', 'http://127.0.0.1:8400/cb?x=1', 'myapp://callback'])
      expect(check({ redirectUri: r })).toThrow(/redirectUri must be a loopback http URL/);
  });
});
