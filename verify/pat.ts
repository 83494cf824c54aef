/**
 * Personal access tokens in the format secret scanners recognise (GitHub's): `<prefix>_`,
 * 30 random base62 characters, and the CRC32 of those 30 characters in 6 base62
 * characters. The checksum lets a server reject typos and random strings before any
 * database lookup; only the SHA-256 of the token is stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const PREFIX = /^[A-Za-z0-9]{2,16}$/;

export interface CreatedPat {
  /** Shown to its owner once. */
  token: string;
  /** What the server stores (hashPat(token)). */
  hash: string;
}

export function createPat({ prefix }: { prefix: string }): CreatedPat {
  checkPrefix(prefix);
  const random = randomBase62(RANDOM_LENGTH);
  const token = `${prefix}_${random}${checksum(random)}`;
  return { token, hash: hashPat(token) };
}

/** True when `token` has the prefix, the length, the alphabet and a matching checksum. */
export function checkPatFormat(token: string, prefix: string): boolean {
  checkPrefix(prefix);
  if (typeof token !== 'string' || token.length !== prefix.length + 1 + RANDOM_LENGTH + CHECKSUM_LENGTH) return false;
  if (!token.startsWith(`${prefix}_`)) return false;
  const body = token.slice(prefix.length + 1);
  if (!/^[0-9A-Za-z]+$/.test(body)) return false;
  return checksum(body.slice(0, RANDOM_LENGTH)) === body.slice(RANDOM_LENGTH);
}

/** The SHA-256 (hex) to store and to look the token up by. */
export function hashPat(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function checksum(random: string): string {
  return toBase62(crc32(random), CHECKSUM_LENGTH);
}

function toBase62(n: number, width: number): string {
  let out = '';
  for (let v = n; v > 0; v = Math.floor(v / 62)) out = BASE62[v % 62] + out;
  return out.padStart(width, '0');
}

/** Uniform base62: bytes of 248 and above are dropped (248 = 4 * 62), so no character is likelier. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248) out += BASE62[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

function checkPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) throw new TypeError('a PAT prefix is 2 to 16 letters and digits (no "_")');
}
