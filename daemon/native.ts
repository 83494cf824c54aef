/**
 * Loader for the N-API addon in native/ (DESIGN.md, "Security model"): peer
 * credentials of a socket connection, and process hardening (not dumpable, no core
 * files).
 *
 * The addon is optional: `scripts/build-native.mjs` builds it at install time and only
 * warns when it cannot. Without it `loadNative()` returns null and the agent runs without
 * the peer-credential check (the 0700 socket directory is then the only barrier).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Credentials of a socket's peer, as the kernel recorded them when it connected. */
export interface PeerCredentials {
  /** Effective uid of the peer. */
  uid: number;
  /** Effective gid of the peer. */
  gid: number;
  /** Peer pid; -1 when the platform does not tell (or the peer is in another pid namespace). */
  pid: number;
}

export interface HardenResult {
  /** Linux `prctl(PR_SET_DUMPABLE, 0)` succeeded (always false elsewhere). */
  nonDumpable: boolean;
  /** `setrlimit(RLIMIT_CORE, {0, 0})` succeeded. */
  coreDisabled: boolean;
}

/** What native/authctl_native.c exports. */
export interface NativeAddon {
  /**
   * Peer credentials of a connected Unix domain socket. Throws (an Error with `syscall`
   * and a positive C `errno`) for a bad fd, a non-socket, a socket that is not AF_UNIX,
   * or one with no peer; a TypeError for an fd that is not a non-negative integer.
   */
  peerCredentials(fd: number): PeerCredentials;
  /** Makes this process non-dumpable (Linux) and disables core files. Irreversible. */
  hardenProcess(): HardenResult;
  /** Linux: whether this process is dumpable (`prctl(PR_GET_DUMPABLE)`); null elsewhere. */
  isDumpable(): boolean | null;
}

const ADDON_PATH = path.join('native', 'build', 'Release', 'authctl_native.node');

/**
 * Where the built addon is: the package's own `native/build/Release/authctl_native.node`,
 * one fixed path from this file. This file runs as `<package>/daemon/native.ts` (vitest) or
 * as `<package>/dist/daemon/native.js` (tsc output), so the package is one or two levels
 * up. Never searched for: a `.node` planted in some parent directory must not run inside
 * the agent.
 */
export function nativeAddonPath(here: string = path.dirname(fileURLToPath(import.meta.url))): string {
  const dir = path.resolve(here);
  const root = dir.endsWith(path.join('dist', 'daemon')) ? path.resolve(dir, '..', '..') : path.resolve(dir, '..');
  return path.join(root, ADDON_PATH);
}

/** The addon's fixed path when the file is there, else null. */
export function findNativeAddon(here?: string): string | null {
  const file = nativeAddonPath(here);
  return fs.existsSync(file) ? file : null;
}

let loaded: { addon: NativeAddon | null; error: Error | null } | undefined;

/**
 * The addon, loaded once; null (never a throw) when it is not built, fails to load, or
 * on Windows (where it is only stubs that throw "unsupported": named pipes have no peer
 * uid to check this way). `nativeLoadError()` says why, for `authctl doctor` and logs.
 */
export function loadNative(): NativeAddon | null {
  if (loaded) return loaded.addon;
  loaded = { addon: null, error: null };
  try {
    if (process.platform === 'win32') throw new Error('the native addon is not used on Windows');
    const file = findNativeAddon();
    if (!file) throw new Error(`${nativeAddonPath()} not found (run \`node scripts/build-native.mjs\`)`);
    const addon = createRequire(import.meta.url)(file) as Partial<NativeAddon>;
    for (const name of ['peerCredentials', 'hardenProcess', 'isDumpable'] as const) {
      if (typeof addon[name] !== 'function') throw new Error(`${file}: export ${name} missing`);
    }
    loaded.addon = addon as NativeAddon;
  } catch (err) {
    loaded.error = err instanceof Error ? err : new Error(String(err));
  }
  return loaded.addon;
}

/** Why `loadNative()` returned null (null when it loaded, or was not tried yet). */
export function nativeLoadError(): Error | null {
  return loaded?.error ?? null;
}

/**
 * Peer credentials of a Unix-socket connection (server or client side), or null when
 * they cannot be had: no addon, no file descriptor (Windows pipe, closed socket), not a
 * Unix socket (e.g. TCP), or the system call failed.
 *
 * null means "not verified": with the addon loaded the caller must refuse the
 * connection (fail closed); only without the addon may it fall back to trusting the
 * socket directory's permissions.
 */
export function peerOf(socket: net.Socket): PeerCredentials | null {
  const addon = loadNative();
  if (!addon) return null;
  // Node has no public API for a socket's file descriptor. `_handle` is the libuv
  // Pipe/TCP wrap behind every net.Socket; its `fd` getter returns the OS descriptor on
  // Unix (-1 on Windows), and `_handle` is null once the socket is closed. Both are
  // internal, so every step is checked rather than trusted.
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) return null;
  try {
    return addon.peerCredentials(fd);
  } catch {
    return null;
  }
}
