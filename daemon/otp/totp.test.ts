import { execFileSync } from 'node:child_process';
import { Secret, URI } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { generateTotpSecret, totpUri, verifyTotp } from './totp.js';

// RFC 6238 appendix B, SHA1 rows (shared/testdata/otp-vectors.md).
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

const at = (ms: number) => () => ms;

describe('verifyTotp: RFC 6238 appendix B', () => {
  it.each(RFC_VECTORS)('accepts the published code at t=%i', (t, code) => {
    const result = verifyTotp({ secret: RFC_SECRET, code, now: at(t * 1000), lastUsedStep: null, digits: 8, window: 0 });
    expect(result).toEqual({ ok: true, step: Math.floor(t / 30) });
  });

  it('refuses a published code at another vector time', () => {
    const result = verifyTotp({ secret: RFC_SECRET, code: '94287082', now: at(1111111109_000), lastUsedStep: null, digits: 8 });
    expect(result).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('verifyTotp: window edges', () => {
  // 89005924 belongs to step S = 41152263, which starts exactly at t = 1234567890.
  const code = '89005924';
  const S = 41152263;
  const stepStart = (k: number) => (S + k) * 30_000;
  const check = (nowMs: number, window?: number) =>
    verifyTotp({ secret: RFC_SECRET, code, now: at(nowMs), lastUsedStep: null, digits: 8, window });

  it('accepts the current step', () => {
    expect(check(stepStart(0) + 15_000)).toEqual({ ok: true, step: S });
  });
  it('accepts a code one step old (-1), up to the last millisecond of the next step', () => {
    expect(check(stepStart(1))).toEqual({ ok: true, step: S });
    expect(check(stepStart(2) - 1)).toEqual({ ok: true, step: S });
  });
  it('refuses a code two steps old (-2)', () => {
    expect(check(stepStart(2))).toEqual({ ok: false, reason: 'invalid' });
  });
  it('accepts a code one step ahead (+1)', () => {
    expect(check(stepStart(-1))).toEqual({ ok: true, step: S });
  });
  it('refuses a code two steps ahead (+2)', () => {
    expect(check(stepStart(-1) - 1)).toEqual({ ok: false, reason: 'invalid' });
  });
  it('with window 0 accepts only the current step', () => {
    expect(check(stepStart(1), 0)).toEqual({ ok: false, reason: 'invalid' });
    expect(check(stepStart(-1), 0)).toEqual({ ok: false, reason: 'invalid' });
  });
  it('with window 2 accepts -2 and +2', () => {
    expect(check(stepStart(2), 2)).toEqual({ ok: true, step: S });
    expect(check(stepStart(-2), 2)).toEqual({ ok: true, step: S });
  });
});

describe('verifyTotp: replay', () => {
  const code = '89005924';
  const S = 41152263;
  const base = { secret: RFC_SECRET, code, now: at(1234567890_000), digits: 8 };

  it('refuses the same step a second time', () => {
    const first = verifyTotp({ ...base, lastUsedStep: null });
    expect(first).toEqual({ ok: true, step: S });
    const second = verifyTotp({ ...base, lastUsedStep: first.ok ? first.step : null });
    expect(second).toEqual({ ok: false, reason: 'replayed' });
  });
  it('refuses an older step after a newer one was used', () => {
    expect(verifyTotp({ ...base, lastUsedStep: S + 1 })).toEqual({ ok: false, reason: 'replayed' });
  });
  it('accepts when the last used step is older', () => {
    expect(verifyTotp({ ...base, lastUsedStep: S - 1 })).toEqual({ ok: true, step: S });
  });
  it('a wrong code is invalid, not replayed', () => {
    expect(verifyTotp({ ...base, code: '12345678', lastUsedStep: S })).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('verifyTotp: malformed codes', () => {
  it.each(['', '12345', '1234567', '12345a', ' 123456', '123456 ', '123 456', '-12345', '１２３４５６', '12345٦'])(
    'refuses %j as malformed',
    (code) => {
      expect(verifyTotp({ secret: RFC_SECRET, code, now: at(59_000), lastUsedStep: null })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    },
  );
  it('a 6-digit code is malformed when 8 digits are configured', () => {
    expect(verifyTotp({ secret: RFC_SECRET, code: '287082', now: at(59_000), lastUsedStep: null, digits: 8 })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
  it('throws for a secret that is not base32, without quoting it', () => {
    expect(() => verifyTotp({ secret: 'not base32!', code: '123456', now: at(0), lastUsedStep: null })).toThrowError(
      /^TOTP secret is not base32$/,
    );
  });
});

describe('generateTotpSecret / totpUri', () => {
  it('makes 20 random bytes as 32 base32 characters', () => {
    const a = generateTotpSecret();
    const b = generateTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(Secret.fromBase32(a).bytes).toHaveLength(20);
    expect(a).not.toBe(b);
  });

  it('builds an otpauth:// URI that parses back to the same parameters', () => {
    const secret = generateTotpSecret();
    const uri = totpUri({ secret, account: 'alice@example.com', issuer: 'authctl' });
    expect(uri.startsWith('otpauth://totp/authctl:alice%40example.com?')).toBe(true);
    const parsed = URI.parse(uri);
    expect(parsed).toMatchObject({ issuer: 'authctl', label: 'alice@example.com', digits: 6, period: 30, algorithm: 'SHA1' });
    expect(parsed.secret.base32).toBe(secret);
  });

  it('refuses a colon in issuer or account', () => {
    const secret = generateTotpSecret();
    expect(() => totpUri({ secret, account: 'a:b', issuer: 'x' })).toThrow(TypeError);
    expect(() => totpUri({ secret, account: 'a', issuer: 'x:y' })).toThrow(TypeError);
  });
});

describe('verifyTotp against the real oathtool', () => {
  // Deliberately no skip: CI installs oathtool, and a missing binary must fail this test.
  const oathtool = (hexSecret: string, date: string) =>
    execFileSync('oathtool', ['--totp', '-d', '6', '--now', date, hexSecret], { encoding: 'utf8' }).trim();

  it('accepts the code oathtool computes for a fresh secret', () => {
    const secret = generateTotpSecret();
    const hex = Secret.fromBase32(secret).hex;
    const date = '2024-05-01 12:00:10 UTC';
    const code = oathtool(hex, date);
    expect(code).toMatch(/^[0-9]{6}$/);
    const result = verifyTotp({ secret, code, now: at(Date.parse('2024-05-01T12:00:10Z')), lastUsedStep: null });
    expect(result).toEqual({ ok: true, step: Math.floor(Date.parse('2024-05-01T12:00:10Z') / 30_000) });
  });

  it("accepts oathtool's code from the previous step and refuses it two steps later", () => {
    const secret = generateTotpSecret();
    const hex = Secret.fromBase32(secret).hex;
    const code = oathtool(hex, '2024-05-01 11:59:50 UTC');
    expect(verifyTotp({ secret, code, now: at(Date.parse('2024-05-01T12:00:10Z')), lastUsedStep: null }).ok).toBe(true);
    expect(verifyTotp({ secret, code, now: at(Date.parse('2024-05-01T12:00:40Z')), lastUsedStep: null })).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });
});
