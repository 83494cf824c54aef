/**
 * The agent's socket lives in a private directory: 0700, owned by the user, not a symlink.
 * Anything else at start is refused, never "fixed" (someone may be squatting it). A
 * stale socket is replaced only after a connect fails, and only if the path is a socket.
 */
import { lstatSync, mkdirSync, unlinkSync, chmodSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { AuthctlError } from '../shared/errors.js';

export function ensurePrivateDir(dir: string, uid = process.getuid?.() ?? -1): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new AuthctlError('internal', `cannot create the socket directory ${dir} (${(e as NodeJS.ErrnoException).code})`);
  }
  checkPrivateDir(dir, uid);
}

/** Throws unless `dir` is a real directory owned by `uid` with no group/other access. */
export function checkPrivateDir(dir: string, uid = process.getuid?.() ?? -1): void {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) throw unsafe(dir, 'is a symbolic link');
  if (!st.isDirectory()) throw unsafe(dir, 'is not a directory');
  if (uid >= 0 && st.uid !== uid) throw unsafe(dir, `is owned by uid ${st.uid}, not by you (uid ${uid})`);
  if ((st.mode & 0o077) !== 0) throw unsafe(dir, `has mode ${(st.mode & 0o777).toString(8)}; it must be 700`);
}

function unsafe(dir: string, what: string): AuthctlError {
  return new AuthctlError('forbidden', `refusing to use the socket directory ${dir}: it ${what}`);
}

/** What is at the socket path now: nothing, a live agent, a stale socket, or something else. */
export async function probeSocketPath(path: string): Promise<'absent' | 'live' | 'stale' | 'not-a-socket'> {
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
    s.once('error', () => resolve('stale'));
  });
}

/** Prepares the path for a new listener; throws if another agent is there or something else is in the way. */
export async function claimSocketPath(path: string): Promise<void> {
  ensurePrivateDir(dirname(path));
  const state = await probeSocketPath(path);
  if (state === 'live') throw new AuthctlError('forbidden', `an agent is already running on ${path}`, { alreadyRunning: true });
  if (state === 'not-a-socket') throw new AuthctlError('forbidden', `${path} exists and is not a socket; not deleting it`);
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
