/**
 * The enrolled OTP methods, their secrets and their replay state (last TOTP step, YubiKey
 * counters) plus the lockout, in the same backend as the sessions: one keychain entry
 * (account `otp`, in the agent's keychain service), or a 0600 file beside the sessions
 * file. One entry rather than one per method, so that every change (a used step, an
 * enrolment, a lockout) is one atomic write.
 *
 * Every change runs in `transaction`, one at a time, and is written before its result is
 * returned: a TOTP step or YubiKey counter is on disk before the token it unlocked leaves
 * the agent, so it is refused again after a restart.
 */
import { AsyncEntry } from '@napi-rs/keyring';
import { join } from 'node:path';
import type { OtpMethodName, StorageBackendName } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import { KeyedMutex } from '../broker/keyed-mutex.js';
import { FileStore } from '../store/file-store.js';
import { keychainError } from '../store/keychain-store.js';
import type { StoredSession } from '../store/session-store.js';
import type { LockoutState } from './challenges.js';
import type { YubicoCounters } from './yubico-otp.js';

export interface TotpEnrolment {
  /** Base32. */
  secret: string;
  /** The last time step accepted; never accepted again. */
  lastStep: number | null;
  /** Unix seconds. */
  enrolledAt: number;
  lastUsedAt?: number;
}

export type YubikeyEnrolment =
  | {
      mode: 'offline';
      publicId: string;
      aesKey: string;
      privateUid: string;
      /** The counters of the last accepted OTP; later OTPs must be strictly greater. */
      counters: YubicoCounters | null;
      enrolledAt: number;
      lastUsedAt?: number;
    }
  | {
      mode: 'online';
      publicId: string;
      clientId: string;
      apiKey: string;
      urls: string[];
      enrolledAt: number;
      lastUsedAt?: number;
    };

export interface OtpRecord {
  v: 1;
  totp?: TotpEnrolment;
  yubikey?: YubikeyEnrolment;
  lockout?: LockoutState;
}

/** Where the record lives: one value, read and written whole. */
export interface OtpSlot {
  readonly where: string;
  read(): Promise<unknown>;
  write(record: OtpRecord): Promise<void>;
}

export const OTP_KEYCHAIN_ACCOUNT = 'otp';
const KEYCHAIN_OPTIONS = { linux: { store: 'secret-service' as const } };
const KEYCHAIN_TIMEOUT_MS = 10_000;

export function enrolledMethods(r: OtpRecord): OtpMethodName[] {
  const out: OtpMethodName[] = [];
  if (r.totp) out.push('totp');
  if (r.yubikey) out.push('yubikey');
  return out;
}

export class OtpStore {
  private cached?: OtpRecord;
  private readonly lock = new KeyedMutex();

  constructor(
    private readonly slot: OtpSlot,
    readonly backend: StorageBackendName,
  ) {}

  /** The store beside the agent's session store: same keychain service, or the same state directory. */
  static beside(backend: StorageBackendName, where: { keychainService: string; stateDir: string }): OtpStore {
    const slot = backend === 'keychain' ? new KeychainSlot(where.keychainService) : new FileSlot(join(where.stateDir, 'otp.json'));
    return new OtpStore(slot, backend);
  }

  /** Same-user processes can read a 0600 file, and with it the OTP secrets. */
  get warning(): string | undefined {
    return this.backend === 'file' ? `OTP secrets are stored in ${this.slot.where} (mode 0600), readable by anything running as you` : undefined;
  }

  async read(): Promise<OtpRecord> {
    if (!this.cached) this.cached = parseRecord(await this.slot.read(), this.slot.where);
    return this.cached;
  }

  /**
   * Runs `fn` on the current record, one transaction at a time; a returned `next` is
   * written (and only then kept in memory) before the result is returned.
   */
  transaction<T>(fn: (record: OtpRecord) => Promise<{ next?: OtpRecord; result: T }>): Promise<T> {
    return this.lock.run('otp', async () => {
      const { next, result } = await fn(await this.read());
      if (next) {
        await this.slot.write(next);
        this.cached = next;
      }
      return result;
    });
  }
}

function parseRecord(raw: unknown, where: string): OtpRecord {
  if (raw === null || raw === undefined) return { v: 1 };
  if (typeof raw === 'object' && (raw as { v?: unknown }).v === 1) return raw as OtpRecord;
  throw new AuthctlError('keychain_unavailable', `the OTP settings in ${where} are unreadable: remove that entry and enrol again`);
}

class KeychainSlot implements OtpSlot {
  readonly where: string;

  constructor(private readonly service: string) {
    this.where = `the keychain (service "${service}", account "${OTP_KEYCHAIN_ACCOUNT}")`;
  }

  async read(): Promise<unknown> {
    const text = await this.call('read', (e, signal) => e.getPassword(signal));
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      return 'corrupted';
    }
  }

  async write(record: OtpRecord): Promise<void> {
    await this.call('write', (e, signal) => e.setPassword(JSON.stringify(record), signal));
  }

  private async call<T>(what: string, fn: (e: AsyncEntry, signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await fn(new AsyncEntry(this.service, OTP_KEYCHAIN_ACCOUNT, KEYCHAIN_OPTIONS), AbortSignal.timeout(KEYCHAIN_TIMEOUT_MS));
    } catch (e) {
      throw keychainError(what, e);
    }
  }
}

/**
 * A FileStore of its own (so the same atomic, fsynced 0600 write), holding the record
 * under one key; its file is not the sessions file, so the two never race.
 */
class FileSlot implements OtpSlot {
  private readonly file: FileStore;

  constructor(readonly where: string) {
    this.file = new FileStore(where);
  }

  read(): Promise<unknown> {
    return this.file.get(OTP_KEYCHAIN_ACCOUNT);
  }

  write(record: OtpRecord): Promise<void> {
    return this.file.set(OTP_KEYCHAIN_ACCOUNT, record as unknown as StoredSession);
  }
}
