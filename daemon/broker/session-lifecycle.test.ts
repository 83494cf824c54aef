import { describe, expect, it } from 'vitest';
import { AuthctlError } from '../../shared/errors.js';
import type { StoredSession } from '../store/session-store.js';
import { keptAccessToken, NEVER_EXPIRES_MS, PendingLogins, reportedExpiry, sessionEnd } from './session-lifecycle.js';

const base: StoredSession = { v: 1, issuer: 'https://idp.example', clientId: 'c', scopes: ['openid', 'api:read'], obtainedAt: 0 };
const P = { name: 'work', issuer: 'https://idp.example', clientId: 'c' };
const NOW = Date.UTC(2026, 0, 1, 12);

describe('sessions without a refresh token', () => {
  it('hand out the kept token while it lasts, then say when the session ended', () => {
    const stored = { ...base, accessToken: 'at', accessTokenExpiresAt: NOW / 1000 + 60 };
    expect(keptAccessToken(P, stored, {}, NOW)).toMatchObject({ accessToken: 'at', expiresAt: NOW + 60_000 });
    const err = (() => {
      try {
        keptAccessToken(P, stored, {}, NOW + 60_000);
      } catch (e) {
        return e as AuthctlError;
      }
    })();
    expect(err?.code).toBe('login_required');
    expect(err?.message).toBe('the session of profile "work" ended at 2026-01-01T12:01:00Z (the provider gave no refresh token): run `authctl login --profile work`');
  });

  it('a token without expiry never ends, and clients are told a rolling hour', () => {
    const kept = keptAccessToken(P, { ...base, accessToken: 'gho_x' }, { scopes: ['api:read'] }, NOW)!;
    expect(kept.expiresAt).toBe(NEVER_EXPIRES_MS);
    expect(reportedExpiry(kept.expiresAt, NOW)).toBe(NOW + 3_600_000);
    expect(sessionEnd('work', { ...base, accessToken: 'gho_x' }).sessionNote).toContain('does not expire');
  });

  it('cannot serve a scope outside its login, and names the login that would', () => {
    expect(() => keptAccessToken(P, { ...base, accessToken: 'at' }, { scopes: ['api:write'] }, NOW)).toThrow(
      'run `authctl login --profile work --scope "openid api:read api:write"`',
    );
  });

  it('a session with a refresh token keeps no access token', () => {
    expect(keptAccessToken(P, { ...base, refreshToken: 'rt' }, {}, NOW)).toBeUndefined();
  });
});

describe('PendingLogins', () => {
  it('a newer login cancels the older; ending the older does not forget the newer', () => {
    const logins = new PendingLogins();
    const older = logins.begin('work', new AbortController().signal);
    const newer = logins.begin('work', new AbortController().signal);
    expect(older.signal.aborted).toBe(true);
    expect(older.cancelled()?.code).toBe('cancelled');
    older.end();
    expect(newer.signal.aborted).toBe(false);
    expect(logins.cancel('work', new AuthctlError('cancelled', 'logout'))).toBe(true);
    expect(newer.signal.aborted).toBe(true);
    expect(logins.cancel('work', new AuthctlError('cancelled', 'logout'))).toBe(false);
  });
});
