/**
 * Every filesystem location authctl uses, as pure functions of an environment, so
 * tests pass a fake one. Never a world-writable directory such as /tmp for the socket,
 * never the abstract namespace.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';

export interface PathEnv {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  home: string;
  username: string;
}

/** Where the agent's socket (or named pipe) lives; DESIGN.md "Socket location, in order". */
export function socketPath(p: PathEnv): string {
  if (p.env.AUTHCTL_SOCK) return p.env.AUTHCTL_SOCK;
  if (p.platform === 'win32') return windowsPipeName(p.username);
  return join(runtimeDir(p), 'agent.sock');
}

/** The private directory holding the socket (0700, owned by the user). */
export function runtimeDir(p: PathEnv): string {
  if (p.env.AUTHCTL_SOCK) return dirnameOf(p.env.AUTHCTL_SOCK);
  switch (p.platform) {
    case 'win32':
      return '\\\\.\\pipe';
    case 'darwin':
      return join(p.home, 'Library', 'Application Support', 'authctl', 'run');
    default:
      if (p.env.XDG_RUNTIME_DIR) return join(p.env.XDG_RUNTIME_DIR, 'authctl');
      return join(p.home, '.authctl', 'run');
  }
}

export function windowsPipeName(username: string): string {
  return `\\\\.\\pipe\\authctl-${username}`;
}

/** The user's config directory (profiles, settings; never secrets). */
export function configDir(p: PathEnv): string {
  if (p.env.AUTHCTL_CONFIG_DIR) return p.env.AUTHCTL_CONFIG_DIR;
  switch (p.platform) {
    case 'win32':
      return join(p.env.APPDATA ?? join(p.home, 'AppData', 'Roaming'), 'authctl');
    case 'darwin':
      return join(p.home, 'Library', 'Preferences', 'authctl');
    default:
      return join(p.env.XDG_CONFIG_HOME || join(p.home, '.config'), 'authctl');
  }
}

export function userConfigFile(p: PathEnv): string {
  return join(configDir(p), 'config.json');
}

/**
 * The admin-managed, read-only system config, at its fixed place per platform. Compiled in:
 * no variable moves it, so nothing in a user's environment can switch the admin's policy off.
 */
export function systemConfigFile(p: PathEnv): string {
  if (p.platform === 'win32') return join(p.env.ProgramData ?? 'C:\\ProgramData', 'authctl', 'config.json');
  if (p.platform === 'darwin') return '/Library/Application Support/authctl/config.json';
  return '/etc/authctl/config.json';
}

/**
 * Every system config file, in order: the fixed one, then `AUTHCTL_SYSTEM_CONFIG` (tests, a
 * second admin layer). The extra file only adds: it is read with the same rules as the fixed
 * one and can never replace or weaken it (shared/config.ts mergeSystemConfigs).
 */
export function systemConfigFiles(p: PathEnv): string[] {
  const fixed = systemConfigFile(p);
  const extra = p.env.AUTHCTL_SYSTEM_CONFIG;
  return extra && extra !== fixed ? [fixed, extra] : [fixed];
}

/** State the agent keeps across restarts (file-store fallback, OTP counters, logs). */
export function stateDir(p: PathEnv): string {
  if (p.env.AUTHCTL_STATE_DIR) return p.env.AUTHCTL_STATE_DIR;
  switch (p.platform) {
    case 'win32':
      return join(p.env.LOCALAPPDATA ?? join(p.home, 'AppData', 'Local'), 'authctl');
    case 'darwin':
      return join(p.home, 'Library', 'Application Support', 'authctl', 'state');
    default:
      return join(p.env.XDG_STATE_HOME || join(p.home, '.local', 'state'), 'authctl');
  }
}

export function logDir(p: PathEnv): string {
  if (p.platform === 'darwin' && !p.env.AUTHCTL_STATE_DIR) return join(p.home, 'Library', 'Logs', 'authctl');
  return join(stateDir(p), 'logs');
}

/** The agent's log file when it logs to a file (the default for an agent a command starts). */
export function agentLogFile(p: PathEnv): string {
  return join(logDir(p), 'agent.log');
}

function dirnameOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * The PathEnv of the running process: process globals, plus one look at /run/user/<uid>
 * when XDG_RUNTIME_DIR is missing (below).
 */
export function processPathEnv(env: Record<string, string | undefined> = process.env): PathEnv {
  const home = env.HOME || env.USERPROFILE || '/';
  const runtime = loginRuntimeDir(env);
  return { platform: process.platform, env: runtime ? { ...env, XDG_RUNTIME_DIR: runtime } : env, home, username: env.USER || env.USERNAME || 'user' };
}

/**
 * Linux shells without XDG_RUNTIME_DIR (cron, `su`, some ssh sessions) while the user has
 * a login runtime dir anyway: use /run/user/<uid>, systemd's %t, so they reach the service
 * socket there instead of autostarting a second agent under ~/.authctl/run.
 */
export function loginRuntimeDir(
  env: Record<string, string | undefined>,
  uid = process.getuid?.(),
  platform = process.platform,
  base = '/run/user',
): string | undefined {
  if (platform !== 'linux' || env.XDG_RUNTIME_DIR || env.AUTHCTL_SOCK || uid === undefined) return undefined;
  const dir = join(base, String(uid));
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The agent's forwarding socket (`authctl ssh` forwards remote hosts to it), beside the main
 * socket in the same private directory: `agent.sock` → `agent-forward.sock`.
 */
export function forwardingSocketPath(mainSocket: string): string {
  const slash = Math.max(mainSocket.lastIndexOf('/'), mainSocket.lastIndexOf('\\'));
  const dir = mainSocket.slice(0, slash + 1);
  const base = mainSocket.slice(slash + 1).replace(/\.sock$/, '');
  return `${dir}${base}-forward.sock`;
}
