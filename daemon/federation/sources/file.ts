/**
 * Source `file`: a token file kept fresh by someone else (a Kubernetes projected
 * service-account token, rotated by the kubelet). The agent reads it itself (the path is in
 * the profile); it stats the file on every request and re-reads it when it changed, so a
 * rotated token gets a new exchange and an unchanged one costs no read.
 */
import { readFile, stat } from 'node:fs/promises';
import { AuthctlError } from '../../../shared/errors.js';
import { MAX_IDENTITY_TOKEN } from '../../../shared/federation.js';
import { bindingOf, type IdentitySource, type SourceContext } from '../types.js';

interface Seen {
  stamp: string;
  token: string;
  binding: string;
}

export class FileSource {
  private readonly seen = new Map<string, Seen>();

  async open({ profile }: SourceContext): Promise<IdentitySource> {
    const path = profile.federation!.path!;
    const token = await this.read(profile.name, path);
    return { binding: token.binding, token: async () => token.token };
  }

  private async read(profileName: string, path: string): Promise<Seen> {
    let stamp: string;
    try {
      const st = await stat(path);
      if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOTFILE' });
      if (st.size > MAX_IDENTITY_TOKEN) throw Object.assign(new Error('too large'), { code: 'EFBIG' });
      stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    } catch (e) {
      throw missingFile(profileName, path, (e as NodeJS.ErrnoException).code);
    }
    const known = this.seen.get(path);
    if (known?.stamp === stamp) return known;
    let token: string;
    try {
      token = (await readFile(path, 'utf8')).trim();
    } catch (e) {
      throw missingFile(profileName, path, (e as NodeJS.ErrnoException).code);
    }
    if (token.split('.').length !== 3) throw new AuthctlError('ci_identity_missing', `${path} does not hold a JWT (an identity token has three dot-separated parts)`, { profile: profileName });
    const entry = { stamp, token, binding: bindingOf('file', token) };
    this.seen.set(path, entry);
    return entry;
  }
}

function missingFile(profile: string, path: string, code?: string): AuthctlError {
  const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by the agent' : code === 'EFBIG' ? 'is too large for a token' : `cannot be read (${code ?? 'error'})`;
  return new AuthctlError(
    'ci_identity_missing',
    `the identity token file ${path} ${why}: profile "${profile}" works only where it is mounted (e.g. a pod with a projected service-account token)`,
    { profile },
  );
}
