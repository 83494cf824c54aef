/**
 * Yubico OTP, verified offline with the key's own AES secret (the self-hosted
 * alternative to YubiCloud). Format as in Yubico's yubico-c library (yubikey.h):
 *
 *   OTP    = modhex(public id, 0–8 bytes) || modhex(AES-128-ECB(key, token))
 *   token  = uid[6] | usage ctr u16le | timestamp u24le | session ctr u8 | random u16le | crc u16le
 */
import { createDecipheriv, timingSafeEqual } from 'node:crypto';

/** ModHex: hex with the digits 0–f replaced by keys that sit at the same place on most keyboard layouts. */
export const MODHEX_ALPHABET = 'cbdefghijklnrtuv';

/** CRC-16 residue over token || its CRC; a match means key and ciphertext are intact. */
export const YUBICO_CRC_OK_RESIDUE = 0xf0b8;

const TOKEN_CHARS = 32;
const MAX_PUBLIC_ID_CHARS = 16;
const USAGE_COUNTER_MASK = 0x7fff;

export interface YubicoToken {
  /** The 6-byte private identity, lower-case hex. */
  privateUid: string;
  /** Non-volatile counter, incremented at each power-up (15 bits; see decryptYubicoOtp). */
  usageCounter: number;
  /** 8 Hz timer since power-up, 24 bits. */
  timestamp: number;
  /** Presses since power-up, 8 bits. */
  sessionCounter: number;
  random: number;
  crcOk: boolean;
}

export interface YubicoCounters {
  usage: number;
  session: number;
}

export type YubicoOtpResult =
  | { ok: true; counters: YubicoCounters }
  | { ok: false; reason: 'malformed' | 'wrong_key_or_crc' | 'wrong_device' | 'replayed' };

export interface VerifyYubicoOtpInput {
  otp: string;
  /** The key's AES-128 secret, 32 hex characters. */
  aesKeyHex: string;
  /** The enrolled public id, modhex. */
  publicId: string;
  /** The enrolled private uid, 12 hex characters. */
  privateUid: string;
  /** The counters of the last accepted OTP from this key, or null if none. */
  last: YubicoCounters | null;
}

/**
 * Decodes modhex (`cbdefghijklnrtuv` = 0x0–0xf, two characters per byte).
 * Upper case is accepted because a key typing with caps lock on produces it.
 * Throws TypeError on odd length or a character outside the alphabet.
 */
export function modhexDecode(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new TypeError('modhex: odd length');
  const lower = s.toLowerCase();
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = MODHEX_ALPHABET.indexOf(lower.charAt(2 * i));
    const lo = MODHEX_ALPHABET.indexOf(lower.charAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new TypeError('modhex: character outside the alphabet');
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Encodes bytes as lower-case modhex; the inverse of modhexDecode. */
export function modhexEncode(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += MODHEX_ALPHABET.charAt(b >> 4) + MODHEX_ALPHABET.charAt(b & 0x0f);
  return s;
}

/**
 * Splits an OTP into its public id (all but the last 32 modhex characters, 0–16 of
 * them, lower-cased) and the 16-byte encrypted token. The whole OTP is 32–48 modhex
 * characters, even in length. Returns null for anything else.
 */
export function parseYubicoOtp(otp: string): { publicId: string; cipher: Uint8Array } | null {
  if (otp.length < TOKEN_CHARS || otp.length > TOKEN_CHARS + MAX_PUBLIC_ID_CHARS || otp.length % 2 !== 0) {
    return null;
  }
  const lower = otp.toLowerCase();
  for (const ch of lower) if (!MODHEX_ALPHABET.includes(ch)) return null;
  const split = lower.length - TOKEN_CHARS;
  return { publicId: lower.slice(0, split), cipher: modhexDecode(lower.slice(split)) };
}

/**
 * CRC-16 as the YubiKey computes it: ISO 13239 / X.25 polynomial, reflected (0x8408),
 * initial value 0xffff, no final XOR. Over a token including its stored CRC (which is
 * the one's complement, little endian) the result is the constant YUBICO_CRC_OK_RESIDUE.
 */
export function yubicoCrc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) {
      const carry = crc & 1;
      crc >>= 1;
      if (carry) crc ^= 0x8408;
    }
  }
  return crc;
}

