import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintYubicoOtp, startYubiCloudServer, VECTOR_KEY, VECTOR_OTP, type YubiCloudServer } from '../../test/fixtures/yubicloud-server.js';
import type { OtpRecord } from './otp-store.js';
import { OtpVerifier } from './verifier.js';

// RFC 6238 appendix B's SHA1 secret; 6-digit codes are the last 6 digits of the 8-digit vectors.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const T = 1234567890_000; // 89005924 → 005924, step 41152263
const STEP = 41152263;
const verifier = (now = T) => new OtpVerifier({ now: () => now, fetch: fetch as never });
const totpRecord = (lastStep: number | null = null): OtpRecord => ({ v: 1, totp: { secret: RFC_SECRET, lastStep, enrolledAt: 0 } });
const offline = (counters: { usage: number; session: number } | null): OtpRecord => ({
  v: 1,
  yubikey: { mode: 'offline', publicId: VECTOR_KEY.publicId, aesKey: VECTOR_KEY.aesKeyHex, privateUid: VECTOR_KEY.privateUid, counters, enrolledAt: 0 },
});

describe('OtpVerifier: TOTP', () => {
  it('accepts the RFC 6238 vector and moves lastStep to its step', async () => {
    const v = await verifier().verify(totpRecord(), '005924');
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.method).toBe('totp');
    expect(v.apply(totpRecord()).totp).toMatchObject({ lastStep: STEP, lastUsedAt: T / 1000 });
  });

  it('refuses a spent step, counted as a wrong answer', async () => {
    expect(await verifier().verify(totpRecord(STEP), '005924')).toEqual({ ok: false, counted: true, reason: expect.stringMatching(/already used/) });
  });

  it('refuses a wrong code and a code of no enrolled method', async () => {
    expect(await verifier().verify(totpRecord(), '005925')).toMatchObject({ ok: false, counted: true, reason: 'wrong code' });
    expect(await verifier().verify(totpRecord(), VECTOR_OTP)).toMatchObject({ ok: false, counted: true, reason: expect.stringMatching(/6-digit code/) });
  });

  it('confirms an enrolment only with the right first code, recording its step', async () => {
    expect(await verifier().confirm({ method: 'totp', secret: RFC_SECRET }, '005924')).toMatchObject({ ok: true, totp: { secret: RFC_SECRET, lastStep: STEP } });
    expect(await verifier().confirm({ method: 'totp', secret: RFC_SECRET }, '12345')).toMatchObject({ ok: false, reason: expect.stringMatching(/6-digit/) });
  });
});

describe('OtpVerifier: YubiKey offline', () => {
  it('accepts the Yubico vector OTP and records its counters (19, 17)', async () => {
    const v = await verifier().verify(offline(null), VECTOR_OTP);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.apply(offline(null)).yubikey).toMatchObject({ counters: { usage: 19, session: 17 } });
  });

  it('refuses counters that do not increase, and OTPs of another key', async () => {
    expect(await verifier().verify(offline({ usage: 19, session: 17 }), VECTOR_OTP)).toMatchObject({ ok: false, counted: true, reason: expect.stringMatching(/already used/) });
    const other = mintYubicoOtp({ publicId: 'vvccccfiluij', aesKeyHex: VECTOR_KEY.aesKeyHex, privateUid: VECTOR_KEY.privateUid, usage: 30, session: 0 });
    expect(await verifier().verify(offline(null), other)).toMatchObject({ ok: false, counted: true, reason: expect.stringMatching(/another YubiKey/) });
  });

  it('learns the private uid at enrolment, or checks the one given', async () => {
    const pending = { method: 'yubikey' as const, mode: 'offline' as const, aesKey: VECTOR_KEY.aesKeyHex, publicId: VECTOR_KEY.publicId };
    expect(await verifier().confirm(pending, VECTOR_OTP)).toMatchObject({ ok: true, yubikey: { privateUid: VECTOR_KEY.privateUid, counters: { usage: 19, session: 17 } } });
    expect(await verifier().confirm({ ...pending, privateUid: '000000000000' }, VECTOR_OTP)).toMatchObject({ ok: false, reason: expect.stringMatching(/private uid/) });
  });
});

describe('OtpVerifier: YubiKey online', () => {
  let server: YubiCloudServer;
  beforeAll(async () => {
    server = await startYubiCloudServer();
  });
  afterAll(() => server.close());
  const online = (): OtpRecord => ({
    v: 1,
    yubikey: { mode: 'online', publicId: VECTOR_KEY.publicId, clientId: server.clientId, apiKey: server.apiKeyBase64, urls: [server.url], enrolledAt: 0 },
  });
  const mint = (usage: number, session: number) => mintYubicoOtp({ ...VECTOR_KEY, usage, session });

  it('accepts what the service accepts and refuses what it calls replayed', async () => {
    const v = new OtpVerifier({ fetch });
    expect((await v.verify(online(), mint(1, 0))).ok).toBe(true);
    expect(await v.verify(online(), mint(1, 0))).toMatchObject({ ok: false, counted: true, reason: expect.stringMatching(/already used/) });
  });

  it('gives no verdict (not counted) when the service fails', async () => {
    server.setMode('http_500');
    const r = await new OtpVerifier({ fetch }).verify(online(), mint(2, 0));
    server.setMode('normal');
    expect(r).toMatchObject({ ok: false, counted: false, reason: expect.stringMatching(/unavailable/) });
  });
});
