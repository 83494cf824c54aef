/**
 * Chooses the session store at agent start: the keychain when it answers; otherwise a
 * 0600 file with a loud warning, unless config says `storage: "keychain"` (fail closed).
 */
import { AuthctlError } from '../../shared/errors.js';
import type { StoragePreference } from '../../shared/config.js';
import { FileStore } from './file-store.js';
import { KeychainStore } from './keychain-store.js';
import type { SessionStore } from './session-store.js';

export interface StoreChoice {
  store: SessionStore;
  /** Why the keychain was not used, when it was not. */
  keychainError?: AuthctlError;
}

export async function selectStore(pref: StoragePreference, stateDir: string, keychain = new KeychainStore()): Promise<StoreChoice> {
  if (pref === 'file') return { store: FileStore.inStateDir(stateDir, 'storage is set to "file"') };
  try {
    await keychain.probe();
    return { store: keychain };
  } catch (e) {
    const err = e instanceof AuthctlError ? e : new AuthctlError('keychain_unavailable', String(e));
    // A locked keyring exists and holds our tokens: falling back to a file would hide them.
    // Keep the keychain store: every call fails closed (exit 7) until it answers again.
    if (pref === 'keychain' || err.details.locked) return { store: keychain, keychainError: err };
    return { store: FileStore.inStateDir(stateDir), keychainError: err };
  }
}
