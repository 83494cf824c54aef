/**
 * The fallback when no keychain is reachable: one 0600 JSON file in the user's state
 * directory (the seed practice), always announced with a loud warning. Writes go to a
 * temp file that is fsynced and renamed, so a crash never leaves half a file.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { AuthctlError } from '../../shared/errors.js';
import type { SessionStore, StoredSession } from './session-store.js';

export class FileStore implements SessionStore {
  readonly backend = 'file' as const;
  readonly warning: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    reason = 'no keychain is available',
  ) {
    this.warning = `${reason}: refresh tokens are stored in ${path} (mode 0600), readable by anything running as you`;
  }

  static inStateDir(stateDir: string, reason?: string): FileStore {
    return new FileStore(join(stateDir, 'sessions.json'), reason);
  }

  async get(profile: string): Promise<StoredSession | null> {
    const all = await this.readAll();
    return all[profile] ?? null;
  }

  set(profile: string, session: StoredSession): Promise<void> {
    return this.update((all) => {
      all[profile] = session;
    });
  }

  async list(): Promise<string[]> {
    return Object.keys(await this.readAll());
  }

  delete(profile: string): Promise<void> {
    return this.update((all) => {
      delete all[profile];
    });
  }

  /** Serialised read-modify-write, so two profiles refreshing at once never lose a write. */
  private update(change: (all: Record<string, StoredSession>) => void): Promise<void> {
    const next = this.chain.then(async () => {
      const all = await this.readAll();
      change(all);
      await this.writeAll(all);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async readAll(): Promise<Record<string, StoredSession>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new AuthctlError('keychain_unavailable', `cannot read ${this.path} (${(e as NodeJS.ErrnoException).code})`);
    }
    try {
      const parsed = JSON.parse(text);
      return parsed && typeof parsed === 'object' && parsed.sessions ? parsed.sessions : {};
    } catch {
      throw new AuthctlError('keychain_unavailable', `${this.path} is corrupted; remove it and log in again`);
    }
  }

  private async writeAll(all: Record<string, StoredSession>): Promise<void> {
    const dir = dirname(this.path);
    // A new file that nobody can have prepared: an unguessable name, created exclusively
    // (O_EXCL), never through a symbolic link (O_NOFOLLOW), 0600 from the start.
    const tmp = `${this.path}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;
    let created = false;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      created = true;
      try {
        await fh.writeFile(JSON.stringify({ v: 1, sessions: all }));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (e) {
      if (created) await unlink(tmp).catch(() => undefined);
      throw new AuthctlError('keychain_unavailable', `cannot write ${this.path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
}
