/**
 * Chooses the session store at agent start: the keychain when it answers; otherwise a
 * 0600 file with a loud warning, unless config says `storage: "keychain"` (fail closed).
 * Either way the two stay in touch (continuity-store.ts): the keychain takes over sessions
 * a keychain-less agent left in the file, and the file store knows which profiles have
 * their session in the keychain.
 */
import { AuthctlError } from '../../shared/errors.js';
import type { StoragePreference } from '../../shared/config.js';
import { FileWithKeychainIndex, KeychainWithFileImport } from './continuity-store.js';
import { FileStore } from './file-store.js';
import { KeychainIndex } from './keychain-index.js';
import { KeychainStore } from './keychain-store.js';
import type { SessionStore } from './session-store.js';

export interface StoreChoice {
  store: SessionStore;
  /** Why the keychain was not used, when it was not. */
  keychainError?: AuthctlError;
}

export async function selectStore(
  pref: StoragePreference,
  stateDir: string,
  keychain = new KeychainStore(),
  onNote?: (message: string, profile: string) => void,
): Promise<StoreChoice> {
  if (pref === 'file') return { store: FileStore.inStateDir(stateDir, 'storage is set to "file"') };
  const index = KeychainIndex.inStateDir(stateDir);
  try {
    await keychain.probe();
    return { store: new KeychainWithFileImport(keychain, FileStore.inStateDir(stateDir), index, onNote) };
  } catch (e) {
    const err = e instanceof AuthctlError ? e : new AuthctlError('keychain_unavailable', String(e));
    // A locked keyring exists and holds our tokens: falling back to a file would hide them.
    // Keep the keychain store: every call fails closed (exit 7) until it answers again.
    if (pref === 'keychain' || err.details.locked) return { store: keychain, keychainError: err };
    return { store: new FileWithKeychainIndex(FileStore.inStateDir(stateDir), index, keychainProblem(err)), keychainError: err };
  }
}

/** A short reason for the "cannot reach" message, without the library's detail. */
function keychainProblem(err: AuthctlError): string {
  return /dbus|d-bus|bus/i.test(err.message) ? 'no D-Bus session bus' : 'the Secret Service does not answer';
}
