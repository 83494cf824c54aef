/**
 * The agent's platform-specific corners, in one small module so they are easy to see:
 * - systemd socket activation: the listening socket is inherited on fd 3 (sd_listen_fds(3));
 * - Windows: the agent listens on a named pipe, which has no directory, mode or inode;
 * - the systemd journal: is stderr connected to it (JOURNAL_STREAM), or did a service
 *   manager start us (INVOCATION_ID)?
 * Everything else in the agent is the same on every platform.
 */
import { fstatSync } from 'node:fs';

/** sd_listen_fds(3): passed sockets start at fd 3. */
export const SD_LISTEN_FDS_START = 3;

export type ListenTarget =
  /** systemd bound the path and owns it: serve on the fd, never unlink the path. */
  | { kind: 'inherited'; fd: number; path: string }
  /** A Windows named pipe: no directory to check, nothing to unlink. */
  | { kind: 'pipe'; path: string }
  /** A Unix socket the agent binds (and later removes) itself. */
  | { kind: 'socket'; path: string };

export interface ListenChoice {
  target: ListenTarget;
  /** Why a LISTEN_FDS hand-over was not used, for the log. */
  note?: string;
}

type Env = Record<string, string | undefined>;

/**
 * Where the agent listens. `env` is the real process environment: the LISTEN_* variables
 * are removed from it whatever happens, as sd_listen_fds(unset_environment=1) does, so no
 * process the agent ever spawns takes fd 3 for its own.
 */
export function chooseListenTarget(path: string, env: Env = process.env, pid = process.pid): ListenChoice {
  const passed = takeListenFds(env, pid);
  if (passed.fds) {
    const note = passed.fds > 1 ? `systemd passed ${passed.fds} sockets; serving on the first (fd ${SD_LISTEN_FDS_START}) only` : undefined;
    return { target: { kind: 'inherited', fd: SD_LISTEN_FDS_START, path }, note };
  }
  return { target: isNamedPipe(path) ? { kind: 'pipe', path } : { kind: 'socket', path }, note: passed.ignored };
}

function takeListenFds(env: Env, pid: number): { fds?: number; ignored?: string } {
  const listenPid = env.LISTEN_PID;
  const listenFds = env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (listenPid === undefined && listenFds === undefined) return {};
  // LISTEN_PID guards against variables inherited by a process they were not meant for.
  if (listenPid !== String(pid)) return { ignored: `ignored LISTEN_FDS: LISTEN_PID=${listenPid} is not this process (${pid})` };
  const n = Number(listenFds);
  if (!Number.isInteger(n) || n < 1) return { ignored: `ignored LISTEN_FDS=${listenFds}: no socket was passed` };
  return { fds: n };
}

/** `\\.\pipe\name` (or `\\?\pipe\name`): the Windows agent endpoint. */
export function isNamedPipe(path: string): boolean {
  return /^\\\\[.?]\\pipe\\/i.test(path);
}

/**
 * Where the daemon logs when no `--log` is given and a service manager runs it: the
 * journal when stderr is the journal stream (systemd.exec(5): JOURNAL_STREAM holds the
 * device and inode of that stream, compared with our stderr so an inherited variable does
 * not fool us); plain stderr when systemd started us with stderr elsewhere (the unit
 * decided where it goes). Undefined otherwise.
 */
export function serviceLogDestination(env: Env = process.env, stderrFd = 2): 'journal' | 'stderr' | undefined {
  if (env.JOURNAL_STREAM && sameStream(env.JOURNAL_STREAM, stderrFd)) return 'journal';
  if (env.INVOCATION_ID) return 'stderr';
  return undefined;
}

function sameStream(journalStream: string, fd: number): boolean {
  const [dev, ino] = journalStream.split(':');
  try {
    const st = fstatSync(fd, { bigint: true });
    return String(st.dev) === dev && String(st.ino) === ino;
  } catch {
    return false;
  }
}
