import { describe, expect, it } from 'vitest';
import { VECTOR_KEY, VECTOR_OTP, mintYubicoOtp } from '../../test/fixtures/yubicloud-server.js';
import {
  decryptYubicoOtp,
  modhexDecode,
  modhexEncode,
  parseYubicoOtp,
  verifyYubicoOtp,
  yubicoCrc16,
} from './yubico-otp.js';

// The yubico-c test vector (shared/testdata/otp-vectors.md), spelled out here so the
// test does not depend on the fixture for its expectations.
const OTP = 'dteffujehknhfjbrjnlnldnhcujvddbikngjrtgh';
const KEY = 'ecde18dbe76fbd0c33330f1c354871db';
const OTHER_KEY = 'ecde18dbe76fbd0c33330f1c354871dc';

describe('modhex', () => {
  it('maps cbdefghijklnrtuv to 0..f', () => {
    expect(Buffer.from(modhexDecode('cbdefghijklnrtuv')).toString('hex')).toBe('0123456789abcdef');
    expect(modhexEncode(Buffer.from('0123456789abcdef', 'hex'))).toBe('cbdefghijklnrtuv');
  });
  it('accepts upper case (caps lock)', () => {
    expect(Buffer.from(modhexDecode('CBDE')).toString('hex')).toBe('0123');
  });
  it('throws on odd length or a character outside the alphabet', () => {
    expect(() => modhexDecode('cbd')).toThrow(TypeError);
    expect(() => modhexDecode('cbda')).toThrow(TypeError);
    expect(() => modhexDecode('0123')).toThrow(TypeError);
  });
});

describe('parseYubicoOtp', () => {
  it('splits the vector into public id and 16 cipher bytes', () => {
    const parsed = parseYubicoOtp(OTP);
    expect(parsed?.publicId).toBe('dteffuje');
    expect(parsed?.cipher).toHaveLength(16);
  });
  it('accepts 32 characters (no public id) up to 48 (16-character public id)', () => {
    expect(parseYubicoOtp(OTP.slice(-32))?.publicId).toBe('');
    expect(parseYubicoOtp('cccccccccccccccc' + OTP.slice(-32))?.publicId).toBe('cccccccccccccccc');
  });
  it.each([
    ['too short', OTP.slice(-30)],
    ['too long', 'cccccccccccccccccc' + OTP.slice(-32)],
    ['odd length', 'c' + OTP.slice(-32)],
    ['not modhex', OTP.slice(0, -1) + 'a'],
    ['digits', '0123456789012345678901234567890123456789'],
    ['empty', ''],
  ])('returns null when %s', (_why, otp) => {
    expect(parseYubicoOtp(otp)).toBeNull();
  });
});

describe('decryptYubicoOtp', () => {
  it('decrypts the yubico-c vector to exactly the published fields', () => {
    const parsed = parseYubicoOtp(OTP)!;
    expect(decryptYubicoOtp(parsed.cipher, KEY)).toEqual({
      privateUid: '8792ebfe26cc',
      usageCounter: 19,
      timestamp: 49712,
      sessionCounter: 17,
      random: 40904,
      crcOk: true,
    });
  });
  it('fails the CRC with a wrong key', () => {
    expect(decryptYubicoOtp(parseYubicoOtp(OTP)!.cipher, OTHER_KEY).crcOk).toBe(false);
  });
  it('fails the CRC when any ciphertext byte is flipped', () => {
    const cipher = parseYubicoOtp(OTP)!.cipher;
    for (let i = 0; i < 16; i++) {
      const tampered = Uint8Array.from(cipher);
      tampered[i]! ^= 0x01;
      expect(decryptYubicoOtp(tampered, KEY).crcOk, `byte ${i}`).toBe(false);
    }
  });
  it('throws on a bad key or block size, without quoting the key', () => {
    const cipher = parseYubicoOtp(OTP)!.cipher;
    expect(() => decryptYubicoOtp(cipher, KEY.slice(2))).toThrowError(/^Yubico AES key must be 32 hex characters$/);
    expect(() => decryptYubicoOtp(cipher.subarray(0, 15), KEY)).toThrow(TypeError);
  });
});

describe('yubicoCrc16', () => {
  it('leaves the residue 0xf0b8 over the decrypted vector token, CRC included', () => {
    // The vector's plaintext: uid, ctr 0x0013, ts 0x00c230, use 0x11, rnd 0x9fc8, crc 0xc823.
    expect(yubicoCrc16(Buffer.from('8792ebfe26cc130030c20011c89f23c8', 'hex'))).toBe(0xf0b8);
  });
});

describe('verifyYubicoOtp', () => {
  const base = { otp: OTP, aesKeyHex: KEY, publicId: 'dteffuje', privateUid: '8792ebfe26cc' };

  it('accepts the vector on first use and returns its counters', () => {
    expect(verifyYubicoOtp({ ...base, last: null })).toEqual({ ok: true, counters: { usage: 19, session: 17 } });
  });
  it('accepts when the last counters are older', () => {
    expect(verifyYubicoOtp({ ...base, last: { usage: 19, session: 16 } }).ok).toBe(true);
    expect(verifyYubicoOtp({ ...base, last: { usage: 18, session: 255 } }).ok).toBe(true);
  });
  it.each([
    ['the same OTP again', { usage: 19, session: 17 }],
    ['a later press in the same session', { usage: 19, session: 18 }],
    ['a later power-up', { usage: 20, session: 0 }],
  ])('refuses as replayed after %s', (_why, last) => {
    expect(verifyYubicoOtp({ ...base, last })).toEqual({ ok: false, reason: 'replayed' });
  });
  it('refuses a wrong key', () => {
    expect(verifyYubicoOtp({ ...base, aesKeyHex: OTHER_KEY, last: null })).toEqual({ ok: false, reason: 'wrong_key_or_crc' });
  });
  it('refuses a flipped ciphertext character', () => {
    const otp = OTP.slice(0, -1) + (OTP.endsWith('h') ? 'c' : 'h');
    expect(verifyYubicoOtp({ ...base, otp, last: null })).toEqual({ ok: false, reason: 'wrong_key_or_crc' });
  });
  it('refuses another public id or private uid as wrong_device', () => {
    expect(verifyYubicoOtp({ ...base, publicId: 'dteffujf', last: null })).toEqual({ ok: false, reason: 'wrong_device' });
    expect(verifyYubicoOtp({ ...base, privateUid: '8792ebfe26cd', last: null })).toEqual({ ok: false, reason: 'wrong_device' });
  });
  it('refuses malformed input', () => {
    expect(verifyYubicoOtp({ ...base, otp: '123456', last: null })).toEqual({ ok: false, reason: 'malformed' });
  });
  it('accepts the OTP typed with caps lock on', () => {
    expect(verifyYubicoOtp({ ...base, otp: OTP.toUpperCase(), last: null }).ok).toBe(true);
  });
  it('ignores the caps-lock trigger bit in the usage counter', () => {
    const otp = mintYubicoOtp({ ...VECTOR_KEY, usage: 0x8000 | 20, session: 0 });
    expect(verifyYubicoOtp({ ...base, otp, last: { usage: 19, session: 17 } })).toEqual({
      ok: true,
      counters: { usage: 20, session: 0 },
    });
  });
});

describe('mintYubicoOtp (the test fixture)', () => {
  it('reproduces the published vector from its fields', () => {
    expect(mintYubicoOtp({ ...VECTOR_KEY, usage: 19, session: 17, timestamp: 49712, random: 40904 })).toBe(VECTOR_OTP);
    expect(VECTOR_OTP).toBe(OTP);
  });
});
