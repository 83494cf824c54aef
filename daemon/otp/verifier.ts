/**
 * Checks a one-time password against the enrolled methods: a 6-digit code goes to TOTP,
 * a modhex YubiKey OTP to the YubiKey (offline with its AES key, or online through the
 * validation protocol). It decides nothing about challenges or lockout; it says whether
 * the code is right, whether a wrong answer counts as a guess, and how the replay state
 * changes when it is right.
 */
import type { OtpMethodName } from '../../shared/api.js';
import type { OtpRecord, TotpEnrolment, YubikeyEnrolment } from './otp-store.js';
import { verifyTotp } from './totp.js';
import { decryptYubicoOtp, parseYubicoOtp, verifyYubicoOtp } from './yubico-otp.js';
import { verifyWithYubiCloud, type YubiCloudFailure, type YubiCloudFetch } from './yubicloud.js';

export type VerifyOutcome =
  | { ok: true; method: OtpMethodName; apply: (record: OtpRecord) => OtpRecord }
  /** `counted`: a wrong guess (counts towards lockout), not a failure of a validation service. */
  | { ok: false; counted: boolean; reason: string };

export type PendingEnrolment =
  | { method: 'totp'; secret: string }
  | { method: 'yubikey'; mode: 'offline'; aesKey: string; publicId: string; privateUid?: string }
  | { method: 'yubikey'; mode: 'online'; clientId: string; apiKey: string; urls: string[] };

export type ConfirmOutcome =
  | { ok: true; totp: TotpEnrolment; yubikey?: undefined }
  | { ok: true; yubikey: YubikeyEnrolment; totp?: undefined }
  | { ok: false; counted: boolean; reason: string };

export interface OtpVerifierOptions {
  /** Unix ms. */
  now?: () => number;
  /** For the online YubiKey mode (the agent's proxy-aware transport). */
  fetch: YubiCloudFetch;
  yubiCloudTimeoutMs?: number;
}

export const YUBICLOUD_URLS = ['https://api.yubico.com/wsapi/2.0/verify'];
const TOTP_CODE = /^[0-9]{6}$/;
/** Validation-service answers that say the OTP itself was wrong or spent. */
const YUBICLOUD_WRONG_OTP = new Set<YubiCloudFailure>(['BAD_OTP', 'REPLAYED_OTP', 'REPLAYED_REQUEST', 'malformed_otp']);

export class OtpVerifier {
  private readonly now: () => number;

  constructor(private readonly opts: OtpVerifierOptions) {
    this.now = opts.now ?? Date.now;
  }

  async verify(record: OtpRecord, code: string): Promise<VerifyOutcome> {
    if (record.totp && TOTP_CODE.test(code)) return this.verifyTotpCode(record.totp, code);
    if (record.yubikey && parseYubicoOtp(code)) return this.verifyYubikey(record.yubikey, code);
    const shapes = [record.totp ? 'a 6-digit code from your authenticator app' : '', record.yubikey ? 'a touch of your YubiKey' : ''].filter(Boolean);
    return wrong(`that is not a one-time password of an enrolled method (expected ${shapes.join(' or ')})`);
  }

  /** The first code from a method being enrolled: proves the user has it, and starts its replay state. */
  async confirm(pending: PendingEnrolment, code: string): Promise<ConfirmOutcome> {
    const at = this.unixNow();
    if (pending.method === 'totp') {
      const r = verifyTotp({ secret: pending.secret, code, now: this.now, lastUsedStep: null });
      if (!r.ok) return wrong(r.reason === 'malformed' ? 'enter the 6-digit code your authenticator app shows' : 'wrong code: check that the device clock is right and try again');
      return { ok: true, totp: { secret: pending.secret, lastStep: r.step, enrolledAt: at, lastUsedAt: at } };
    }
    const parsed = parseYubicoOtp(code);
    if (!parsed) return wrong('that is not a YubiKey OTP: touch the key with the cursor in the prompt');
    if (pending.mode === 'online') {
      const r = await this.yubiCloud(pending, code);
      if (!r.ok) return r;
      const { apiKey, clientId, urls } = pending;
      return { ok: true, yubikey: { mode: 'online', publicId: parsed.publicId, clientId, apiKey, urls, enrolledAt: at, lastUsedAt: at } };
    }
    if (parsed.publicId !== pending.publicId.toLowerCase()) return wrong(`that OTP comes from another YubiKey (public id ${parsed.publicId}, not ${pending.publicId})`);
    const token = decryptYubicoOtp(parsed.cipher, pending.aesKey);
    if (!token.crcOk) return wrong('that OTP does not decrypt with the given AES key');
    const privateUid = pending.privateUid ?? token.privateUid;
    const r = verifyYubicoOtp({ otp: code, aesKeyHex: pending.aesKey, publicId: pending.publicId, privateUid, last: null });
    if (!r.ok) return wrong('that OTP carries another private uid than the one given');
    return {
      ok: true,
      yubikey: { mode: 'offline', publicId: parsed.publicId, aesKey: pending.aesKey, privateUid, counters: r.counters, enrolledAt: at, lastUsedAt: at },
    };
  }

