/**
 * A marker in the state directory naming the profiles whose session is in the keychain.
 * It holds no secret (profile names and when they were written), and it is what lets an
 * agent that cannot reach the keychain (an ssh shell without D-Bus) say "your session is
 * in the keychain" instead of "not logged in": a file store cannot look into the keychain.
 */
import { mkdir, open, readFile, rename, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';

interface IndexFile {
  v: 1;
  profiles: Record<string, { savedAt?: number }>;
}

export class KeychainIndex {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  static inStateDir(stateDir: string): KeychainIndex {
    return new KeychainIndex(join(stateDir, 'keychain-sessions.json'));
  }

  async has(profile: string): Promise<boolean> {
    return Object.hasOwn((await this.read()).profiles, profile);
  }

  /** The profiles whose session was written to the keychain (the keychain itself cannot be listed). */
  async names(): Promise<string[]> {
    return Object.keys((await this.read()).profiles);
  }

  add(profile: string, savedAt?: number): Promise<void> {
    return this.update((f) => {
      if (f.profiles[profile] && f.profiles[profile]!.savedAt === savedAt) return false;
      f.profiles[profile] = { savedAt };
      return true;
    });
  }

  remove(profile: string): Promise<void> {
    return this.update((f) => {
      if (!Object.hasOwn(f.profiles, profile)) return false;
      delete f.profiles[profile];
      return true;
    });
  }

  /** Serialised read-modify-write; writes only when something changed. */
  private update(change: (f: IndexFile) => boolean): Promise<void> {
    const next = this.chain.then(async () => {
      const f = await this.read();
      if (change(f)) await this.write(f);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<IndexFile> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8'));
      if (parsed?.v === 1 && parsed.profiles && typeof parsed.profiles === 'object') return { v: 1, profiles: { ...parsed.profiles } };
    } catch {
      // Missing or unreadable: no profile is known to be in the keychain.
    }
    return { v: 1, profiles: Object.create(null) };
  }

  private async write(f: IndexFile): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(f));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, 0o600);
    await rename(tmp, this.path);
  }
}
