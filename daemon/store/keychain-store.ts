/**
 * Refresh tokens in the OS keychain through @napi-rs/keyring, pinned to the Secret
 * Service on Linux so a missing D-Bus session never silently falls back to the kernel
 * keyring (which does not survive a reboot). A locked keyring is an error, never null.
 */
import { AsyncEntry } from '@napi-rs/keyring';
import { AuthctlError } from '../../shared/errors.js';
import { parseStoredSession, type SessionStore, type StoredSession } from './session-store.js';

export const KEYCHAIN_SERVICE = 'authctl';
const OPTIONS = { linux: { store: 'secret-service' as const } };
const TIMEOUT_MS = 10_000;

export class KeychainStore implements SessionStore {
  readonly backend = 'keychain' as const;
  readonly warning = undefined;

  constructor(private readonly service = KEYCHAIN_SERVICE) {}

  async get(profile: string): Promise<StoredSession | null> {
    return parseStoredSession(await this.call('read', (e, signal) => e.getPassword(signal), profile));
  }

  async set(profile: string, session: StoredSession): Promise<void> {
    await this.call('write', (e, signal) => e.setPassword(JSON.stringify(session), signal), profile);
  }

  async delete(profile: string): Promise<void> {
    await this.call('delete', (e, signal) => e.deleteCredential(signal), profile);
  }

  /** Checks that the Secret Service answers at all (used to choose a backend at start). */
  async probe(): Promise<void> {
    await this.call('read', (e, signal) => e.getPassword(signal), '.probe');
  }

  private async call<T>(what: string, fn: (e: AsyncEntry, signal: AbortSignal) => Promise<T>, profile: string): Promise<T> {
    try {
      // The constructor already talks to D-Bus, so it belongs inside the try.
      const entry = new AsyncEntry(this.service, profile, OPTIONS);
      // A keyring that pops an unlock prompt nobody answers must not hang a token request.
      return await fn(entry, AbortSignal.timeout(TIMEOUT_MS));
    } catch (e) {
      throw keychainError(what, e);
    }
  }
}

/** The library's messages name the backend's failure, never the secret; keep only the first line. */
export function keychainError(what: string, e: unknown): AuthctlError {
  const detail = String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 200);
  const locked = /locked|unlock|prompt|dismissed/i.test(detail);
  return new AuthctlError(
    'keychain_unavailable',
    locked
      ? `the keychain is locked (${what} failed): unlock your login keyring and try again`
      : `the keychain is unavailable (${what} failed: ${detail})`,
    { locked },
  );
}
