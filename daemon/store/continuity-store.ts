/**
 * Storage continuity for `storage: "auto"`: the same user reaches the agent from a desktop
 * session (keychain reachable) and from an ssh shell without D-Bus (0600 file). Sessions
 * follow them:
 * - with the keychain, a session found in the file (written by an agent without one) is
 *   moved into the keychain and the file copy removed; a newer copy wins;
 * - without it, a profile the keychain index names is "in the keychain, which this shell
 *   cannot reach" (exit 7), never "not logged in".
 */
import { AuthctlError } from '../../shared/errors.js';
import type { FileStore } from './file-store.js';
import type { KeychainIndex } from './keychain-index.js';
import type { KeychainStore } from './keychain-store.js';
import type { SessionStore, StoredSession } from './session-store.js';

/** The keychain, taking over sessions left in the file by agents that could not reach it. */
export class KeychainWithFileImport implements SessionStore {
  readonly backend = 'keychain' as const;
  readonly warning = undefined;

  constructor(
    private readonly keychain: KeychainStore,
    private readonly file: FileStore,
    private readonly index: KeychainIndex,
    private readonly onNote: (message: string, profile: string) => void = () => undefined,
  ) {}

  async get(profile: string): Promise<StoredSession | null> {
    const inKeychain = await this.keychain.get(profile);
    const inFile = await this.file.get(profile).catch(() => null);
    if (inFile && (!inKeychain || (inFile.savedAt ?? 0) > (inKeychain.savedAt ?? 0))) {
      // Into the keychain first: the file copy goes only once the keychain holds it.
      await this.keychain.set(profile, inFile);
      await this.mark(profile, inFile);
      await this.file.delete(profile);
      this.onNote('moved a session from the file into the keychain', profile);
      return inFile;
    }
    if (inFile) {
      await this.file.delete(profile);
      this.onNote('removed an older file copy of a session the keychain holds', profile);
    }
    if (inKeychain) await this.mark(profile, inKeychain);
    else await this.index.remove(profile).catch(() => undefined);
    return inKeychain;
  }

  async set(profile: string, session: StoredSession): Promise<void> {
    await this.keychain.set(profile, session);
    await this.mark(profile, session);
  }

  async list(): Promise<string[]> {
    return [...new Set([...(await this.index.names()), ...(await this.file.list().catch(() => []))])];
  }

  async delete(profile: string): Promise<void> {
    await this.keychain.delete(profile);
    await this.index.remove(profile).catch(() => undefined);
    // Touch the file only when it holds a copy: a keychain user never gets a sessions file.
    if (await this.file.get(profile).catch(() => null)) await this.file.delete(profile);
  }

  /** The index is a hint for agents without the keychain; failing to write it never fails a login. */
  private async mark(profile: string, session: StoredSession): Promise<void> {
    await this.index.add(profile, session.savedAt).catch((e) => this.onNote(`could not update ${this.index.path}: ${(e as Error).message}`, profile));
  }
}

/** The 0600 file, knowing which profiles have their session in the keychain it cannot reach. */
export class FileWithKeychainIndex implements SessionStore {
  readonly backend = 'file' as const;

  constructor(
    private readonly file: FileStore,
    private readonly index: KeychainIndex,
    private readonly keychainProblem: string,
  ) {}

  get warning(): string {
    return this.file.warning;
  }

  async get(profile: string): Promise<StoredSession | null> {
    const inFile = await this.file.get(profile);
    if (inFile) return inFile;
    if (await this.index.has(profile)) throw sessionInUnreachableKeychain(profile, this.keychainProblem);
    return null;
  }

  set(profile: string, session: StoredSession): Promise<void> {
    return this.file.set(profile, session);
  }

  delete(profile: string): Promise<void> {
    return this.file.delete(profile);
  }

  async list(): Promise<string[]> {
    return [...new Set([...(await this.file.list()), ...(await this.index.names())])];
  }
}

export function sessionInUnreachableKeychain(profile: string, problem: string): AuthctlError {
  return new AuthctlError(
    'keychain_unavailable',
    `your session for profile "${profile}" is in the keychain, which this shell cannot reach (${problem}): use authctl where your desktop session runs, or run \`authctl login --profile ${profile}\` to keep a separate session in a file here`,
    { profile, storedIn: 'keychain' },
  );
}