  private verifyTotpCode(totp: TotpEnrolment, code: string): VerifyOutcome {
    const r = verifyTotp({ secret: totp.secret, code, now: this.now, lastUsedStep: totp.lastStep });
    if (!r.ok) return wrong(r.reason === 'replayed' ? 'that code was already used: wait for the next one' : 'wrong code');
    const at = this.unixNow();
    return { ok: true, method: 'totp', apply: (rec) => ({ ...rec, totp: rec.totp && { ...rec.totp, lastStep: r.step, lastUsedAt: at } }) };
  }

  private async verifyYubikey(key: YubikeyEnrolment, code: string): Promise<VerifyOutcome> {
    const at = this.unixNow();
    if (key.mode === 'online') {
      // The service accepts any YubiKey's OTP; only the enrolled key's may pass here.
      if (parseYubicoOtp(code)!.publicId !== key.publicId) return wrong('that OTP comes from another YubiKey');
      const r = await this.yubiCloud(key, code);
      if (!r.ok) return r;
      return { ok: true, method: 'yubikey', apply: (rec) => ({ ...rec, yubikey: rec.yubikey && { ...rec.yubikey, lastUsedAt: at } }) };
    }
    const r = verifyYubicoOtp({ otp: code, aesKeyHex: key.aesKey, publicId: key.publicId, privateUid: key.privateUid, last: key.counters });
    if (!r.ok) {
      const why = { malformed: 'that is not a YubiKey OTP', wrong_device: 'that OTP comes from another YubiKey', wrong_key_or_crc: 'wrong YubiKey OTP', replayed: 'that YubiKey OTP was already used' };
      return wrong(why[r.reason]);
    }
    return {
      ok: true,
      method: 'yubikey',
      apply: (rec) => ({ ...rec, yubikey: rec.yubikey?.mode === 'offline' ? { ...rec.yubikey, counters: r.counters, lastUsedAt: at } : rec.yubikey }),
    };
  }

  private async yubiCloud(
    key: { clientId: string; apiKey: string; urls: string[] },
    code: string,
  ): Promise<{ ok: true } | { ok: false; counted: boolean; reason: string }> {
    const r = await verifyWithYubiCloud({
      otp: code,
      clientId: key.clientId,
      apiKeyBase64: key.apiKey,
      urls: key.urls,
      fetch: this.opts.fetch,
      now: this.now,
      timeoutMs: this.opts.yubiCloudTimeoutMs ?? 10_000,
    });
    if (r.ok) return r;
    if (YUBICLOUD_WRONG_OTP.has(r.reason)) return wrong(r.reason.startsWith('REPLAYED') ? 'that YubiKey OTP was already used' : 'wrong YubiKey OTP');
    // The service failed or cannot be trusted: no verdict on the OTP, so not a guess.
    return { ok: false, counted: false, reason: `the YubiKey validation service gave no usable answer (${r.reason}${r.detail ? `: ${r.detail}` : ''}): try again` };
  }

  private unixNow(): number {
    return Math.floor(this.now() / 1000);
  }
}

function wrong(reason: string): { ok: false; counted: true; reason: string } {
  return { ok: false, counted: true, reason };
}
