/**
 * The agent's socket lives in a private directory: 0700, owned by the user, not a symlink.
 * Anything else at start is refused, never "fixed" (someone may be squatting it). A
 * stale socket is replaced only after a connect fails, and only if the path is a socket.
 */
import { lstatSync, mkdirSync, unlinkSync, chmodSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { AuthctlError } from '../shared/errors.js';

/** Which private directory: the socket's, or the state directory (session file, OTP state, logs). */
export type PrivateDirKind = 'socket' | 'state';

export function ensurePrivateDir(dir: string, kind: PrivateDirKind = 'socket', uid = process.getuid?.() ?? -1): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new AuthctlError('internal', `cannot create the ${kind} directory ${dir} (${(e as NodeJS.ErrnoException).code})`);
  }
  checkPrivateDir(dir, uid, kind);
}

/** Throws unless `dir` is a real directory owned by `uid` with no group/other access. */
export function checkPrivateDir(dir: string, uid = process.getuid?.() ?? -1, kind: PrivateDirKind = 'socket'): void {
  const st = lstatSync(dir);
  const elsewhere = kind === 'socket' ? 'remove it, or point AUTHCTL_SOCK at a private directory' : 'remove it, or point AUTHCTL_STATE_DIR at a private directory';
  const unsafe = (what: string, next: string) =>
    // "Could not be started" is exit 6, the same code the client gives for a directory it refuses.
    new AuthctlError('agent_unavailable', `refusing to use the ${kind} directory ${dir}: it ${what}, and it must be yours and private (mode 700); ${next}`);
  if (st.isSymbolicLink()) throw unsafe('is a symbolic link', elsewhere);
  if (!st.isDirectory()) throw unsafe('is not a directory', elsewhere);
  if (uid >= 0 && st.uid !== uid) throw unsafe(`is owned by uid ${st.uid}, not by you (uid ${uid})`, elsewhere);
  if ((st.mode & 0o077) !== 0) throw unsafe(`has mode ${(st.mode & 0o777).toString(8)}`, `if it is yours, run \`chmod 700 ${dir}\``);
}

/** What is at the socket path now: nothing, a live agent, a stale socket, or something else. */
export async function probeSocketPath(path: string): Promise<'absent' | 'live' | 'stale' | 'not-a-socket' | 'unknown'> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 'absent';
  }
  if (!st.isSocket()) return 'not-a-socket';
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve('live');
    });
    // Only a refused connect proves nobody listens (as gpg-agent decides); anything else
    // (EAGAIN on a busy agent's backlog, EACCES) is not a reason to delete a socket.
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'stale' : e.code === 'ENOENT' ? 'absent' : 'unknown'));
  });
}

/** Prepares the path for a new listener; throws if another agent is there or something else is in the way. */
export async function claimSocketPath(path: string): Promise<void> {
  ensurePrivateDir(dirname(path));
  const state = await probeSocketPath(path);
  if (state === 'live') throw new AuthctlError('forbidden', `an agent is already running on ${path}`, { alreadyRunning: true });
  if (state === 'not-a-socket')
    throw new AuthctlError('agent_unavailable', `${path} exists and is not a socket; not deleting it: move it away yourself, or point AUTHCTL_SOCK elsewhere`);
  if (state === 'unknown')
    throw new AuthctlError('agent_unavailable', `cannot tell whether an agent listens on ${path}; not replacing it: stop that agent, or remove the socket if none runs`);
  if (state === 'stale') unlinkSync(path);
}

/** Binds with umask 0177 so the socket is never visible with looser permissions, even briefly. */
export function withPrivateUmask<T>(fn: () => T): T {
  const old = process.umask(0o177);
  try {
    return fn();
  } finally {
    process.umask(old);
  }
}

export function tightenSocket(path: string): void {
  chmodSync(path, 0o600);
}