/**
 * Decrypts the 16-byte token with AES-128-ECB (a single block, no padding) and splits it
 * into its fields (little endian). `crcOk` is false when the key is wrong or the
 * ciphertext was altered; the other fields are then meaningless.
 *
 * The usage counter's top bit is not part of the count: the key sets it when the OTP was
 * triggered by the caps-lock double-tap (yubikey.h: yubikey_counter = ctr & 0x7fff).
 *
 * Throws TypeError if the key is not 32 hex characters or the ciphertext not 16 bytes.
 */
export function decryptYubicoOtp(cipherBytes: Uint8Array, aesKeyHex: string): YubicoToken {
  if (cipherBytes.length !== 16) throw new TypeError('Yubico OTP token must be 16 bytes');
  const key = parseAesKey(aesKeyHex);
  const decipher = createDecipheriv('aes-128-ecb', key, null);
  decipher.setAutoPadding(false);
  const t = Buffer.concat([decipher.update(cipherBytes), decipher.final()]);
  return {
    privateUid: t.subarray(0, 6).toString('hex'),
    usageCounter: t.readUInt16LE(6) & USAGE_COUNTER_MASK,
    timestamp: t.readUIntLE(8, 3),
    sessionCounter: t.readUInt8(11),
    random: t.readUInt16LE(12),
    crcOk: yubicoCrc16(t) === YUBICO_CRC_OK_RESIDUE,
  };
}

/**
 * Verifies an OTP against one enrolled key, in this order:
 * 1. `malformed`: not a 32–48 character modhex OTP.
 * 2. `wrong_device`: the public id is not the enrolled one.
 * 3. `wrong_key_or_crc`: the CRC residue does not match (wrong AES key, or a mistyped or
 *    forged ciphertext; the two cannot be told apart).
 * 4. `wrong_device`: the decrypted private uid is not the enrolled one (the AES key is
 *    shared with another key, or was re-programmed).
 * 5. `replayed`: (usage, session) is not strictly greater than `last`, compared
 *    lexicographically: the usage counter goes up at every power-up and the session
 *    counter at every press within one, so every fresh OTP is strictly later.
 *
 * On success the caller stores `counters` as the new `last` before acting on it.
 */
export function verifyYubicoOtp({ otp, aesKeyHex, publicId, privateUid, last }: VerifyYubicoOtpInput): YubicoOtpResult {
  const parsed = parseYubicoOtp(otp);
  if (!parsed) return { ok: false, reason: 'malformed' };
  if (parsed.publicId !== publicId.toLowerCase()) return { ok: false, reason: 'wrong_device' };

  const token = decryptYubicoOtp(parsed.cipher, aesKeyHex);
  if (!token.crcOk) return { ok: false, reason: 'wrong_key_or_crc' };

  const expectedUid = Buffer.from(privateUid.toLowerCase(), 'ascii');
  const actualUid = Buffer.from(token.privateUid, 'ascii');
  // The private uid is the second secret of an enrolled key; compare it without leaking
  // how many leading characters matched.
  if (expectedUid.length !== actualUid.length || !timingSafeEqual(expectedUid, actualUid)) {
    return { ok: false, reason: 'wrong_device' };
  }

  const counters = { usage: token.usageCounter, session: token.sessionCounter };
  if (last && !isLater(counters, last)) return { ok: false, reason: 'replayed' };
  return { ok: true, counters };
}

function isLater(a: YubicoCounters, b: YubicoCounters): boolean {
  return a.usage > b.usage || (a.usage === b.usage && a.session > b.session);
}

function parseAesKey(aesKeyHex: string): Buffer {
  // No key material in the message: it may be logged.
  if (!/^[0-9a-fA-F]{32}$/.test(aesKeyHex)) throw new TypeError('Yubico AES key must be 32 hex characters');
  return Buffer.from(aesKeyHex, 'hex');
}
